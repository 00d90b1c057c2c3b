import { RegistryError } from '../errors/registry-error.js';
import type { ByteRange } from '../storage/blob-store.js';

/**
 * Resolves an HTTP Range header (RFC 9110 section 14.1.2) against content of `size` bytes. Only single ranges are
 * served; a header with several ranges, or of another unit, is ignored and the whole content is sent, as the RFC
 * allows. A range that starts past the end throws RANGE_NOT_SATISFIABLE (416) carrying the content's size, which the
 * HTTP layer sends as `Content-Range: bytes * /size`.
 */
export function resolveRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const unsatisfiable = (): RegistryError => new RegistryError('RANGE_NOT_SATISFIABLE',
    `range "${header}" is outside the content's ${size} bytes: ask for a range within 0-${Math.max(size - 1, 0)}`,
    { size }, { contentSize: size });

  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}
