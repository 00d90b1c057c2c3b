import type { TrustTally } from '../features/trust/trust-policy.js';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ExternalScanOutcomes } from '../features/scanning/external/external-scanner.js';
import type { ScanTally } from '../features/scanning/scan-tally.js';
import type { DeliveryTally } from '../features/webhooks/webhook-delivery.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { OutboxStore } from '../metadata/outbox-store.js';
import type { ScanStore } from '../metadata/scan-store.js';
import { cacheLookups } from '../metadata/versioned-cache.js';
import { buildInfo } from './build-info.js';
import { durationBuckets, HttpMetrics, v2RouteLabels } from './http-metrics.js';
import { PrecountedHistogram } from './precounted-histogram.js';
import { processMetrics } from './process-metrics.js';
import { CollectorFailures, jobFigures, outboxLag, poolConnections, withDeadline } from './scrape-collectors.js';

/** Where the figures come from: the services that count them, and the stores asked when scraped. */
export interface MetricsSources {
  /** Upload sessions open on this node and blob bytes received (UploadService). */
  readonly uploads: { readonly receivedBytes: number; readonly openSessions: number };
  /** Blob bytes sent since start (http/send-blob.ts). */
  readonly blobBytesSent: () => number;
  readonly metadata: Pick<MetadataStore, 'openJobCounts' | 'connectionPool'>;
  readonly outbox: Pick<OutboxStore, 'head' | 'cursor'>;
  /** The outbox consumers this node's code feeds. */
  readonly consumers: readonly string[];
  /** The job kinds this node's code runs. */
  readonly jobKinds: readonly string[];
  readonly webhookDeliveries: Readonly<DeliveryTally>;
  /** The vulnerability scanner's tally and store, when scanning is on. */
  readonly scans?: {
    readonly tally: Readonly<ScanTally>;
    readonly store: () => Pick<ScanStore, 'advisoryCount' | 'feeds'>;
    /** Each external scanner's scans on this node, by outcome. */
    readonly external?: readonly { readonly name: string; readonly outcomes: Readonly<ExternalScanOutcomes> }[] | undefined;
  } | undefined;
  /** Signature trust's verdicts and pull outcomes on this node. */
  readonly trust?: Readonly<TrustTally> | undefined;
  readonly log: Logger;
}

/** Prometheus' text format, as prom-client writes it. */
export const metricsContentType = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * Berth's metrics in Prometheus' text format, one registry per Berth (tests start several in one process; never
 * prom-client's global registry). Everything on a request's path is a plain number, read here when scraped:
 * requests (HttpMetrics), bytes, uploads, cache lookups, webhook attempts. The queue, the outbox and the connection
 * pool are asked at scrape time, each within a deadline; a figure that cannot be read is left out of that scrape,
 * never failing it. Names follow Prometheus' conventions: `berth_` prefix, base units in plural, `_total` counters,
 * and labels of few values only (no repository, tag or digest).
 */
export class RegistryMetrics {
  readonly http = new HttpMetrics();
  readonly #registry = new Registry();
  readonly #failuresRegistry = new Registry();
  readonly #failures: CollectorFailures;
  readonly #log: Logger;

  constructor(sources: MetricsSources) {
    this.#log = sources.log;
    this.#failures = new CollectorFailures(sources.log);
    const { version, commit, nodeVersion } = buildInfo();
    new Gauge({
      name: 'berth_build_info', help: 'The running Berth: its version, commit and Node.js version (the value is always 1).',
      labelNames: ['version', 'commit', 'node_version'], registers: [this.#registry],
    }).set({ version, commit, node_version: nodeVersion }, 1);
    this.#requestMetrics();
    this.#registryMetrics(sources);
    this.#poolMetrics(sources.metadata);
    this.#backgroundMetrics(sources);
    if (sources.scans) this.#scanMetrics(sources.scans);
    if (sources.trust) this.#trustMetrics(sources.trust);
    this.#failureMetric();
  }

  get contentType(): string {
    return metricsContentType;
  }

  /** The metrics page: this Berth's metrics, the collectors that failed, then the process's metrics. */
  async render(): Promise<string> {
    const [own, process] = await Promise.all([
      this.#registry.metrics(),
      processMetrics().metrics().catch((error: unknown) => {
        this.#log.warn({ err: error }, 'the process metrics could not be read; they are left out of this scrape');
        return '';
      }),
    ]);
    return own + await this.#failuresRegistry.metrics() + process;
  }

  /** Requests by route, method and status, their durations, and those in flight. */
  #requestMetrics(): void {
    const { http } = this;
    this.#counter('berth_http_requests_total', 'HTTP requests answered, by route template, method and status code.',
      ['route', 'method', 'code'], (metric) => {
        metric.reset();
        for (const series of http.series()) {
          for (const [code, count] of series.codes) metric.inc({ route: series.route, method: series.method, code: String(code) }, count);
        }
      });
    new PrecountedHistogram('berth_http_request_duration_seconds',
      'Time from the arrival of a request to the end of its response, by route template and method.', durationBuckets,
      function* durations() {
        for (const { route, method, buckets, sum, count } of http.series()) yield { labels: { route, method }, buckets, sum, count };
      }).registerIn(this.#registry);
    this.#gauge('berth_http_in_flight_requests', 'HTTP requests being served now.', [], (metric) => metric.set(http.inFlight));
  }

  /** What the registry did: bytes, uploads, pushes and pulls (from the requests' figures), cache lookups. */
  #registryMetrics(sources: MetricsSources): void {
    const { http } = this;
    this.#counter('berth_blob_bytes_total', 'Blob bytes received into uploads (in) and sent to pulls (out).', ['direction'], (metric) => {
      metric.reset();
      metric.inc({ direction: 'in' }, sources.uploads.receivedBytes);
      metric.inc({ direction: 'out' }, sources.blobBytesSent());
    });
    this.#gauge('berth_uploads_in_progress', 'Blob upload sessions open on this node: started, not yet completed, cancelled or expired.',
      [], (metric) => metric.set(sources.uploads.openSessions));
    this.#counter('berth_manifest_pushes_total', 'Manifests pushed (PUT answered 201).', [], (metric) => {
      metric.reset();
      metric.inc(http.answered(v2RouteLabels.manifest, 'PUT', [201]));
    });
    this.#counter('berth_manifest_pulls_total', 'Manifests pulled, by tag or digest (GET answered 200; HEAD is no pull).', [], (metric) => {
      metric.reset();
      metric.inc(http.answered(v2RouteLabels.manifest, 'GET', [200]));
    });
    this.#counter('berth_blob_pulls_total',
      'Blobs pulled whole (GET answered 200, or 307 to object storage; ranged reads are parts of a pull).', [], (metric) => {
        metric.reset();
        metric.inc(http.answered(v2RouteLabels.blob, 'GET', [200, 307]));
      });
    this.#counter('berth_cache_requests_total', 'Lookups in the read caches, by cache and result (hit: answered from memory).',
      ['cache', 'result'], (metric) => {
        metric.reset();
        for (const [cache, lookups] of cacheLookups()) {
          metric.inc({ cache, result: 'hit' }, lookups.hits);
          metric.inc({ cache, result: 'miss' }, lookups.misses);
        }
      });
  }

  /** The job queue and the outbox, asked when scraped; webhook attempts, counted as they happen. */
  #backgroundMetrics(sources: MetricsSources): void {
    this.#gauge('berth_jobs', 'Jobs in the durable queue, by kind and status (queued or running).', ['kind', 'status'], async (metric) => {
      const figures = jobFigures(sources.jobKinds, await withDeadline(sources.metadata.openJobCounts(), 'counting the jobs'));
      metric.reset();
      for (const { kind, status, count } of figures) metric.set({ kind, status }, count);
    });
    this.#gauge('berth_outbox_lag_events', 'Events of the outbox a consumer has still to handle.', ['consumer'], async (metric) => {
      const { outbox, consumers } = sources;
      const [head, cursors] = await withDeadline(Promise.all([
        outbox.head(), Promise.all(consumers.map((consumer) => outbox.cursor(consumer))),
      ]), 'reading the outbox cursors');
      metric.reset();
      for (const { consumer, events } of outboxLag(head, cursors)) metric.set({ consumer }, events);
    });
    this.#counter('berth_webhook_deliveries_total',
      'Webhook delivery attempts, by outcome: delivered, retrying (failed, to be tried again) or failed (for good).', ['outcome'], (metric) => {
        metric.reset();
        const { delivered, retrying, failed } = sources.webhookDeliveries;
        metric.inc({ outcome: 'delivered' }, delivered);
        metric.inc({ outcome: 'retrying' }, retrying);
        metric.inc({ outcome: 'failed' }, failed);
      });
  }

  /** Signature trust: verdicts made (each cached until a signature, key or mode changes) and what pulls they met. */
  #trustMetrics(tally: Readonly<TrustTally>): void {
    this.#counter('berth_signature_verdicts_total',
      'Signature verdicts this node made for pulled manifests in projects whose trust mode is audit or enforce, by outcome: verified or unverified. '
      + 'Each is cached until a signature, a key or the mode changes.', ['outcome'], (metric) => {
        metric.reset();
        metric.inc({ outcome: 'verified' }, tally.verified);
        metric.inc({ outcome: 'unverified' }, tally.unverified);
      });
    this.#counter('berth_signature_pulls_total',
      'Pulls of manifests without a valid signature from a trusted key, by what happened: refused (enforce) or audited (let through under audit).',
      ['outcome'], (metric) => {
        metric.reset();
        metric.inc({ outcome: 'refused' }, tally.refused);
        metric.inc({ outcome: 'audited' }, tally.audited);
      });
  }

  /** The scanner: this node's scans by outcome and their time, rematches, and the advisory feed, asked when scraped. */
  #scanMetrics(scans: NonNullable<MetricsSources['scans']>): void {
    const { tally } = scans;
    this.#counter('berth_scans_total', 'Image scans this node ran, by outcome: completed, failed, or unsupported (not an image).', ['outcome'], (metric) => {
      metric.reset();
      metric.inc({ outcome: 'completed' }, tally.completed);
      metric.inc({ outcome: 'failed' }, tally.failed);
      metric.inc({ outcome: 'unsupported' }, tally.unsupported);
    });
    this.#counter('berth_external_scans_total',
      'Scans this node asked external scanners (Harbor\'s Pluggable Scanner API) for, by scanner and outcome: completed, failed (the adapter '
      + 'refused, failed or could not be reached), or timeout.', ['scanner', 'outcome'], (metric) => {
        metric.reset();
        for (const { name, outcomes } of scans.external ?? []) {
          metric.inc({ scanner: name, outcome: 'completed' }, outcomes.completed);
          metric.inc({ scanner: name, outcome: 'failed' }, outcomes.failed);
          metric.inc({ scanner: name, outcome: 'timeout' }, outcomes.timedOut);
        }
      });
    this.#counter('berth_scan_seconds_total', 'Seconds this node spent scanning images (completed and failed scans).', [], (metric) => {
      metric.reset();
      metric.inc(tally.seconds);
    });
    this.#counter('berth_scan_rematches_total', 'Images matched again from their stored inventories after advisories changed.', [], (metric) => {
      metric.reset();
      metric.inc(tally.rematched);
    });
    this.#gauge('berth_advisories', 'Advisories stored from the feed.', [], async (metric) => {
      metric.set(await withDeadline(scans.store().advisoryCount(), 'counting the advisories'));
    });
    this.#gauge('berth_advisory_feed_refreshed_timestamp_seconds', 'When each feed source was last refreshed, successfully or not.', ['source'], async (metric) => {
      const feeds = await withDeadline(scans.store().feeds(), 'reading the advisory feeds');
      metric.reset();
      for (const feed of feeds) metric.set({ source: feed.source }, feed.refreshedAt / 1000);
    });
    this.#gauge('berth_advisory_feed_up', 'Whether the last refresh of each feed source succeeded (1) or failed (0).', ['source'], async (metric) => {
      const feeds = await withDeadline(scans.store().feeds(), 'reading the advisory feeds');
      metric.reset();
      for (const feed of feeds) metric.set({ source: feed.source }, feed.error === undefined ? 1 : 0);
    });
  }

  /** In a registry of its own, rendered after the others have been collected: it counts this scrape's failures too. */
  #failureMetric(): void {
    const failures = this.#failures;
    new Counter({
      name: 'berth_metrics_collect_errors_total', help: 'Figures left out of a scrape because reading them failed, by collector.',
      labelNames: ['collector'], registers: [this.#failuresRegistry],
      collect(this: Counter<'collector'>) {
        this.reset();
        for (const [collector, count] of failures.counts) this.inc({ collector }, count);
      },
    });
  }

  /** The connection pool's figures, for a store that has a pool (PostgreSQL); the embedded store has none. */
  #poolMetrics(metadata: MetricsSources['metadata']): void {
    if (metadata.connectionPool() === undefined) return;
    const read = () => {
      const pool = metadata.connectionPool();
      if (pool === undefined) throw new Error('the metadata store has no connection pool any more');
      return pool;
    };
    this.#gauge('berth_metadata_pool_connections', 'Connections to PostgreSQL, by state (idle or in_use).', ['state'], (metric) => {
      const connections = poolConnections(read());
      metric.reset();
      for (const { state, count } of connections) metric.set({ state }, count);
    });
    this.#gauge('berth_metadata_pool_waiting_queries', 'Queries waiting for a free connection to PostgreSQL.', [],
      (metric) => metric.set(read().waiting));
    this.#gauge('berth_metadata_pool_max_connections', 'The most connections to PostgreSQL this node opens (database.poolSize).', [],
      (metric) => metric.set(read().max));
  }

  #counter<L extends string>(name: string, help: string, labelNames: readonly L[], fill: (metric: Counter<L>) => void | Promise<void>): void {
    new Counter<L>({ name, help, labelNames, registers: [this.#registry], collect: this.#failures.guard(name, fill) });
  }

  #gauge<L extends string>(name: string, help: string, labelNames: readonly L[], fill: (metric: Gauge<L>) => void | Promise<void>): void {
    new Gauge<L>({ name, help, labelNames, registers: [this.#registry], collect: this.#failures.guard(name, fill) });
  }
}
