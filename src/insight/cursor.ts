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
  const refuse = (): never => {
    throw new RegistryError('INVALID_REQUEST', `last: "${value.slice(0, 60)}" is not a cursor of this ${list}: pass the "next" value (or follow the Link header) of the previous page`);
  };
  if (value.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(value)) refuse();
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    refuse();
  }
  if (!Array.isArray(parts) || parts.length < 2 || parts.length > 3) refuse();
  const [repository, tag, sortValue] = parts as unknown[];
  if (typeof repository !== 'string' || typeof tag !== 'string') refuse();
  if (sortValue !== undefined && (typeof sortValue !== 'number' || !Number.isFinite(sortValue))) refuse();
  return { repository: repository as string, tag: tag as string, value: sortValue as number | undefined };
}
