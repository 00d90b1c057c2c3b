import { ExternalScannerError, type AdapterEndpoint } from './adapter-http.js';
import { fetchAdapterMetadata, type AdapterMetadata } from './adapter-metadata.js';
import { pollAdapterReport } from './report-polling.js';
import { translateReport, type ReportedVulnerability } from './report-translation.js';
import { requestAdapterScan, type ScanTarget } from './scan-request.js';

/** One external scanner as configured (`scanning.external[]`). */
export interface ExternalScannerConfig extends AdapterEndpoint {
  /** `instead`: its report is the image's report and the built-in scanner does not run; `beside`: both run. */
  readonly use: 'instead' | 'beside';
  /** Seconds a scan may take, from the request to the report; the pull token lives about as long. */
  readonly timeoutSeconds: number;
}

/** What Berth last learnt of an adapter: whether its metadata answered, and what it said. */
export interface ScannerHealth {
  readonly status: 'unknown' | 'up' | 'down';
  readonly checkedAt: number | undefined;
  /** Why it is down. */
  readonly error: string | undefined;
  readonly metadata: AdapterMetadata | undefined;
}

/** This node's scans by one external scanner, for /metrics. */
export interface ExternalScanOutcomes {
  completed: number;
  failed: number;
  timedOut: number;
}

/** Metadata checked this recently is used as it is; older, a scan asks again (the adapter may have been upgraded or gone). */
const metadataFreshMs = 60_000;
/** A health check's own bound. */
const checkTimeoutMs = 10_000;

/**
 * A client of one adapter speaking Harbor's Pluggable Scanner API: its metadata (checked at start, and again before
 * scans once stale), and a scan: the request, the report polled as the adapter asks, the report translated. Every
 * failure is an ExternalScannerError whose message names the scanner.
 */
export class ExternalScanner {
  #health: ScannerHealth = { status: 'unknown', checkedAt: undefined, error: undefined, metadata: undefined };
  readonly outcomes: ExternalScanOutcomes = { completed: 0, failed: 0, timedOut: 0 };

  constructor(readonly config: ExternalScannerConfig) {}

  get name(): string {
    return this.config.name;
  }

  get health(): ScannerHealth {
    return this.#health;
  }

  /** Asks the adapter for its metadata; answers (and remembers) its health. Never throws. */
  async check(signal: AbortSignal = AbortSignal.timeout(checkTimeoutMs)): Promise<ScannerHealth> {
    try {
      await this.#metadata(signal);
    } catch (error) {
      const why = signal.aborted ? `external scanner ${this.name} did not answer GET ${this.config.url.replace(/\/+$/, '')}/api/v1/metadata in time`
        : error instanceof Error ? error.message : String(error);
      this.#health = { ...this.#health, status: 'down', checkedAt: Date.now(), error: why };
    }
    return this.#health;
  }

  /**
   * Scans an image: answers what the scanner found. Bounded by the scanner's timeout; `signal` is the job's (a node
   * shutting down), whose abort is passed on unchanged so the job runs again later rather than failing.
   */
  async scan(target: ScanTarget, signal: AbortSignal, onWait: (polls: number) => Promise<void> | void = () => {}): Promise<ReportedVulnerability[]> {
    const deadline = AbortSignal.timeout(this.config.timeoutSeconds * 1000);
    const bounded = AbortSignal.any([signal, deadline]);
    try {
      const health = this.#health;
      const metadata = health.status === 'up' && health.metadata && Date.now() - (health.checkedAt ?? 0) < metadataFreshMs
        ? health.metadata : await this.#metadata(bounded);
      const id = await requestAdapterScan(this.config, target, bounded);
      const report = await pollAdapterReport(this.config, id, metadata.reportMediaType, bounded, onWait);
      const found = translateReport(this.name, target.digest, report);
      this.outcomes.completed++;
      return found;
    } catch (error) {
      if (signal.aborted) throw error;
      if (deadline.aborted) {
        this.outcomes.timedOut++;
        throw new ExternalScannerError(this.name, 'timeout', `external scanner ${this.name} did not deliver the report of ${target.repository}@${target.digest} `
          + `within ${this.config.timeoutSeconds} s (its timeoutSeconds): the adapter may be overloaded; ask for another scan with berth scan`);
      }
      this.outcomes.failed++;
      if (error instanceof ExternalScannerError && error.kind === 'unreachable') {
        this.#health = { ...this.#health, status: 'down', checkedAt: Date.now(), error: error.message };
      }
      throw error;
    }
  }

  async #metadata(signal: AbortSignal): Promise<AdapterMetadata> {
    try {
      const metadata = await fetchAdapterMetadata(this.config, signal);
      this.#health = { status: 'up', checkedAt: Date.now(), error: undefined, metadata };
      return metadata;
    } catch (error) {
      if (error instanceof ExternalScannerError) this.#health = { ...this.#health, status: 'down', checkedAt: Date.now(), error: error.message };
      throw error;
    }
  }
}
