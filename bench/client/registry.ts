import { createHash } from 'node:crypto';
import { leanGet } from './lean-get.js';
import type { Blob } from './content.js';
import { HttpClient, type HttpClientOptions, type HttpResponse } from './http.js';

export const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
export const ociConfig = 'application/vnd.oci.image.config.v1+json';
export const ociLayerGzip = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const manifestAccept = [
  ociManifest,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

const octetStream = 'application/octet-stream';

/**
 * The distribution API as the benchmark drives it, the same for every registry: blob pushes (monolithic and
 * chunked), pulls, manifest PUT/GET/HEAD and paginated listings.
 */
export class RegistryClient {
  readonly http: HttpClient;

  /** `options.authorization`: an Authorization header sent with every request, blob pulls included. */
  constructor(baseUrl: string | HttpClient, maxSockets = 1, options: HttpClientOptions = {}) {
    this.http = typeof baseUrl === 'string' ? new HttpClient(baseUrl, maxSockets, options) : baseUrl;
  }

  /** A client on the same connections that sends `authorization` instead (none when undefined). */
  withAuthorization(authorization: string | undefined): RegistryClient {
    return new RegistryClient(this.http.withAuthorization(authorization));
  }

  /**
   * A bearer token as docker fetches one (the token specification): an anonymous GET /v2/ for the Bearer challenge,
   * then a GET of its realm with its service and `scope`, sending this client's credentials. Answers the token.
   */
  async bearerToken(scope: string): Promise<string> {
    const anonymous = await this.http.withAuthorization(undefined).request({ method: 'GET', target: '/v2/', expect: 401 });
    const header = anonymous.headers['www-authenticate'] ?? '';
    const challenge = /^Bearer\s+(.*)$/i.exec(header)?.[1];
    if (challenge === undefined) throw new Error(`GET /v2/ answered no Bearer challenge (WWW-Authenticate: ${header}): the registry has no token server`);
    const parameters = new Map([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1]!.toLowerCase(), match[2]!]));
    const realm = parameters.get('realm');
    if (realm === undefined) throw new Error(`the Bearer challenge names no realm: ${header}`);
    const url = new URL(realm, this.http.base);
    const service = parameters.get('service');
    if (service !== undefined) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const response = await this.http.request({ method: 'GET', target: url, expect: 200 });
    const body = JSON.parse(response.body.toString('utf8')) as { token?: unknown; access_token?: unknown };
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || token === '') throw new Error(`GET ${url.origin}${url.pathname} answered no token`);
    return token;
  }

  close(): void {
    this.http.close();
  }

  /** POST /v2/<repo>/blobs/uploads/ → 202; answers the session's Location. */
  async startUpload(repository: string): Promise<URL> {
    const response = await this.http.request({ method: 'POST', target: `/v2/${repository}/blobs/uploads/`, expect: 202 });
    return this.#location(response, 'POST blobs/uploads/');
  }

  /** Monolithic push: POST, then one PUT ?digest= carrying the whole blob, streamed. */
  async pushBlob(repository: string, blob: Blob): Promise<void> {
    const location = await this.startUpload(repository);
    const response = await this.http.request({
      method: 'PUT',
      target: withDigest(location, blob.digest),
      headers: { 'content-type': octetStream, 'content-length': blob.size },
      body: blob.content.chunks(),
      expect: 201,
    });
    this.#checkDigest(response, blob.digest);
  }

  /** Monolithic push of a small in-memory blob (configs, small layers). */
  async pushSmallBlob(repository: string, data: Buffer, digest: string): Promise<void> {
    const location = await this.startUpload(repository);
    const response = await this.http.request({
      method: 'PUT',
      target: withDigest(location, digest),
      headers: { 'content-type': octetStream },
      body: data,
      expect: 201,
    });
    this.#checkDigest(response, digest);
  }

  /** Chunked push: POST, PATCHes of `chunkBytes` with Content-Range (each to the latest Location), PUT ?digest=. */
  async pushBlobChunked(repository: string, blob: Blob, chunkBytes: number): Promise<number> {
    let location = await this.startUpload(repository);
    let patches = 0;
    for (let start = 0; start < blob.size; start += chunkBytes) {
      const end = Math.min(start + chunkBytes, blob.size);
      const response = await this.http.request({
        method: 'PATCH',
        target: location,
        headers: { 'content-type': octetStream, 'content-length': end - start, 'content-range': `${start}-${end - 1}` },
        body: blob.content.chunks(start, end),
        expect: 202,
      });
      const range = response.headers.range;
      if (range !== `0-${end - 1}`) throw new Error(`PATCH ${location.href} answered Range "${range}", expected "0-${end - 1}"`);
      location = this.#location(response, 'PATCH');
      patches++;
    }
    const response = await this.http.request({ method: 'PUT', target: withDigest(location, blob.digest), expect: 201 });
    this.#checkDigest(response, blob.digest);
    return patches;
  }

  /**
   * GET a blob on a connection of its own (see lean-get.ts); the bytes are discarded as they come, or hashed and
   * checked when `verify` is set.
   */
  async pullBlob(repository: string, digest: string, size: number, verify = false): Promise<number> {
    const hash = verify ? createHash('sha256') : undefined;
    const path = `/v2/${repository}/blobs/${digest}`;
    const response = await leanGet(this.http.base, path, hash, this.http.authorization);
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}, expected 200: ${response.errorBody.slice(0, 500)}`);
    if (response.bytes !== size) throw new Error(`GET blob ${digest} gave ${response.bytes} bytes, expected ${size}`);
    if (hash) {
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest) throw new Error(`GET blob ${digest} gave content with digest ${actual}`);
    }
    return response.bytes;
  }

  async headBlob(repository: string, digest: string): Promise<HttpResponse> {
    return this.http.request({ method: 'HEAD', target: `/v2/${repository}/blobs/${digest}`, expect: 200 });
  }

  /** PUT /v2/<repo>/manifests/<reference> → 201; answers the Docker-Content-Digest. */
  async putManifest(repository: string, reference: string, body: Buffer, mediaType = ociManifest): Promise<string> {
    const response = await this.http.request({
      method: 'PUT',
      target: `/v2/${repository}/manifests/${reference}`,
      headers: { 'content-type': mediaType },
      body,
      expect: 201,
    });
    const digest = response.headers['docker-content-digest'];
    if (typeof digest !== 'string') throw new Error(`PUT manifest ${repository}:${reference} answered no Docker-Content-Digest`);
    return digest;
  }

  /** GET or HEAD /v2/<repo>/manifests/<reference> with the usual Accept list. */
  async manifest(repository: string, reference: string, method: 'GET' | 'HEAD' = 'GET'): Promise<HttpResponse> {
    return this.http.request({
      method,
      target: `/v2/${repository}/manifests/${reference}`,
      headers: { accept: manifestAccept },
      expect: 200,
    });
  }

  /**
   * A complete listing: GET `path` and every page its Link headers lead to. Answers the items (the JSON `key`
   * of each page) and the number of requests it took.
   */
  async listAll(path: string, key: 'tags' | 'repositories'): Promise<{ items: string[]; pages: number }> {
    const items: string[] = [];
    let target: string | URL | undefined = path;
    let pages = 0;
    while (target !== undefined) {
      const response = await this.http.request({ method: 'GET', target, expect: 200 });
      pages++;
      const page = JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
      const list = page[key];
      if (list !== null && list !== undefined && !Array.isArray(list)) throw new Error(`GET ${target.toString()}: "${key}" is not a list`);
      for (const item of (list ?? []) as string[]) items.push(item);
      const link = response.headers.link;
      target = nextLink(Array.isArray(link) ? link.join(', ') : link, this.http.url(target));
      if (pages > 100_000) throw new Error(`GET ${path}: more than 100,000 pages`);
    }
    return { items, pages };
  }

  #location(response: HttpResponse, what: string): URL {
    const location = response.headers.location;
    if (!location) throw new Error(`${what} answered ${response.status} without a Location`);
    // Berth answers a path, Distribution an absolute URL: both resolve against the base.
    return new URL(location, this.http.base);
  }

  #checkDigest(response: HttpResponse, digest: string): void {
    const answered = response.headers['docker-content-digest'];
    if (answered !== undefined && answered !== digest) {
      throw new Error(`push of ${digest} answered Docker-Content-Digest ${String(answered)}`);
    }
  }
}

/** The upload URL with ?digest= (or &digest= after the registry's own parameters). */
export function withDigest(location: URL, digest: string): URL {
  const url = new URL(location.href);
  url.search = `${url.search === '' ? '?' : `${url.search}&`}digest=${encodeURIComponent(digest)}`;
  return url;
}

/** The target of a `Link: <…>; rel="next"` header, resolved against the request's URL. */
export function nextLink(header: string | undefined, base: URL): URL | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part);
    if (match) return new URL(match[1]!, base);
  }
  return undefined;
}
