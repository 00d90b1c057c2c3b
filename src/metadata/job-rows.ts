import type { Selectable } from 'kysely';
import type { Database } from './database-schema.js';
import type { Job, JobProgress, JobStatus } from './metadata-store.js';

/** A row of the jobs table as the store answers it. */
export function toJob(row: Selectable<Database['jobs']>): Job {
  return {
    id: Number(row.id),
    kind: row.kind,
    payload: JSON.parse(row.payload) as unknown,
    status: row.status as JobStatus,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAfter: Number(row.run_after),
    progress: row.progress ? JSON.parse(row.progress) as JobProgress : undefined,
    lastError: row.last_error ?? undefined,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
