import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedTarget, TargetUrl } from './target-guard.js';

/** What one POST to a receiver came to. */
export interface PostResult {
  /** The receiver's status; undefined when no answer came (refused, unreachable, timed out, aborted). */
  readonly status: number | undefined;
  readonly headers: IncomingHttpHeaders;
  /** The first bytes of the answer's body, for the delivery log. */
  readonly body: string;
  /** Why no answer came. */
  readonly error: string | undefined;
  readonly durationMs: number;
}

const bodyKept = 512;
const bodyReadMax = 64 * 1024;

/**
 * POSTs a delivery to a receiver, connecting only to the checked addresses (a custom `lookup` hands Node's
 * connect those, so the name is not resolved again in between), over TLS checked against the URL's host name.
 * Redirects are never followed: Node's http client does not, and a 3xx is the receiver's answer like any other.
 * The whole exchange, body included, ends at `timeoutMs` or when `signal` aborts.
 */
export async function postDelivery(target: TargetUrl, resolved: ResolvedTarget, headers: Record<string, string>, body: string,
  timeoutMs: number, signal: AbortSignal): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  const pinned: LookupFunction = (_host, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? resolved.addresses.filter((a) => a.family === options.family) : resolved.addresses;
    const candidates = wanted.length > 0 ? wanted : resolved.addresses;
    // Node asks for every address when it may try several (autoSelectFamily), for one otherwise.
    if (options.all) callback(null, candidates.map(({ address, family }) => ({ address, family })));
    else callback(null, candidates[0]!.address, candidates[0]!.family);
  };
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const payload = Buffer.from(body, 'utf8');
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, durationMs: Math.round(elapsed()) });
    };
    const failed = (error: unknown) => {
      const why = deadline.aborted && !signal.aborted ? `no answer within ${timeoutMs / 1000} s` : describe(error);
      finish({ status: undefined, headers: {}, body: '', error: why });
    };
    const outgoing = send(target.url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(payload.length), 'user-agent': 'Berth-Webhooks/1' },
      lookup: pinned,
      agent: false,
      signal: deadline,
    }, (response) => {
      const chunks: Buffer[] = [];
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        if (read < bodyReadMax) chunks.push(chunk);
        read += chunk.length;
        // A receiver that streams without end is cut off: only its status matters.
        if (read >= bodyReadMax) response.destroy();
      });
      const done = () => finish({
        status: response.statusCode, headers: response.headers,
        body: Buffer.concat(chunks).subarray(0, bodyKept).toString('utf8'), error: undefined,
      });
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    outgoing.on('error', failed);
    outgoing.end(payload);
  });
}

function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
