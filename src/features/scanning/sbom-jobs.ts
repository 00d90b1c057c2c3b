import type { OutboxConsumer } from '../../events/outbox-consumer.js';
import type { JobDefinition } from '../../jobs/job-definition.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import { SbomAttachment, type SbomAttachmentOptions, type SbomJobPayload, sbomJobKind } from './sbom-attachment.js';

/** The outbox consumer's name: its cursor's key. */
export const sbomConsumer = 'scanning-sbom';

export interface SbomJobOptions extends SbomAttachmentOptions {
  /** scanning.sbom.attach: off, nothing new is queued, and jobs queued before end without attaching. */
  readonly attach: boolean;
}

/**
 * What drives SBOM attachment: a consumer of its own (its cursor apart from the scan queue's, so neither waits for
 * the other) that queues a job per repository and image, and that job.
 */
export function sbomJobs(metadata: MetadataStore, options: SbomJobOptions): { consumers: OutboxConsumer[]; jobs: JobDefinition[] } {
  const attachment = new SbomAttachment(metadata, options);
  const consumer: OutboxConsumer = {
    name: sbomConsumer,
    types: new Set(['scan.completed', 'artifact.pushed']),
    handle: (events) => attachment.onEvents(events),
  };
  const job: JobDefinition = {
    kind: sbomJobKind, maxAttempts: 5, yieldsToRequests: true,
    async run(queued) {
      if (options.attach) await attachment.run(queued.payload as SbomJobPayload);
    },
  };
  return { consumers: options.attach ? [consumer] : [], jobs: [job] };
}
