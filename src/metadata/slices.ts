/**
 * Rows or values per statement. SQLite binds at most 32,766 variables and PostgreSQL 65,535; a 4 MiB manifest can
 * name tens of thousands of descriptors, so large lists go in slices of this size.
 */
const batchSize = 1000;

/** `items` in consecutive slices of at most `size`. */
export function* slices<T>(items: readonly T[], size = batchSize): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
