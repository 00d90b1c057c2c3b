/**
 * The route labels of the distribution API's endpoints: a template each, never the path itself, which holds
 * repository names, tags and digests (unbounded label values would swamp Prometheus).
 */
export const v2RouteLabels = {
  base: 'base',
  catalog: 'catalog',
  blobUpload: 'blob_upload',
  blob: 'blob',
  manifest: 'manifest',
  tags: 'tags',
  referrers: 'referrers',
} as const;

/** The route label of a request no route answered (404s, and /v2/ paths that name no endpoint). */
export const unmatchedRoute = 'unmatched';

/**
 * Upper bounds of the duration buckets, in seconds: a manifest GET from memory takes well under a millisecond, a blob
 * push or pull can take minutes.
 */
export const durationBuckets: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The requests of one route and method: how many ended with each status, and how long they took. */
export class RouteSeries {
  /** Requests by status code. */
  readonly codes = new Map<number, number>();
  /** Requests per duration bucket (not cumulative); one past the last bound counts in no bucket, only in `count`. */
  readonly buckets = new Float64Array(durationBuckets.length);
  sum = 0;
  count = 0;

  constructor(
    readonly route: string,
    readonly method: string,
  ) {}
}

/**
 * Requests by route template, method and status, with their durations, and the requests in flight, kept as plain
 * numbers: a request costs two or three Map lookups and a few additions, with nothing allocated once its route and
 * method have been seen. prom-client reads the figures only when scraped (registry-metrics.ts); its own metrics
 * would build a label hash and an object on every observation.
 */
export class HttpMetrics {
  readonly #routes = new Map<string, Map<string, RouteSeries>>();
  #inFlight = 0;

  get inFlight(): number {
    return this.#inFlight;
  }

  /** A request has arrived. */
  started(): void {
    this.#inFlight++;
  }

  /** A response is over: sent, or cut short by the client leaving. */
  ended(): void {
    this.#inFlight--;
  }

  /** A response has been sent in full: `route` is a template or one of the labels above. */
  record(route: string, method: string, code: number, seconds: number): void {
    let methods = this.#routes.get(route);
    if (methods === undefined) {
      methods = new Map();
      this.#routes.set(route, methods);
    }
    let series = methods.get(method);
    if (series === undefined) {
      series = new RouteSeries(route, method);
      methods.set(method, series);
    }
    series.codes.set(code, (series.codes.get(code) ?? 0) + 1);
    series.sum += seconds;
    series.count++;
    for (let i = 0; i < durationBuckets.length; i++) {
      if (seconds <= durationBuckets[i]!) {
        series.buckets[i]!++;
        break;
      }
    }
  }

  /** How many requests of a route and method were answered with one of `codes`. */
  answered(route: string, method: string, codes: readonly number[]): number {
    const series = this.#routes.get(route)?.get(method);
    if (series === undefined) return 0;
    let total = 0;
    for (const code of codes) total += series.codes.get(code) ?? 0;
    return total;
  }

  /** Every route and method seen so far. */
  *series(): IterableIterator<RouteSeries> {
    for (const methods of this.#routes.values()) yield* methods.values();
  }
}
