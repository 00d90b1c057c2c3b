import type { Hash } from 'node:crypto';
import { RegistryError } from '../errors/registry-error.js';

/** The configured blob limit and what the upload held before this body: the body may bring the difference. */
export interface BlobLimit {
  readonly maxBytes: number;
  readonly heldBytes: number;
}

export interface BodyChecks {
  /** Every chunk is fed to this hash as it passes: the bytes are hashed once, on their way to storage. */
  readonly hasher?: Hash;
  /** The body must hold exactly this many bytes (a Content-Range or Content-Length the client declared). */
  readonly exactBytes?: number;
  /** The upload may not grow past the limit in all. */
  readonly limit?: BlobLimit;
}

/**
 * Wraps a request body so that it is hashed while it streams and its length is held to what was declared. A check
 * that fails throws from inside the iteration, so the blob store cuts the upload back and nothing partial remains.
 */
export async function* checkedBody(body: AsyncIterable<Buffer>, checks: BodyChecks): AsyncGenerator<Buffer> {
  const { hasher, exactBytes, limit } = checks;
  const allowance = limit ? limit.maxBytes - limit.heldBytes : Infinity;
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    if (exactBytes !== undefined && seen > exactBytes) {
      throw new RegistryError('SIZE_INVALID', `body is longer than the ${exactBytes} bytes declared: send exactly the declared range`);
    }
    if (seen > allowance) throw blobTooLarge(limit!);
    hasher?.update(chunk);
    yield chunk;
  }
  if (exactBytes !== undefined && seen !== exactBytes) {
    throw new RegistryError('SIZE_INVALID', `body held ${seen} bytes but ${exactBytes} were declared: send exactly the declared range`);
  }
}

/**
 * TOO_LARGE for a blob that would pass `limits.blobMaxBytes`, naming the configured limit and, for a chunk that
 * continues an upload, the bytes the upload already holds: two numbers, never their difference called "the limit".
 */
export function blobTooLarge(limit: BlobLimit): RegistryError {
  const { maxBytes, heldBytes } = limit;
  const what = heldBytes === 0 ? `blob is larger than this registry's limit of ${maxBytes} bytes`
    : `blob would pass this registry's limit of ${maxBytes} bytes: the upload holds ${heldBytes} bytes and this chunk brings more than the ${Math.max(maxBytes - heldBytes, 0)} left`;
  return RegistryError.tooLarge(`${what}; push a smaller blob, or ask an administrator to raise limits.blobMaxBytes`, maxBytes, { held: heldBytes });
}
