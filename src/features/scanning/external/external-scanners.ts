import type { Logger } from 'pino';
import { ExternalScanner, type ExternalScannerConfig } from './external-scanner.js';

/** A listing re-checks adapters whose health is older than this. */
const listingFreshMs = 30_000;

/**
 * The configured external scanners: which of them scan an image, and whether the built-in scanner still does (not
 * when one is used `instead`). Their metadata is checked at start: an adapter that does not answer is logged and
 * shown as down in `GET /api/v1/scanners`, and Berth starts all the same (its scans fail, naming it, until it answers).
 */
export class ExternalScanners {
  readonly all: readonly ExternalScanner[];
  #started: Promise<void> | undefined;

  constructor(configs: readonly ExternalScannerConfig[], private readonly log: Logger) {
    this.all = configs.map((config) => new ExternalScanner(config));
  }

  /** Whether the built-in scanner reads images: unless an external scanner is used instead of it. */
  get builtInRuns(): boolean {
    return !this.all.some((scanner) => scanner.config.use === 'instead');
  }

  /** Checks every adapter's metadata in the background, logging what each said; start-up does not wait for them. */
  start(): void {
    this.#started = Promise.all(this.all.map(async (scanner) => {
      const health = await scanner.check();
      if (health.status === 'up') {
        const { scanner: about, reportMediaType } = health.metadata!;
        this.log.info({ scanner: scanner.name, url: scanner.config.url, use: scanner.config.use, adapter: about, reportMediaType }, 'external scanner ready');
      } else {
        this.log.error({ scanner: scanner.name, url: scanner.config.url, use: scanner.config.use, error: health.error },
          'external scanner does not answer: its scans fail until it does (GET /api/v1/scanners shows its state)');
      }
    })).then(() => undefined);
  }

  /** Waits for the start-up checks (a node shutting down lets them end). */
  async stop(): Promise<void> {
    await this.#started;
  }

  /** Every scanner, re-checking those not checked for a while: what `GET /api/v1/scanners` shows. */
  async current(): Promise<readonly ExternalScanner[]> {
    await this.#started;
    const now = Date.now();
    await Promise.all(this.all.filter((scanner) => now - (scanner.health.checkedAt ?? 0) > listingFreshMs).map((scanner) => scanner.check()));
    return this.all;
  }
}
