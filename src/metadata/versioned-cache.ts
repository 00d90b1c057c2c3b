/** How often a cache answered from memory (hits) and had to ask the store (misses). */
export interface CacheLookups {
  hits: number;
  misses: number;
}

const lookupsByName = new Map<string, CacheLookups>();

/**
 * Lookups of every cache since the process started, by the cache's name, for metrics to read when scraped: the
 * lookup itself only adds one to a number. Caches of the same name share their counts (one Berth per process in
 * production; in tests that start several, their figures add up).
 */
export function cacheLookups(): ReadonlyMap<string, Readonly<CacheLookups>> {
  return lookupsByName;
}

/**
 * A bounded in-process cache whose whole content is valid for one change version of the metadata store. Any write
 * anywhere (this process, another process on the same database) changes the version, and the next lookup starts
 * from empty: a cached answer is never older than the last write the store has seen. Reads between writes, the
 * common case of a registry, are answered from memory.
 *
 * Fill with the version read *before* the database read: a write that lands in between then makes the entry's
 * version stale, and the entry is dropped instead of outliving the write.
 */
export class VersionedCache<V> {
  readonly #entries = new Map<string, { value: V; cost: number }>();
  #version = Number.NaN;
  #cost = 0;
  readonly #lookups: CacheLookups;

  /** `name` labels the cache's hits and misses in metrics (`berth_cache_requests_total{cache}`). */
  constructor(
    private readonly maxCost: number,
    private readonly costOf: (value: V) => number,
    readonly name = 'unnamed',
  ) {
    let lookups = lookupsByName.get(name);
    if (lookups === undefined) {
      lookups = { hits: 0, misses: 0 };
      lookupsByName.set(name, lookups);
    }
    this.#lookups = lookups;
  }

  get(key: string, version: number): V | undefined {
    if (version !== this.#version) {
      this.#entries.clear();
      this.#cost = 0;
      this.#version = version;
      this.#lookups.misses++;
      return undefined;
    }
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#lookups.misses++;
      return undefined;
    }
    this.#lookups.hits++;
    return entry.value;
  }

  /**
   * The cached value, or `load`'s answer, cached for `version` (read it before calling, as above). A hit is answered
   * as it is, without a promise: callers on hot paths await it at no cost.
   */
  through(key: string, version: number, load: () => Promise<V>): V | Promise<V> {
    const cached = this.get(key, version);
    if (cached !== undefined) return cached;
    return load().then((value) => {
      this.set(key, value, version);
      return value;
    });
  }

  set(key: string, value: V, version: number): void {
    if (version !== this.#version) return;
    const cost = this.costOf(value);
    if (cost > this.maxCost / 8) return;
    const previous = this.#entries.get(key);
    if (previous) this.#cost -= previous.cost;
    this.#entries.set(key, { value, cost });
    this.#cost += cost;
    // Oldest first: Map iteration follows insertion order.
    for (const [oldest, entry] of this.#entries) {
      if (this.#cost <= this.maxCost) break;
      this.#entries.delete(oldest);
      this.#cost -= entry.cost;
    }
  }
}
