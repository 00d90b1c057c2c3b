/** Where an adapter is and how Berth authenticates to it (the configuration of one external scanner). */
export interface AdapterEndpoint {
  /** The scanner's name in Berth: in reports, failure reasons and metrics. */
  readonly name: string;
  /** The adapter's base URL; the API lives under `/api/v1`. */
  readonly url: string;
  /** Sent as the Authorization header to the adapter (`Bearer …` or `Basic …`). */
  readonly authorization: string | undefined;
}

/** Why talking to an adapter failed: it could not be reached, it refused or failed, it took too long, or it answered nonsense. */
export type AdapterFailureKind = 'unreachable' | 'refused' | 'timeout' | 'invalid';

/**
 * A scan (or a metadata check) an external scanner could not do. The message names the scanner, what was asked, the
 * HTTP status and the adapter's own words, since it becomes the scan's failure reason that people read.
 */
export class ExternalScannerError extends Error {
  constructor(readonly scanner: string, readonly kind: AdapterFailureKind, message: string, readonly status?: number) {
    super(message);
    this.name = 'ExternalScannerError';
  }
}

/** Bodies Berth reads from an adapter: a report of a large image is some megabytes; anything beyond this is not one. */
const maxBodyBytes = 64 * 1024 * 1024;
/** What an error answer's text may add to a failure reason. */
const maxMessageChars = 500;

/**
 * One request to an adapter's API (`{url}/api/v1{path}`). Redirects are not followed: a 302 is how the report
 * endpoint says "not ready yet". A network failure is an ExternalScannerError naming the scanner; an abort of
 * `signal` is passed on as it is, so the caller can tell a stopped job from a timeout.
 */
export async function adapterRequest(endpoint: AdapterEndpoint, method: 'GET' | 'POST', path: string,
  options: { accept: string; body?: unknown; contentType?: string; signal: AbortSignal }): Promise<Response> {
  const target = `${endpoint.url.replace(/\/+$/, '')}/api/v1${path}`;
  const headers: Record<string, string> = { accept: options.accept };
  if (endpoint.authorization !== undefined) headers.authorization = endpoint.authorization;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  try {
    return await fetch(target, {
      method, headers, redirect: 'manual', signal: options.signal,
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason ?? error;
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    throw new ExternalScannerError(endpoint.name, 'unreachable', `external scanner ${endpoint.name} could not be reached at ${target} (${cause})`);
  }
}

/** An answer's body as JSON, read up to a bound; an ExternalScannerError when it is too large or not JSON. */
export async function adapterJson(endpoint: AdapterEndpoint, what: string, response: Response): Promise<unknown> {
  const text = await boundedText(response);
  if (text === undefined) throw new ExternalScannerError(endpoint.name, 'invalid', `external scanner ${endpoint.name} sent ${what} larger than ${maxBodyBytes / 1024 / 1024} MiB`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ExternalScannerError(endpoint.name, 'invalid', `external scanner ${endpoint.name} sent ${what} that is not JSON: ${quote(text)}`);
  }
}

/**
 * An unexpected answer as an ExternalScannerError: the status and, from the spec's error body
 * (`application/vnd.scanner.adapter.error+json`, `{"error":{"message"}}`) or else the text, the adapter's words.
 */
export async function adapterFailure(endpoint: AdapterEndpoint, asked: string, response: Response): Promise<ExternalScannerError> {
  const text = (await boundedText(response)) ?? '';
  let said = text.trim();
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body?.error?.message === 'string') said = body.error.message;
  } catch {
    // Not the spec's error body: its text is what the adapter said.
  }
  return new ExternalScannerError(endpoint.name, 'refused',
    `external scanner ${endpoint.name} answered ${response.status} to ${asked}${said === '' ? '' : `: ${quote(said)}`}`, response.status);
}

async function boundedText(response: Response): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBodyBytes) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.body === null) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBodyBytes) return undefined;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An adapter's text, cut and on one line, for a failure reason. */
function quote(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > maxMessageChars ? `${line.slice(0, maxMessageChars)}…` : line;
}
