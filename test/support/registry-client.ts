/**
 * Small helpers for speaking the OCI distribution API to a registry in protocol tests: digests, blob pushes in each
 * of the spec's forms, error-body checks, and lower-level HTTP (node:http with a fresh connection per request, and
 * raw bytes over node:net) for what fetch cannot express: unnormalised paths, truncated bodies, dropped sockets.
 *
 * Nothing here imports Berth's sources: the helpers compute digests and parse responses independently, so tests built
 * on them check Berth rather than agree with it.
 *
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequestRaw, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// ---------------------------------------------------------------------------------------------------------------
// Digests and content

export type DigestAlgorithm = 'sha256' | 'sha512';

/** `algorithm:hex` of the bytes, as the OCI image spec writes digests. */
export function digestOf(bytes: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export const sha256 = (bytes: Uint8Array | string): string => digestOf(bytes, 'sha256');
export const sha512 = (bytes: Uint8Array | string): string => digestOf(bytes, 'sha512');

/** The sha256 digest of zero bytes. */
export const emptyDigest = sha256(Buffer.alloc(0));

/** Random content of `size` bytes; random so that no two tests share a blob by accident. */
export function randomBlob(size: number): Buffer {
  return randomBytes(size);
}

/**
 * Bytes as a fetch body. Under TypeScript's DOM typings (which this project's tsconfig includes) a Buffer is not a
 * BodyInit; a Uint8Array over its own ArrayBuffer is. The copy is harmless at test sizes.
 */
export function bodyOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/** A repository name unique to one test (lowercase, valid), so tests never see each other's blobs. */
export function uniqueRepo(prefix = 'test'): string {
  return `${prefix}/r${randomBytes(5).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Error bodies

/** The codes the spec's error code table allows (code-1..code-14): "The `code` field MUST be one of the following". */
export const specErrorCodes: ReadonlySet<string> = new Set([
  'BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID', 'MANIFEST_UNKNOWN', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'UNAUTHORIZED', 'DENIED',
  'UNSUPPORTED', 'TOOMANYREQUESTS',
]);

export interface RegistryErrorEntry {
  readonly code: string;
  readonly message?: string;
  readonly detail?: unknown;
}

export interface ErrorBody {
  readonly errors: RegistryErrorEntry[];
}

/** Something with a status, headers and a body: a fetch Response or a raw/node:http response. */
export interface ResponseLike {
  readonly status: number;
  header(name: string): string | undefined;
  text(): Promise<string>;
}

/** Adapts a fetch Response to ResponseLike. */
export function fromFetch(response: Response): ResponseLike {
  return {
    status: response.status,
    header: (name) => response.headers.get(name) ?? undefined,
    text: () => response.text(),
  };
}

function asResponseLike(response: Response | ResponseLike): ResponseLike {
  return response instanceof Response ? fromFetch(response) : response;
}

/** Parses and checks the spec's error envelope `{"errors":[{"code","message","detail"}]}`. */
export function parseErrorBody(text: string, context = ''): ErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    assert.fail(`${context}expected a JSON error body, got: ${text.slice(0, 300)}`);
  }
  const body = parsed as { errors?: unknown };
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `${context}error body must hold a non-empty "errors" array: ${text.slice(0, 300)}`);
  for (const entry of body.errors as unknown[]) {
    const error = entry as Record<string, unknown>;
    assert.equal(typeof error.code, 'string', `${context}each error needs a string code: ${text.slice(0, 300)}`);
    assert.match(error.code as string, /^[A-Z_]+$/, `${context}codes hold only uppercase letters and underscores`);
    if (error.message !== undefined) assert.equal(typeof error.message, 'string', `${context}message, when present, is a string`);
  }
  return body as ErrorBody;
}

/**
 * Asserts an error response: its status, a JSON error body, and that `code` is the first error's code. Returns the
 * parsed body for further checks.
 */
export async function assertError(response: Response | ResponseLike, status: number, code: string, context = ''): Promise<ErrorBody> {
  const res = asResponseLike(response);
  const text = await res.text();
  const where = context ? `${context}: ` : '';
  assert.equal(res.status, status, `${where}expected status ${status}, got ${res.status} with body ${text.slice(0, 300)}`);
  assert.match(res.header('content-type') ?? '', /json/, `${where}an error body is JSON`);
  const body = parseErrorBody(text, where);
  assert.equal(body.errors[0]!.code, code, `${where}expected error code ${code}, got ${text.slice(0, 300)}`);
  return body;
}

/**
 * Asserts what the spec demands of any 4XX body: any format, but when JSON it must be the error envelope and every
 * code must come from the spec's table. Returns the codes found (empty for a non-JSON body).
 */
export async function assertSpecConformingErrorBody(response: Response | ResponseLike, context = ''): Promise<string[]> {
  const res = asResponseLike(response);
  const text = await res.text();
  const isJson = /json/.test(res.header('content-type') ?? '');
  if (!isJson) return [];
  const where = context ? `${context}: ` : '';
  const codes = parseErrorBody(text, where).errors.map((error) => error.code);
  for (const code of codes) {
    assert.ok(specErrorCodes.has(code),
      `${where}error code ${code} is not one of the spec's error codes (${[...specErrorCodes].join(', ')}); body: ${text.slice(0, 300)}`);
  }
  return codes;
}

// ---------------------------------------------------------------------------------------------------------------
// URLs

/** The blob URL of a repository. */
export function blobUrl(base: string, repository: string, digest: string): string {
  return `${base}/v2/${repository}/blobs/${digest}`;
}

/** The upload-start URL (end-4a), with optional query parameters. */
export function uploadsUrl(base: string, repository: string, query: Record<string, string> = {}): string {
  const params = new URLSearchParams(query).toString();
  return `${base}/v2/${repository}/blobs/uploads/${params ? `?${params}` : ''}`;
}

/** Resolves a Location header, relative or absolute, against the registry's base URL. */
export function resolveLocation(base: string, location: string | null | undefined): string {
  assert.ok(location, 'response must carry a Location header');
  return new URL(location, `${base}/`).toString();
}

/** Adds query parameters to a location, keeping any it already has (the spec lets a location carry critical ones). */
export function withQuery(location: string, params: Record<string, string>): string {
  const url = new URL(location);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

/** The last path segment of an upload location: the session id. */
export function uploadIdOf(location: string): string {
  return new URL(location).pathname.split('/').at(-1)!;
}

// ---------------------------------------------------------------------------------------------------------------
// Blob pushes over fetch

/** Pushes a blob in a single POST (end-4b) and asserts 201; resolves to its digest. */
export async function pushBlob(base: string, repository: string, bytes: Buffer, algorithm: DigestAlgorithm = 'sha256'): Promise<string> {
  const digest = digestOf(bytes, algorithm);
  const response = await postBlob(base, repository, digest, bytes);
  const text = await response.text();
  assert.equal(response.status, 201, `monolithic push of ${digest} to ${repository} answered ${response.status}: ${text.slice(0, 300)}`);
  return digest;
}

/** A single POST ?digest= (end-4b) with `body`, whatever the digest; the caller asserts the answer. */
export function postBlob(base: string, repository: string, digest: string, body: Buffer): Promise<Response> {
  return fetch(uploadsUrl(base, repository, { digest }), {
    method: 'POST', body: bodyOf(body), headers: { 'content-type': 'application/octet-stream' },
  });
}

/** A request with a body streamed in chunked transfer encoding (fetch needs `duplex: 'half'` for it). */
export function streamedRequest(method: string, parts: Buffer[], headers: Record<string, string> = {}): RequestInit {
  // `duplex` is missing from the DOM typings of RequestInit, but Node's fetch requires it for stream bodies.
  return { method, body: streamOf(parts), duplex: 'half', headers: { 'content-type': 'application/octet-stream', ...headers } } as RequestInit;
}

export interface UploadSession {
  /** The absolute upload URL (the Location of the last response, resolved). */
  location: string;
  /** Docker-Upload-UUID of the POST response. */
  readonly uuid: string | undefined;
  readonly response: Response;
}

/** Opens an upload session (end-4a) and asserts 202 with a Location. */
export async function startUpload(base: string, repository: string, query: Record<string, string> = {}): Promise<UploadSession> {
  const response = await fetch(uploadsUrl(base, repository, query), { method: 'POST', headers: { 'content-length': '0' } });
  if (response.status !== 202) assert.fail(`POST ${repository}/blobs/uploads/ answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  await response.arrayBuffer();
  return {
    location: resolveLocation(base, response.headers.get('location')),
    uuid: response.headers.get('docker-upload-uuid') ?? undefined,
    response,
  };
}

export interface ChunkOptions {
  /** Content-Range to send, "start-end"; omit for a streamed PATCH. */
  readonly range?: string;
  readonly headers?: Record<string, string>;
}

/** Sends one PATCH to an upload location; the caller asserts the answer. */
export function patchChunk(location: string, bytes: Buffer, options: ChunkOptions = {}): Promise<Response> {
  return fetch(location, {
    method: 'PATCH',
    body: bodyOf(bytes),
    headers: {
      'content-type': 'application/octet-stream',
      ...(options.range !== undefined && { 'content-range': options.range }),
      ...options.headers,
    },
  });
}

/** Sends a PATCH whose body is streamed with chunked transfer encoding (no Content-Length). */
export function patchStreamed(location: string, parts: Buffer[], headers: Record<string, string> = {}): Promise<Response> {
  return fetch(location, streamedRequest('PATCH', parts, headers));
}

/** A request body that fetch sends with Transfer-Encoding: chunked. */
export function streamOf(parts: Buffer[]): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < parts.length) controller.enqueue(new Uint8Array(parts[index++]!));
      else controller.close();
    },
  });
}

/** Closes a session with PUT ?digest= (end-6), with an optional last chunk; the caller asserts the answer. */
export function completeUpload(location: string, digest: string | undefined, body?: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  const target = digest === undefined ? location : withQuery(location, { digest });
  return fetch(target, {
    method: 'PUT',
    ...(body !== undefined ? { body: bodyOf(body) } : {}),
    headers: { 'content-type': 'application/octet-stream', ...(body === undefined && { 'content-length': '0' }), ...headers },
  });
}

/** Pushes a blob as a session with the given chunk sizes (Content-Range PATCHes) then a bodiless PUT; asserts success. */
export async function pushBlobChunked(base: string, repository: string, bytes: Buffer, chunkSizes: number[],
  algorithm: DigestAlgorithm = 'sha256'): Promise<string> {
  const session = await startUpload(base, repository, algorithm === 'sha256' ? {} : { 'digest-algorithm': algorithm });
  let offset = 0;
  for (const size of chunkSizes) {
    const chunk = bytes.subarray(offset, offset + size);
    const response = await patchChunk(session.location, chunk, { range: `${offset}-${offset + chunk.length - 1}` });
    assert.equal(response.status, 202, `chunk at ${offset} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    session.location = resolveLocation(base, response.headers.get('location'));
    offset += chunk.length;
  }
  const rest = bytes.subarray(offset);
  const digest = digestOf(bytes, algorithm);
  const response = rest.length > 0
    ? await completeUpload(session.location, digest, rest, { 'content-range': `${offset}-${bytes.length - 1}` })
    : await completeUpload(session.location, digest);
  assert.equal(response.status, 201, `closing PUT answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return digest;
}

/** GET of an upload location (end-13). */
export function uploadStatus(location: string): Promise<Response> {
  return fetch(location);
}

/** HEAD of a blob; resolves to the status (the body is empty by definition). */
export async function headBlobStatus(base: string, repository: string, digest: string): Promise<number> {
  const response = await fetch(blobUrl(base, repository, digest), { method: 'HEAD' });
  await response.arrayBuffer();
  return response.status;
}

/** GETs a blob and returns its bytes, asserting 200. */
export async function pullBlob(base: string, repository: string, digest: string): Promise<Buffer> {
  const response = await fetch(blobUrl(base, repository, digest));
  const body = Buffer.from(await response.arrayBuffer());
  assert.equal(response.status, 200, `GET ${repository}@${digest} answered ${response.status}: ${body.toString().slice(0, 300)}`);
  return body;
}

// ---------------------------------------------------------------------------------------------------------------
// Lower-level HTTP

export interface RawResponse extends ResponseLike {
  readonly headers: IncomingHttpHeaders | Record<string, string>;
  readonly body: Buffer;
}

function rawResponse(status: number, headers: Record<string, string | string[] | undefined>, body: Buffer): RawResponse {
  return {
    status,
    headers: headers as IncomingHttpHeaders,
    body,
    header(name) {
      const value = headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    text: async () => body.toString('utf8'),
  };
}

export interface HttpOptions {
  readonly method: string;
  /** Sent exactly as given (node:http does not normalise `..` or percent-escapes the way fetch's URL parser does). */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
}

/**
 * One request over node:http on a connection of its own (agent: false, Connection: close): the path reaches the
 * server verbatim, and every call is a fresh TCP connection, as a client that reconnected.
 */
export function httpRequest(base: string, options: HttpOptions): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolvePromise, reject) => {
    const req = httpRequestRaw({
      host: hostname, port: Number(port), method: options.method, path: options.path, agent: false,
      headers: {
        connection: 'close',
        ...(options.body !== undefined ? { 'content-length': String(options.body.length) } : {}),
        ...options.headers,
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolvePromise(rawResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Parses an HTTP/1.1 response from raw bytes (status line, headers, body by Content-Length or chunked). */
export function parseRawHttpResponse(raw: Buffer): RawResponse & { readonly rawBodyBytes: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  assert.ok(end !== -1, `no complete HTTP response head in: ${raw.toString('latin1').slice(0, 300)}`);
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  assert.ok(status > 0, `malformed status line: ${statusLine}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rawBodyBytes = raw.subarray(end + 4);
  let body = rawBodyBytes;
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let at = 0;
    while (at < rawBodyBytes.length) {
      const lineEnd = rawBodyBytes.indexOf('\r\n', at);
      if (lineEnd === -1) break;
      const size = parseInt(rawBodyBytes.subarray(at, lineEnd).toString('latin1'), 16);
      if (!(size > 0)) break;
      parts.push(rawBodyBytes.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    body = rawBodyBytes.subarray(0, Number(headers['content-length']));
  }
  return { ...rawResponse(status, headers, body), rawBodyBytes };
}

/**
 * Writes raw bytes on a new TCP connection and collects everything the server sends until it closes the connection
 * (send `Connection: close` in the request). For requests fetch and node:http refuse to produce.
 */
export function rawExchange(base: string, request: Buffer | string): Promise<Buffer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => socket.end());
    socket.on('close', () => resolvePromise(Buffer.concat(chunks)));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the server answered still leaves the answer readable.
      if (chunks.length > 0 && error.code === 'ECONNRESET') return;
      reject(error);
    });
    socket.write(request);
  });
}

/** rawExchange, parsed. */
export async function rawRequest(base: string, request: Buffer | string): Promise<ReturnType<typeof parseRawHttpResponse>> {
  return parseRawHttpResponse(await rawExchange(base, request));
}

/**
 * Sends a request head and part of its body on a new connection, waits until those bytes are on the wire, then
 * destroys the socket: a client that died mid-body. Any answer the server sent before is returned.
 */
export function sendTruncated(base: string, head: string, partialBody: Buffer): Promise<Buffer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolvePromise(Buffer.concat(chunks)));
    socket.once('connect', () => {
      socket.write(head);
      socket.write(partialBody, (error) => {
        if (error) reject(error);
        else socket.destroy();
      });
    });
  });
}

/** The head of a raw HTTP/1.1 request (ends with the blank line); Host and Connection: close are added. */
export function requestHead(base: string, method: string, path: string, headers: Record<string, string> = {}): string {
  const { host } = new URL(base);
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A body in chunked transfer encoding, one HTTP chunk per part, with the terminating zero chunk. */
export function chunkedEncoding(parts: Buffer[]): Buffer {
  const pieces: Buffer[] = [];
  for (const part of parts) {
    if (part.length === 0) continue;
    pieces.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(pieces);
}

// ---------------------------------------------------------------------------------------------------------------
// Storage inspection and polling

/** Every file under a folder, recursively, as paths relative to it ([] when the folder is absent). */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative ? join(relative, entry.name) : entry.name;
      if (entry.isDirectory()) walk(path);
      else found.push(path);
    }
  };
  walk('');
  return found.sort();
}

/** Files holding blob content in a Berth data folder. */
export const blobFiles = (dataDir: string): string[] => listFiles(join(dataDir, 'storage', 'blobs'));

/** Upload areas in a Berth data folder. */
export const uploadFiles = (dataDir: string): string[] => listFiles(join(dataDir, 'storage', 'uploads'));

/** Size of an upload area, or undefined when it does not exist. */
export function uploadFileSize(dataDir: string, id: string): number | undefined {
  const path = join(dataDir, 'storage', 'uploads', id);
  return existsSync(path) ? statSync(path).size : undefined;
}

/**
 * Polls `probe` until it returns a value other than undefined, up to `attempts` times `intervalMs` apart; fails
 * with `what` otherwise. A bounded loop, not a timing assertion: the bound only keeps a broken registry from
 * hanging the run.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined,
  { attempts = 200, intervalMs = 50 }: { attempts?: number; intervalMs?: number } = {}): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(intervalMs);
  }
  assert.fail(`gave up waiting for ${what}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Tiny images, for tests about manifests and tags rather than bytes

const ociManifestMediaType = 'application/vnd.oci.image.manifest.v1+json';

/** An OCI image manifest with the given config and no layers. */
export function tinyImageManifest(config: Buffer): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: ociManifestMediaType,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [],
  }));
}

/** Pushes a tiny image whose config holds `marker` (so each marker is a different manifest); answers its digest. */
export async function pushTinyImage(url: string, repository: string, tag: string, marker: string): Promise<string> {
  const config = Buffer.from(JSON.stringify({ marker }));
  await pushBlob(url, repository, config);
  const manifest = tinyImageManifest(config);
  const response = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT', body: bodyOf(manifest), headers: { 'content-type': ociManifestMediaType },
  });
  assert.equal(response.status, 201, await response.text());
  return sha256(manifest);
}

/** The digest a tag resolves to by GET or HEAD, or the status when it does not resolve. */
export async function digestOfTag(url: string, repository: string, tag: string, method = 'GET'): Promise<string | number> {
  const response = await fetch(`${url}/v2/${repository}/manifests/${tag}`, { method });
  await response.arrayBuffer();
  return response.status === 200 ? response.headers.get('docker-content-digest')! : response.status;
}
