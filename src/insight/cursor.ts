import { RegistryError } from '../errors/registry-error.js';
import type { TagCursor } from '../metadata/insight-store.js';

/**
 * Page cursors of the query API and tag lists: where the last page stopped (its last row's sort value, repository
 * and tag), as base64url JSON. Opaque to clients, which pass back what `next` or the Link header gave them; a cursor
 * that does not decode is refused with the reason rather than starting over.
 */
export function encodeCursor(cursor: TagCursor): string {
  const parts: (string | number)[] = [cursor.repository, cursor.tag];
  if (cursor.value !== undefined) parts.push(cursor.value);
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(value: string, list: string): TagCursor {
  const parts = cursorParts(value, list, (count) => count >= 2 && count <= 3);
  const refuse = (): never => refuseCursor(value, list);
  const [repository, tag, sortValue] = parts as unknown[];
  if (typeof repository !== 'string' || typeof tag !== 'string') refuse();
  if (sortValue !== undefined && (typeof sortValue !== 'number' || !Number.isFinite(sortValue))) refuse();
  return { repository: repository as string, tag: tag as string, value: sortValue as number | undefined };
}

/**
 * The JSON array a cursor of `list` holds, of a length `fits` accepts; anything else is refused as no cursor of it.
 * Shared by every list paged this way, so that each refuses a foreign or broken cursor alike.
 */
export function cursorParts(value: string, list: string, fits: (length: number) => boolean): unknown[] {
  if (value.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(value)) refuseCursor(value, list);
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    refuseCursor(value, list);
  }
  if (!Array.isArray(parts) || !fits(parts.length)) refuseCursor(value, list);
  return parts as unknown[];
}

export function refuseCursor(value: string, list: string): never {
  throw new RegistryError('INVALID_REQUEST', `last: "${value.slice(0, 60)}" is not a cursor of this ${list}: pass the "next" value (or follow the Link header) of the previous page`);
}
