import type { Generated } from 'kysely';

/**
 * Tables of the metadata store. Timestamps are milliseconds since the epoch. Repository names are the keys of the
 * link tables: they never change, and keeping them spares a lookup on every request.
 */
export interface Database {
  repositories: { name: string; created_at: number };
  /** Content known to the registry, one row per digest whatever the number of repositories. */
  blobs: { digest: string; size: number; created_at: number };
  /** Which repository may see which blob: it pushed or mounted it. */
  repository_blobs: { repository: string; digest: string; created_at: number };
  /** Manifest bodies, by digest, with what the referrers API and later features need to know without parsing. */
  manifests: {
    digest: string;
    media_type: string;
    size: number;
    content: Buffer;
    artifact_type: string | null;
    subject_digest: string | null;
    annotations: string | null;
    created_at: number;
  };
  /** What each manifest references (kind 'blob' or 'manifest'): for garbage collection, quotas and retention. */
  manifest_references: { manifest_digest: string; child_digest: string; kind: string };
  repository_manifests: { repository: string; digest: string; created_at: number };
  tags: { repository: string; name: string; digest: string; updated_at: number };
  upload_sessions: { id: string; repository: string; created_at: number; updated_at: number };
  /** The durable job queue (migration 0002). */
  jobs: {
    id: Generated<number>;
    kind: string;
    unique_key: string | null;
    payload: string;
    status: string;
    attempts: number;
    max_attempts: number;
    run_after: number;
    lease_owner: string | null;
    lease_until: number | null;
    progress: string | null;
    last_error: string | null;
    created_at: number;
    updated_at: number;
  };
  /** Outbox of state changes, written in the same transaction as the change; consumed by later features. */
  events: {
    id: Generated<number>;
    type: string;
    repository: string;
    digest: string;
    tag: string | null;
    created_at: number;
  };
}
