/** Keyset pagination for the administration API's lists. */
export interface PageQuery {
  readonly limit: number;
  /** The key of the last item of the previous page; the page starts after it. */
  readonly after?: string | undefined;
}

export interface Page<T> {
  readonly items: T[];
  /** The key to pass as `last` for the next page; undefined on the last page. */
  readonly next: string | undefined;
}

/** A page from rows read with `limit + 1`: the extra row, if there, only says that more follow. */
export function pageOf<T>(rows: readonly T[], limit: number, keyOf: (item: T) => string): Page<T> {
  if (rows.length <= limit) return { items: [...rows], next: undefined };
  const items = rows.slice(0, limit);
  return { items, next: keyOf(items[items.length - 1]!) };
}

/**
 * A page of a list held whole in memory (a project's members, a user's CLI secrets: short lists the store answers
 * in one read), by the same keyset rule: items sorted by key, those after `after`. Keys compare as strings, or as
 * numbers when `numeric`, so that a page boundary survives items added or removed between requests.
 */
export function pageInMemory<T>(all: readonly T[], page: PageQuery, keyOf: (item: T) => string, numeric = false): Page<T> {
  const compare = numeric
    ? (a: string, b: string) => Number(a) - Number(b)
    : (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = [...all].sort((a, b) => compare(keyOf(a), keyOf(b)));
  const after = page.after;
  const rest = after === undefined ? sorted : sorted.filter((item) => compare(keyOf(item), after) > 0);
  return pageOf(rest.slice(0, page.limit + 1), page.limit, keyOf);
}
