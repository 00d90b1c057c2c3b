import type { Hash } from 'node:crypto';
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

/** What to do with a response body. */
export type BodyMode =
  /** keep it (small bodies: manifests, lists, errors) */
  | 'buffer'
  /** count the bytes and drop them (blob pulls) */
  | 'discard'
  /** count the bytes and feed them to a hash (verified pulls) */
  | { readonly hash: Hash };

export interface RequestOptions {
  readonly method: string;
  /** A path ("/v2/…") or an absolute URL (Locations some registries answer with). */
  readonly target: string | URL;
  readonly headers?: OutgoingHttpHeaders;
  /** A small body, or a stream of chunks (set content-length in `headers` for it). */
  readonly body?: Buffer | string | Iterable<Buffer> | AsyncIterable<Buffer>;
  /** Status codes that count as success; anything else throws an HttpError. */
  readonly expect: number | readonly number[];
  readonly response?: BodyMode;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body, in 'buffer' mode (empty otherwise). */
  readonly body: Buffer;
  /** Bytes of body received. */
  readonly bytes: number;
}

/** A response other than expected, with the exchange that led to it, for the run's report. */
export class HttpError extends Error {
  constructor(
    readonly request: { method: string; url: string; headers: OutgoingHttpHeaders },
    readonly response: { status: number; headers: IncomingHttpHeaders; body: string },
    readonly expected: readonly number[],
  ) {
    super(`${request.method} ${request.url} answered ${response.status}, expected ${expected.join(' or ')}: ${response.body.slice(0, 500)}`);
    this.name = 'HttpError';
  }
}

const maxBufferedBody = 64 * 1024 * 1024;

export interface HttpClientOptions {
  /** Ends a request that receives nothing for this long (default 300 s). */
  readonly idleTimeoutMs?: number;
  /** An Authorization header sent with every request (a request's own `authorization` header takes precedence). */
  readonly authorization?: string;
}

/** The Authorization header of HTTP Basic. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Request headers as an error report shows them: credentials are not written to the results. */
function redacted(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  if (headers.authorization === undefined) return headers;
  const scheme = String(headers.authorization).split(' ')[0];
  return { ...headers, authorization: `${scheme} (redacted)` };
}

/**
 * The one HTTP client every registry is driven with: Node's http module over a keep-alive agent, bodies streamed
 * with backpressure, response bodies kept, discarded or hashed as they arrive.
 */
export class HttpClient {
  readonly base: URL;
  readonly agent: http.Agent;
  readonly authorization: string | undefined;
  private readonly idleTimeoutMs: number;

  constructor(baseUrl: string, maxSockets: number, options: HttpClientOptions = {}, agent?: http.Agent) {
    this.base = new URL(baseUrl);
    this.agent = agent ?? new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
    this.authorization = options.authorization;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  }

  /** A client on the same connections (the same agent) that sends `authorization` instead (none when undefined). */
  withAuthorization(authorization: string | undefined): HttpClient {
    return new HttpClient(this.base.href, 0, { idleTimeoutMs: this.idleTimeoutMs, authorization }, this.agent);
  }

  url(target: string | URL): URL {
    return target instanceof URL ? target : new URL(target, this.base);
  }

  request(options: RequestOptions): Promise<HttpResponse> {
    const url = this.url(options.target);
    const expected = typeof options.expect === 'number' ? [options.expect] : options.expect;
    const mode = options.response ?? 'buffer';
    const headers: OutgoingHttpHeaders = { ...(this.authorization !== undefined && { authorization: this.authorization }), ...options.headers };
    const body = options.body;
    const fixed = typeof body === 'string' ? Buffer.from(body) : Buffer.isBuffer(body) ? body : undefined;
    if (fixed) headers['content-length'] = fixed.length;
    else if (body === undefined && headers['content-length'] === undefined && ['PUT', 'POST', 'PATCH'].includes(options.method)) {
      headers['content-length'] = 0;
    }

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let responded = false;
      let sent = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        request.destroy();
        reject(error);
      };
      const request = http.request(url, { method: options.method, headers, agent: this.agent }, (response) => {
        responded = true;
        const status = response.statusCode ?? 0;
        const ok = expected.includes(status);
        const chunks: Buffer[] = [];
        let bytes = 0;
        const keep = !ok || mode === 'buffer';
        const hash = ok && typeof mode === 'object' ? mode.hash : undefined;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (hash) hash.update(chunk);
          else if (keep && bytes <= maxBufferedBody) chunks.push(chunk);
        });
        response.once('error', fail);
        response.once('end', () => {
          if (settled) return;
          settled = true;
          const received = keep ? Buffer.concat(chunks) : Buffer.alloc(0);
          // A response that came before the whole request body was sent leaves the connection unusable.
          if (!sent) request.destroy();
          if (!ok) {
            reject(new HttpError(
              { method: options.method, url: url.href, headers: redacted(headers) },
              { status, headers: response.headers, body: received.toString('utf8', 0, Math.min(received.length, 4000)) },
              expected));
            return;
          }
          resolve({ status, headers: response.headers, body: received, bytes });
        });
      });
      request.setTimeout(this.idleTimeoutMs, () => fail(new Error(`${options.method} ${url.href}: no data for ${this.idleTimeoutMs} ms`)));
      request.once('error', fail);

      if (fixed || body === undefined) {
        sent = true;
        request.end(fixed);
        return;
      }
      const stream = body as Iterable<Buffer> | AsyncIterable<Buffer>;
      void (async () => {
        for await (const chunk of stream) {
          if (settled || responded) return;
          if (!request.write(chunk)) {
            await new Promise<void>((drained) => {
              const done = (): void => {
                request.off('drain', done);
                request.off('close', done);
                drained();
              };
              request.on('drain', done);
              request.on('close', done);
            });
          }
        }
        if (!settled && !responded) {
          sent = true;
          request.end();
        }
      })().catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
