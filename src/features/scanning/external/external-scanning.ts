import type { Logger } from 'pino';
import type { NewFinding } from '../../../metadata/scan-store.js';
import { ExternalScannerError } from './adapter-http.js';
import type { ExternalScannerConfig } from './external-scanner.js';
import { ExternalScanners } from './external-scanners.js';

export interface ExternalScanningOptions {
  readonly scanners: readonly ExternalScannerConfig[];
  /** Berth's base URL as adapters reach it; undefined when it is not known (nothing configured, not listening yet). */
  readonly registryUrl: () => string | undefined;
  /** A registry token naming the system principal `subject`, granting pull on `repository` alone, for `seconds`. */
  readonly pullToken: (subject: string, repository: string, seconds: number) => Promise<string>;
  readonly log: Logger;
}

/** What the external scanners found in one image. */
export interface ExternalScanResult {
  /** The scanners that scanned it, in configured order. */
  readonly scanners: readonly string[];
  /** Their findings, each tagged with its scanner; `packageSeq` -1, -2, … (no inventory package). */
  readonly findings: readonly NewFinding[];
}

/** The pull token outlives the scan's timeout by this much: the adapter may still be reading layers when Berth stops waiting. */
const tokenGraceSeconds = 60;

/**
 * A scan job's use of the external scanners: for each, a pull token for exactly the image's repository, named
 * `scanner:<name>`, living about as long as the scanner's timeout; the scan request; the report; and its
 * vulnerabilities as findings tagged with the scanner. The first scanner that fails fails the scan, with its reason.
 */
export class ExternalScanning {
  readonly scanners: ExternalScanners;

  constructor(private readonly options: ExternalScanningOptions) {
    this.scanners = new ExternalScanners(options.scanners, options.log);
  }

  /** Whether the built-in scanner reads images too (no external scanner is used instead of it). */
  get builtInRuns(): boolean {
    return this.scanners.builtInRuns;
  }

  get configured(): boolean {
    return this.scanners.all.length > 0;
  }

  async scan(image: { repository: string; digest: string; mediaType: string }, signal: AbortSignal,
    progress: (note: string) => Promise<void>): Promise<ExternalScanResult> {
    const findings: NewFinding[] = [];
    for (const scanner of this.scanners.all) {
      const registryUrl = this.options.registryUrl();
      if (registryUrl === undefined) {
        throw new ExternalScannerError(scanner.name, 'invalid', `external scanner ${scanner.name} needs the registry's URL to pull ${image.repository}@${image.digest} from: `
          + 'set scanning.registryUrl (BERTH_SCAN_REGISTRY_URL) or externalUrl');
      }
      const token = await this.options.pullToken(`scanner:${scanner.name}`, image.repository, scanner.config.timeoutSeconds + tokenGraceSeconds);
      const found = await scanner.scan({ registryUrl, authorization: `Bearer ${token}`, ...image }, signal, async (polls) => {
        if (polls === 1) await progress(`waiting for the report of external scanner ${scanner.name}`);
      });
      for (const vulnerability of found) {
        findings.push({
          advisoryId: vulnerability.id, packageSeq: -(findings.length + 1), fixedVersion: vulnerability.fixedVersion, severity: vulnerability.severity,
          score: vulnerability.score,
          reported: { scanner: scanner.name, package: vulnerability.package, version: vulnerability.version, summary: vulnerability.summary, links: vulnerability.links },
        });
      }
      this.options.log.info({ scanner: scanner.name, repository: image.repository, digest: image.digest, findings: found.length }, 'an external scanner scanned an image');
    }
    return { scanners: this.scanners.all.map((scanner) => scanner.name), findings };
  }
}
