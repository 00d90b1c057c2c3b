import type { Metric, Registry } from 'prom-client';

/** One labelled histogram as counted elsewhere: observations per bucket (not cumulative), their sum and count. */
export interface HistogramCounts {
  readonly labels: Readonly<Record<string, string>>;
  readonly buckets: ArrayLike<number>;
  readonly sum: number;
  readonly count: number;
}

interface ExportedValue {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/**
 * A histogram whose observations are counted by the caller, in plain numbers on its hot path, and turned into
 * Prometheus' cumulative `_bucket`, `_sum` and `_count` lines only when scraped. prom-client's Histogram would
 * hash the labels and allocate on every observation. It is registered in a prom-client Registry beside the
 * library's own metrics and answers the same `get()` they do, so the registry writes it like any other.
 */
export class PrecountedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    private readonly read: () => Iterable<HistogramCounts>,
  ) {}

  /** Adds it to `registry`; prom-client's types know only its own metric classes. */
  registerIn(registry: Registry): void {
    registry.registerMetric(this as unknown as Metric);
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    const values: ExportedValue[] = [];
    for (const series of this.read()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += series.buckets[i] ?? 0;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...series.labels, le: this.bounds[i]! }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...series.labels, le: '+Inf' }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...series.labels }, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...series.labels }, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The counts belong to the caller: nothing to reset here. */
  reset(): void {}
}
