import type { Logger } from 'pino';
import type { ConnectionPoolFigures, JobCount } from '../metadata/metadata-store.js';
import type { OutboxCursor } from '../metadata/outbox-store.js';

/** How long a scrape waits for one figure from the database before leaving it out. */
export const scrapeQueryDeadlineMs = 2_000;
const failureLogEveryMs = 60_000;

/** What a collector may do to the metric it fills: prom-client's Counter and Gauge both have these. */
interface Resettable {
  readonly labelNames?: readonly string[];
  reset(): void;
  remove(...values: string[]): void;
}

/**
 * Leaves a metric without values. prom-client's reset() keeps a 0 for a metric without labels, which would read
 * as a figure; removing the empty label set drops it too.
 */
function empty(metric: Resettable): void {
  metric.reset();
  if (metric.labelNames?.length === 0) metric.remove();
}

/**
 * Collectors that failed, by name. A scrape never fails because one figure could not be read: the collector's
 * metric is left without values for that scrape, the failure is logged and counted
 * (`berth_metrics_collect_errors_total`), and the rest of the page is served.
 */
export class CollectorFailures {
  readonly #counts = new Map<string, number>();
  readonly #loggedAt = new Map<string, number>();

  constructor(private readonly log: Logger) {}

  get counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  report(collector: string, error: unknown, metric: Resettable): void {
    this.#counts.set(collector, (this.#counts.get(collector) ?? 0) + 1);
    empty(metric);
    // Prometheus scrapes every few seconds: a database that stays down is logged once a minute, not each time.
    const now = Date.now();
    if (now - (this.#loggedAt.get(collector) ?? Number.NEGATIVE_INFINITY) < failureLogEveryMs) return;
    this.#loggedAt.set(collector, now);
    this.log.warn({ collector, reason: error instanceof Error ? error.message : String(error) },
      'a metrics collector failed; its figures are left out of scrapes while it fails');
  }

  /**
   * A prom-client `collect` function that never throws. `fill` sets the metric's values; an asynchronous one reads
   * first and sets after, so a metric is never rendered half filled.
   */
  guard<M extends Resettable>(collector: string, fill: (metric: M) => void | Promise<void>): (this: M) => void | Promise<void> {
    const failures = this;
    return function collect(this: M): void | Promise<void> {
      try {
        const pending = fill(this);
        if (pending instanceof Promise) return pending.catch((error: unknown) => failures.report(collector, error, this));
      } catch (error) {
        failures.report(collector, error, this);
      }
      return undefined;
    };
  }
}

/** `work`, or a rejection once `ms` have passed: a database that hangs must not hang the scrape. */
export function withDeadline<T>(work: Promise<T>, what: string, ms = scrapeQueryDeadlineMs): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The statuses `berth_jobs` reports: the queue as it stands (finished jobs are history, in the API). */
export const openJobStatuses = ['queued', 'running'] as const;

/**
 * Open jobs by kind and status, zero for every kind this node declares (so a queue that empties shows 0 rather than
 * vanishing from graphs), plus whatever kinds other nodes have queued.
 */
export function jobFigures(declaredKinds: readonly string[], counts: readonly JobCount[]): { kind: string; status: string; count: number }[] {
  const figures = new Map<string, { kind: string; status: string; count: number }>();
  for (const kind of declaredKinds) {
    for (const status of openJobStatuses) figures.set(`${kind}\0${status}`, { kind, status, count: 0 });
  }
  for (const { kind, status, count } of counts) figures.set(`${kind}\0${status}`, { kind, status, count });
  return [...figures.values()];
}

/** How many events each consumer has still to handle; a consumer without a cursor has not started and is left out. */
export function outboxLag(head: number, cursors: readonly (OutboxCursor | undefined)[]): { consumer: string; events: number }[] {
  return cursors.filter((cursor) => cursor !== undefined)
    .map((cursor) => ({ consumer: cursor.consumer, events: Math.max(0, head - cursor.position) }));
}

/** The pool's connections by state. */
export function poolConnections(pool: ConnectionPoolFigures): { state: 'idle' | 'in_use'; count: number }[] {
  return [{ state: 'idle', count: pool.idle }, { state: 'in_use', count: Math.max(0, pool.total - pool.idle) }];
}
