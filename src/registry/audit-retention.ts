import type { Logger } from 'pino';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { JobHandler } from './job-runner.js';

/** The job kind of an audit purge, run by whichever node's job runner takes it. */
export const auditPurgeKind = 'audit.purge';

const dayMs = 24 * 60 * 60 * 1000;

/**
 * Keeps the audit log to its configured age: once a day (one job per day for the whole cluster, like the upload
 * sweep) events older than `keepDays` are deleted, a slice at a time so the database never holds one huge delete.
 * `keepDays` 0 keeps everything and queues nothing.
 */
export class AuditRetention {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly keepDays: number,
    private readonly log: Logger,
    private readonly intervalMs = dayMs,
    private readonly slice = 10_000,
  ) {}

  async start(): Promise<void> {
    if (this.keepDays > 0) await this.#queueNext();
  }

  readonly runJob: JobHandler = async (_job, context) => {
    const removed = await this.purge(Date.now(), (done) => context.progress({ done, note: 'audit events deleted' }));
    if (removed > 0) this.log.info({ removed, keepDays: this.keepDays }, 'deleted audit events past their retention');
    await this.#queueNext();
  };

  /** Deletes events older than the retention; answers how many. */
  async purge(now: number, progress?: (done: number) => Promise<void> | void): Promise<number> {
    if (this.keepDays <= 0) return 0;
    const before = now - this.keepDays * dayMs;
    let total = 0;
    for (;;) {
      const removed = await this.metadata.access().deleteAuditBefore(before, this.slice);
      total += removed;
      if (removed < this.slice) return total;
      await progress?.(total);
    }
  }

  async #queueNext(): Promise<void> {
    const now = Date.now();
    const slot = Math.floor(now / this.intervalMs) + 1;
    await this.metadata.enqueueJob({
      kind: auditPurgeKind, payload: {}, uniqueKey: `${auditPurgeKind}:${slot}`, runAfter: slot * this.intervalMs, maxAttempts: 3, now,
    });
  }
}
