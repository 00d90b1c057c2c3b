import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/**
 * Small, valid OCI and Docker manifests and indexes for protocol tests, and the few HTTP calls needed to push them.
 * Everything here speaks plain HTTP through Node's fetch (or node:net for requests fetch refuses to send), so the
 * tests exercise Berth exactly as a registry client would. Layer contents are opaque random bytes: a registry
 * never opens a layer, it only checks that the blob a descriptor names is there.
 */

export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociNondistributableLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export type ImageFlavour = 'oci' | 'docker';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface Blob {
  readonly bytes: Buffer;
  readonly descriptor: Descriptor;
}

/** A manifest or index ready to push: its exact bytes, the digest of those bytes and the type to send. */
export interface BuiltManifest {
  readonly json: Record<string, unknown>;
  readonly bytes: Buffer;
  readonly digest: string;
  readonly sha512: string;
  readonly mediaType: string;
  readonly size: number;
  /** The blobs it references (config and layers), to push before the manifest. */
  readonly blobs: readonly Blob[];
  /** A descriptor of this manifest, for an index's `manifests` or a referrer's `subject`. */
  readonly descriptor: Descriptor;
}

export const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
export const sha512 = (bytes: Buffer | string): string => `sha512:${createHash('sha512').update(bytes).digest('hex')}`;

/** A digest of content nobody pushed. */
export const randomDigest = (): string => sha256(randomBytes(32));

export function blobOf(bytes: Buffer | string, mediaType: string): Blob {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return { bytes: buffer, descriptor: { mediaType, digest: sha256(buffer), size: buffer.length } };
}

/** Serialises a manifest object the way the tests push it, and describes the result. */
export function finish(json: Record<string, unknown>, mediaType: string, blobs: readonly Blob[] = []): BuiltManifest {
  return fromBytes(Buffer.from(JSON.stringify(json, null, 2)), mediaType, blobs, json);
}

/** Describes exact bytes (which need not be what JSON.stringify would produce) as a manifest of `mediaType`. */
export function fromBytes(bytes: Buffer, mediaType: string, blobs: readonly Blob[] = [],
  json: Record<string, unknown> = {}): BuiltManifest {
  const digest = sha256(bytes);
  return {
    json, bytes, digest, sha512: sha512(bytes), mediaType, size: bytes.length, blobs,
    descriptor: { mediaType, digest, size: bytes.length },
  };
}

export interface ImageOptions {
  flavour?: ImageFlavour;
  /** Number of layers (default 1). */
  layers?: number;
  artifactType?: string;
  /** Replaces the generated config blob (for artifacts: the empty descriptor, or a custom config type). */
  config?: Blob;
  subject?: Descriptor;
  annotations?: Record<string, string>;
  /** Extra layer descriptors appended as they are (foreign layers, lies), with no blob to push. */
  extraLayers?: Descriptor[];
  /** Leave out `mediaType` from the manifest body (allowed for OCI, where it is only a SHOULD). */
  omitMediaType?: boolean;
}

/** An image manifest with a unique config and random layers, OCI (default) or Docker v2 schema 2. */
export function buildImage(options: ImageOptions = {}): BuiltManifest {
  const flavour = options.flavour ?? 'oci';
  const layerType = flavour === 'oci' ? mediaTypes.ociLayer : mediaTypes.dockerLayer;
  const layers = Array.from({ length: options.layers ?? 1 }, () => blobOf(randomBytes(64), layerType));
  const config = options.config ?? blobOf(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { 'test.unique': randomBytes(8).toString('hex') } },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.descriptor.digest) },
  }), flavour === 'oci' ? mediaTypes.ociConfig : mediaTypes.dockerConfig);
  const mediaType = flavour === 'oci' ? mediaTypes.ociManifest : mediaTypes.dockerManifest;
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    ...(!options.omitMediaType && { mediaType }),
    ...(options.artifactType !== undefined && { artifactType: options.artifactType }),
    config: config.descriptor,
    layers: [...layers.map((layer) => layer.descriptor), ...(options.extraLayers ?? [])],
    ...(options.subject && { subject: options.subject }),
    ...(options.annotations && { annotations: options.annotations }),
  };
  return finish(json, mediaType, [config, ...layers]);
}

/** The empty JSON blob `{}` the image spec recommends as the config of an artifact with no config. */
export const emptyConfig = (): Blob => blobOf('{}', mediaTypes.ociEmpty);

/** An artifact manifest (an image manifest with the empty config and one layer) that refers to `subject`. */
export function buildArtifact(subject: Descriptor | undefined, artifactType: string | undefined,
  annotations?: Record<string, string>): BuiltManifest {
  const layer = blobOf(randomBytes(48), 'application/vnd.example.payload');
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    ...(artifactType !== undefined && { artifactType }),
    config: emptyConfig().descriptor,
    layers: [layer.descriptor],
    ...(subject && { subject }),
    ...(annotations && { annotations }),
  };
  return finish(json, mediaTypes.ociManifest, [emptyConfig(), layer]);
}

export interface IndexOptions {
  flavour?: ImageFlavour;
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

const platforms = [
  { architecture: 'amd64', os: 'linux' },
  { architecture: 'arm64', os: 'linux', variant: 'v8' },
  { architecture: 's390x', os: 'linux' },
];

/** An OCI index (default) or Docker manifest list over `children`, each given a platform. */
export function buildIndex(children: readonly BuiltManifest[], options: IndexOptions = {}): BuiltManifest {
  const mediaType = (options.flavour ?? 'oci') === 'oci' ? mediaTypes.ociIndex : mediaTypes.dockerManifestList;
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    ...(options.artifactType !== undefined && { artifactType: options.artifactType }),
    manifests: children.map((child, i) => ({ ...child.descriptor, platform: platforms[i % platforms.length] })),
    ...(options.subject && { subject: options.subject }),
    ...(options.annotations && { annotations: options.annotations }),
  };
  return finish(json, mediaType);
}

/** A Buffer as a fetch body (a copy typed as fetch wants it). */
export function asBody(bytes: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/** Pushes one blob in a single POST (`?digest=`), the simplest upload every registry must take. */
export async function pushBlob(url: string, repository: string, blob: Blob | Buffer): Promise<Descriptor> {
  const bytes = Buffer.isBuffer(blob) ? blob : blob.bytes;
  const digest = sha256(bytes);
  const response = await fetch(`${url}/v2/${repository}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: asBody(bytes) });
  const text = await response.text();
  assert.equal(response.status, 201, `blob push to ${repository} answered ${response.status}: ${text}`);
  return Buffer.isBuffer(blob) ? { mediaType: 'application/octet-stream', digest, size: bytes.length } : blob.descriptor;
}

export async function pushBlobs(url: string, repository: string, manifest: BuiltManifest): Promise<void> {
  for (const blob of manifest.blobs) await pushBlob(url, repository, blob);
}

/** PUT a manifest's bytes, by default with its own media type as Content-Type. */
export async function putManifest(url: string, repository: string, reference: string, manifest: BuiltManifest | Buffer,
  contentType?: string | null): Promise<Response> {
  const bytes = Buffer.isBuffer(manifest) ? manifest : manifest.bytes;
  const type = contentType === undefined && !Buffer.isBuffer(manifest) ? manifest.mediaType : contentType;
  const headers: Record<string, string> = {};
  if (type !== null && type !== undefined) headers['content-type'] = type;
  return fetch(`${url}/v2/${repository}/manifests/${reference}`, { method: 'PUT', headers, body: asBody(bytes) });
}

/** Pushes a manifest's blobs, then the manifest, and insists on 201. */
export async function pushManifest(url: string, repository: string, reference: string, manifest: BuiltManifest): Promise<Response> {
  await pushBlobs(url, repository, manifest);
  const response = await putManifest(url, repository, reference, manifest);
  if (response.status !== 201) {
    assert.fail(`manifest push to ${repository}:${reference} answered ${response.status}: ${await response.text()}`);
  }
  return response;
}

/**
 * Pushes a manifest's blobs (each in one POST) and then the manifest, sending `authorization` (an Authorization header
 * value) with each request, and insists on 201 from each.
 */
export async function pushManifestAs(url: string, authorization: string, repository: string, reference: string, manifest: BuiltManifest): Promise<void> {
  const send = async (path: string, method: string, body: Buffer, contentType: string): Promise<void> => {
    const response = await fetch(`${url}/v2/${repository}/${path}`, { method, headers: { authorization, 'content-type': contentType }, body: asBody(body) });
    assert.equal(response.status, 201, `${method} ${repository}/${path}: ${response.status} ${await response.text()}`);
  };
  for (const blob of manifest.blobs) await send(`blobs/uploads/?digest=${blob.descriptor.digest}`, 'POST', blob.bytes, 'application/octet-stream');
  await send(`manifests/${reference}`, 'PUT', manifest.bytes, manifest.mediaType);
}

/** Pushes each child of an index (by digest), then the index itself under `reference`. */
export async function pushIndex(url: string, repository: string, reference: string, index: BuiltManifest,
  children: readonly BuiltManifest[]): Promise<Response> {
  for (const child of children) await pushManifest(url, repository, child.digest, child);
  return pushManifest(url, repository, reference, index);
}

export function getManifest(url: string, repository: string, reference: string, accept?: string, method = 'GET'): Promise<Response> {
  return fetch(`${url}/v2/${repository}/manifests/${reference}`, { method, headers: accept === undefined ? {} : { accept } });
}

/** Accept header listing every manifest type Berth stores, as a modern client sends it. */
export const acceptAll = [
  mediaTypes.ociManifest, mediaTypes.ociIndex, mediaTypes.dockerManifest, mediaTypes.dockerManifestList,
].join(', ');

export interface ErrorBody {
  errors: { code: string; message?: string; detail?: unknown }[];
}

/**
 * Reads a spec error body, checks its shape (`{"errors":[{"code","message","detail"}]}`, codes of uppercase letters
 * and underscores) and returns it. https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
export async function readErrors(response: Response): Promise<ErrorBody> {
  const text = await response.text();
  let body: ErrorBody;
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    assert.fail(`error body is not JSON (status ${response.status}): ${text.slice(0, 300)}`);
  }
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `no errors array in ${text.slice(0, 300)}`);
  for (const error of body.errors) {
    assert.match(error.code, /^[A-Z_]+$/, `error code ${error.code} is not uppercase letters and underscores`);
    if (error.message !== undefined) assert.equal(typeof error.message, 'string');
  }
  return body;
}

/** Asserts the status and the first error's code, and returns the first error. */
export async function expectError(response: Response, status: number, code: string | readonly string[]):
  Promise<ErrorBody['errors'][number]> {
  const body = await readErrors(response);
  const first = body.errors[0]!;
  assert.equal(response.status, status, `expected ${status} ${String(code)}, got ${response.status}: ${JSON.stringify(body)}`);
  const codes = typeof code === 'string' ? [code] : code;
  assert.ok(codes.includes(first.code), `expected code ${codes.join(' or ')}, got ${JSON.stringify(body)}`);
  return first;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** The body as latin1 text (bytes preserved one to one). */
  readonly body: string;
  readonly bodyBytes: Buffer;
}

/**
 * Sends bytes as they are over a TCP connection and reads until the server closes it: for request lines fetch would
 * normalise (`..` segments) or refuse to send. The request should carry `Connection: close`.
 */
export function rawRequest(baseUrl: string, request: string | Buffer): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.end(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const text = all.toString('latin1');
      const headerEnd = text.indexOf('\r\n\r\n');
      const head = headerEnd === -1 ? text : text.slice(0, headerEnd);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const bodyBytes = headerEnd === -1 ? Buffer.alloc(0) : all.subarray(headerEnd + 4);
      resolve({ status, headers, body: bodyBytes.toString('latin1'), bodyBytes });
    });
  });
}

/** A GET or HEAD with exactly the headers given (fetch always adds Accept: *\/*), over a fresh connection. */
export function rawGet(baseUrl: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  const { host } = new URL(baseUrl);
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return rawRequest(baseUrl, `${lines.join('\r\n')}\r\n\r\n`);
}

/** A request body sent chunked (no Content-Length), in pieces of `pieceSize` bytes. */
export function chunkedBody(bytes: Buffer, pieceSize = 256): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(new Uint8Array(bytes.subarray(offset, offset + pieceSize)));
      offset += pieceSize;
    },
  });
}

/** PUT a manifest with a chunked body: fetch sends no Content-Length for a stream. */
export function putManifestChunked(url: string, repository: string, reference: string, bytes: Buffer,
  contentType: string, pieceSize = 256): Promise<Response> {
  return fetch(`${url}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': contentType },
    body: chunkedBody(bytes, pieceSize),
    duplex: 'half',
  } as RequestInit);
}

/**
 * Pads a manifest's annotations so its serialised form is exactly `size` bytes (it must be smaller to begin with).
 * Returns the manifest with the padding annotation set.
 */
export function padToSize(json: Record<string, unknown>, mediaType: string, size: number, blobs: readonly Blob[] = []): BuiltManifest {
  const withPad = (pad: string): Buffer => Buffer.from(JSON.stringify({
    ...json, annotations: { ...(json.annotations as Record<string, string> | undefined), 'test.padding': pad },
  }));
  const base = withPad('').length;
  assert.ok(base <= size, `manifest is already ${base} bytes, more than ${size}`);
  const bytes = withPad('x'.repeat(size - base));
  assert.equal(bytes.length, size);
  return fromBytes(bytes, mediaType, blobs, JSON.parse(bytes.toString()) as Record<string, unknown>);
}

/** Follows `rel="next"` Link headers from `path`, collecting one list field of each page. */
export async function walkPages(baseUrl: string, path: string, field: 'tags' | 'repositories'):
  Promise<{ items: string[]; pages: number }> {
  const items: string[] = [];
  let next: string | undefined = path;
  let pages = 0;
  while (next !== undefined) {
    const response: Response = await fetch(new URL(next, baseUrl));
    assert.equal(response.status, 200, `page ${next} answered ${response.status}`);
    const body = await response.json() as Record<string, string[]>;
    items.push(...(body[field] ?? []));
    pages += 1;
    assert.ok(pages < 1000, 'pagination does not end');
    next = nextLink(response.headers.get('link'));
  }
  return { items, pages };
}

/** The target of a `rel="next"` Link header (RFC 8288), or undefined. */
export function nextLink(header: string | null): string | undefined {
  if (header === null) return undefined;
  const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(header);
  assert.ok(match, `Link header "${header}" has no rel="next" target`);
  return match[1];
}
