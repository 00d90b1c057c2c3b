import type { Hash } from 'node:crypto';
import { RegistryError } from '../errors/registry-error.js';

export interface BodyChecks {
  /** Every chunk is fed to this hash as it passes: the bytes are hashed once, on their way to storage. */
  readonly hasher?: Hash;
  /** The body must hold exactly this many bytes (a Content-Range or Content-Length the client declared). */
  readonly exactBytes?: number;
  /** The upload may not grow past this many bytes in all. */
  readonly maxBytes?: number;
}

/**
 * Wraps a request body so that it is hashed while it streams and its length is held to what was declared. A check
 * that fails throws from inside the iteration, so the blob store cuts the upload back and nothing partial remains.
 */
export async function* checkedBody(body: AsyncIterable<Buffer>, checks: BodyChecks): AsyncGenerator<Buffer> {
  const { hasher, exactBytes, maxBytes = Infinity } = checks;
  const limit = Math.min(exactBytes ?? Infinity, maxBytes);
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    if (seen > limit) {
      if (exactBytes !== undefined && seen > exactBytes) {
        throw new RegistryError('SIZE_INVALID', `body is longer than the ${exactBytes} bytes declared: send exactly the declared range`);
      }
      throw RegistryError.tooLarge(`blob is larger than this registry's limit of ${maxBytes} bytes`, maxBytes);
    }
    hasher?.update(chunk);
    yield chunk;
  }
  if (exactBytes !== undefined && seen !== exactBytes) {
    throw new RegistryError('SIZE_INVALID', `body held ${seen} bytes but ${exactBytes} were declared: send exactly the declared range`);
  }
}
