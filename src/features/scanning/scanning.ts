import { yieldingShare } from '../../jobs/job-runner.js';
import { yieldingPace } from '../../jobs/request-activity.js';
import type { Logger } from 'pino';
import type { OutboxConsumer } from '../../events/outbox-consumer.js';
import type { AccessPolicy } from '../../auth/access-policy.js';
import type { AdminAudit } from '../../auth/admin/admin-actor.js';
import type { MetadataStore, NewJob } from '../../metadata/metadata-store.js';
import type { Readable } from 'node:stream';
import type { Feature } from '../feature.js';
import { AdvisoryFeed } from './advisory-feed.js';
import { ExternalScanning, type ExternalScanningOptions } from './external/external-scanning.js';
import { feedLocation } from './feed-location.js';
import type { SbomRegistry } from './sbom-attachment.js';
import { sbomJobs } from './sbom-jobs.js';
import { feedJobKind, ScanService, scanJobKind, type ScanAccess, type ScanJobPayload } from './scan-service.js';
import { vulnerabilityPolicy } from './vulnerability-policy.js';
import { VulnerabilityPolicyService } from './vulnerability-policy-service.js';
import type { SbomFormat } from '../../scanning/sbom/media-types.js';

export interface ScanningOptions {
  /** Bytes one image's layers may inflate to (`scanning.maxUncompressedBytes`). */
  readonly maxUncompressedBytes?: number;
  readonly onPush: boolean;
  readonly feed: { readonly location: string; readonly refreshMinutes: number; readonly timeoutSeconds: number };
  readonly readBlob: (digest: string) => Promise<Readable>;
  readonly access: ScanAccess;
  /** For the policy service: project decisions and the audit of changes. */
  readonly policy: AccessPolicy;
  readonly audit: AdminAudit;
  /** The job runner's enqueue (built after the features; called once it runs). */
  readonly enqueue: (job: Omit<NewJob, 'now'>) => Promise<number>;
  /** Several at once, in one transaction. */
  readonly enqueueAll?: (jobs: readonly Omit<NewJob, 'now'>[]) => Promise<number[]>;
  /** Whether the node is busy serving requests: scans then give way, between runs and as they read. */
  readonly busy?: () => boolean;
  readonly log: Logger;
  /** Each scanned image's SBOM attached as a referrer, pushed through the registry core (built after the features). */
  readonly sbom?: { readonly attach: boolean; readonly format: SbomFormat; readonly registry: () => SbomRegistry };
  /** Scanners speaking Harbor's Pluggable Scanner API, with how they reach and may pull from this registry. */
  readonly external?: Omit<ExternalScanningOptions, 'log'>;
}

/** The outbox consumer's name: its cursor's key. */
export const scanningConsumer = 'scanning';

/** Without a registry to push through, no SBOM is attached. */
const sbomOff: NonNullable<ScanningOptions['sbom']> = {
  attach: false, format: 'cyclonedx', registry: () => { throw new Error('SBOMs are not attached here: no registry was given'); },
};

/**
 * Vulnerability scanning: a scan of every image pushed (through the durable job queue, one per digest at a time in
 * the cluster), and the advisory feed refreshed on a schedule by one node, each refresh matching the images it
 * touches again; each scanned image's inventory attached to it as an SBOM referrer.
 */
export function scanning(metadata: MetadataStore, options: ScanningOptions): Feature & { service: ScanService; policyService: VulnerabilityPolicyService } {
  const feed = new AdvisoryFeed(() => metadata.scans(), feedLocation(options.feed.location, options.feed.timeoutSeconds * 1000), options.log);
  const external = options.external && options.external.scanners.length > 0
    ? new ExternalScanning({ ...options.external, log: options.log.child({ component: 'external-scanners' }) }) : undefined;
  const service = new ScanService(metadata, options.readBlob, options.access, options.enqueue, feed, options.log, external, { maxUncompressedBytes: options.maxUncompressedBytes },
    options.enqueueAll, options.busy === undefined ? undefined : () => yieldingPace(options.busy!, yieldingShare));
  const sbom = sbomJobs(metadata, { ...(options.sbom ?? sbomOff), enqueue: options.enqueue, log: options.log });
  const consumer: OutboxConsumer = {
    name: scanningConsumer,
    types: new Set(['artifact.pushed']),
    async handle(events) {
      if (options.onPush) await service.onPushed(events);
    },
  };
  return {
    name: 'scanning',
    service,
    policyService: new VulnerabilityPolicyService(metadata, options.policy, options.audit),
    // Refuses pulls by what scans found, at the policy point once the digest is known.
    policies: [vulnerabilityPolicy(metadata, () => service.epoch)],
    consumers: [consumer, ...sbom.consumers],
    jobs: [
      {
        // Scans give way to pushes and pulls: a burst of pushes is scanned once it has landed.
        kind: scanJobKind, maxAttempts: 3, yieldsToRequests: true,
        async run(job, context) {
          try {
            await service.runScan(job.payload as ScanJobPayload, context);
          } catch (error) {
            // The runner tries again; after the last attempt the report says why, rather than "scanning" for ever.
            if (job.attempts >= job.maxAttempts) await service.giveUp(job.payload as ScanJobPayload, job.attempts, error);
            throw error;
          }
        },
      },
      { kind: feedJobKind, everyMs: options.feed.refreshMinutes * 60_000, maxAttempts: 3, run: (_job, context) => service.refreshFeed(context) },
      ...sbom.jobs,
    ],
    // Each external scanner's metadata is checked once the node starts, without holding the start back.
    async start() {
      external?.scanners.start();
    },
    async stop() {
      await external?.scanners.stop();
    },
  };
}
