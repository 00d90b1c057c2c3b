import type { Logger } from 'pino';
import type { AccessStore } from '../../metadata/access-store.js';
import type { Feature } from '../feature.js';

const dayMs = 24 * 60 * 60 * 1000;

export interface AuditRetentionOptions {
  /** Events older than this many days are deleted; 0 keeps everything. */
  readonly keepDays: number;
  readonly log: Logger;
  readonly everyMs?: number;
  /** Events deleted per statement, so the database never holds one huge delete. */
  readonly slice?: number;
}

/** Deletes audit events older than `keepDays`; answers how many, reporting progress after each slice. */
export async function purgeAudit(store: AccessStore, keepDays: number, now: number, slice: number,
  progress?: (done: number) => Promise<void> | void): Promise<number> {
  if (keepDays <= 0) return 0;
  const before = now - keepDays * dayMs;
  let total = 0;
  for (;;) {
    const removed = await store.deleteAuditBefore(before, slice);
    total += removed;
    if (removed < slice) return total;
    await progress?.(total);
  }
}

/** Keeps the audit log to its configured age: once a day for the whole cluster (`audit.purge`). */
export function auditRetention(store: AccessStore, options: AuditRetentionOptions): Feature {
  const { keepDays, log } = options;
  if (keepDays <= 0) return { name: 'audit-retention' };
  return {
    name: 'audit-retention',
    jobs: [{
      kind: 'audit.purge',
      everyMs: options.everyMs ?? dayMs,
      run: async (_job, context) => {
        const removed = await purgeAudit(store, keepDays, Date.now(), options.slice ?? 10_000,
          (done) => context.progress({ done, note: 'audit events deleted' }));
        if (removed > 0) log.info({ removed, keepDays }, 'deleted audit events past their retention');
      },
    }],
  };
}
