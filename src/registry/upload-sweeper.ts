import type { Logger } from 'pino';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { JobHandler } from './job-runner.js';
import type { UploadService } from './upload-service.js';

/** The job kind of a sweep, run by whichever node's job runner takes it. */
export const uploadSweepKind = 'uploads.sweep';

/**
 * Expires abandoned upload sessions. Sweeps run as jobs of the durable queue, one per interval for the whole
 * cluster: every node queues the next interval's sweep under the same key, so one sweep runs per interval however
 * many nodes there are, and a node that dies mid-sweep leaves it to another. At start-up each node also sweeps once
 * itself, which removes upload bytes left without a session by a crash mid-push (at once on a store of its own, after
 * a grace period on a shared one; the periodic sweep removes them after the expiry in any case).
 */
export class UploadSweeper {
  constructor(
    private readonly uploads: UploadService,
    private readonly metadata: MetadataStore,
    private readonly expireAfterMs: number,
    private readonly intervalMs: number,
    private readonly log: Logger,
    /**
     * How old an upload without a session must be before start-up removes it: none for a store this node has to
     * itself; where nodes share the store, long enough that no other node is still streaming into it.
     */
    private readonly orphanGraceMs = 0,
  ) {}

  async start(): Promise<void> {
    const orphans = await this.uploads.removeOrphans(this.orphanGraceMs > 0 ? Date.now() - this.orphanGraceMs : undefined);
    if (orphans > 0) this.log.info({ removed: orphans }, 'removed upload leftovers of unfinished pushes');
    await this.sweep();
    await this.#queueNext();
  }

  /** The job: one sweep, then the next interval's sweep queued. */
  readonly runJob: JobHandler = async () => {
    await this.sweep();
    await this.#queueNext();
  };

  async sweep(): Promise<void> {
    const removed = await this.uploads.sweep(Date.now() - this.expireAfterMs);
    if (removed > 0) this.log.info({ removed }, 'expired abandoned uploads');
  }

  async #queueNext(): Promise<void> {
    const now = Date.now();
    const slot = Math.floor(now / this.intervalMs) + 1;
    await this.metadata.enqueueJob({
      kind: uploadSweepKind, payload: {}, uniqueKey: `${uploadSweepKind}:${slot}`,
      runAfter: slot * this.intervalMs, maxAttempts: 3, now,
    });
  }
}
