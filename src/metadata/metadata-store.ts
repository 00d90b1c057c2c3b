import { ConflictError } from '../errors/backend-errors.js';
import type { ArtifactFacts } from './artifact-facts.js';
import type { EventOrigin } from '../events/registry-event.js';
import type { AccessStore } from './access-store.js';
import type { InsightStore } from './insight-store.js';
import type { OutboxStore } from './outbox-store.js';
import type { PolicyStore } from './policy-store.js';
import type { TrustStore } from './trust-store.js';
import type { ScanStore } from './scan-store.js';
import type { WebhookStore } from './webhook-store.js';

/**
 * The source of truth for what exists where. The registry asks it which blobs and manifests a repository may see,
 * what a tag points to, what refers to what; storage is only asked for bytes. Every implementation passes
 * test/suites/metadata-store.suite.ts. Each write method is one transaction: it is wholly visible or not at all.
 */
export interface MetadataStore {
  /** Users, projects, roles, robots, tokens and the audit log, in the same database. */
  access(): AccessStore;
  /** The outbox's reader and the cursors of its consumers. */
  outbox(): OutboxStore;
  /** Immutable-tag rules and quarantines. */
  policies(): PolicyStore;
  /** Webhook subscriptions and their delivery logs. */
  webhooks(): WebhookStore;
  /** What queries, "latest", usage figures and the UI read; pull figures. */
  insight(): InsightStore;
  /** The vulnerability scanner's reports, inventories, findings and advisories. */
  scans(): ScanStore;
  /** Each project's signature trust mode and the keys it trusts. */
  trust(): TrustStore;

  /**
   * A number that changes whenever a write may have changed what a read returns: this process's writes and, where
   * the database has other writers (other processes or nodes), theirs. Cheap enough to call on every request, so
   * caches above the store can check it before serving.
   */
  changeVersion(): number;

  /** Size of a blob linked to the repository, or undefined when the repository may not see it. */
  linkedBlob(repository: string, digest: string): Promise<{ size: number } | undefined>;
  /** Sizes of those of `digests` linked to the repository. */
  linkedBlobSizes(repository: string, digests: readonly string[]): Promise<Map<string, number>>;
  /** Repositories that link a blob, in name order, at most `limit`. */
  repositoriesWithBlob(digest: string, limit: number): Promise<string[]>;
  /**
   * Records a blob (whose bytes are durable) and links it to the repository, creating the repository if new; when
   * `endSession` names the upload session that brought the blob, the session ends in the same transaction, which
   * also writes `blob.pushed` (or `blob.mounted`, with `link.from`, for a cross-repository mount).
   */
  linkBlob(repository: string, digest: string, size: number, endSession?: string, link?: BlobLink): Promise<void>;
  /** Removes a repository's link to a blob (writing `blob.deleted`); false when there was none. The bytes stay. */
  unlinkBlob(repository: string, digest: string, origin?: EventOrigin): Promise<boolean>;

  /** Those of `digests` that are manifests of the repository. */
  linkedManifests(repository: string, digests: readonly string[]): Promise<Set<string>>;
  /**
   * Stores a manifest, links it to the repository and points the tags at it, with its events (`artifact.pushed`,
   * and `tag.moved` for each tag that named another digest); one transaction.
   */
  putManifest(manifest: NewManifest): Promise<void>;
  /** A manifest of the repository by digest, or undefined. */
  manifestByDigest(repository: string, digest: string): Promise<StoredManifest | undefined>;
  /** The manifest a tag points to, or undefined. */
  manifestByTag(repository: string, tag: string): Promise<StoredManifest | undefined>;
  /**
   * Unlinks a manifest from the repository and removes the tags that point to it, writing `artifact.deleted` with
   * those tags; false when it was not there.
   */
  deleteManifest(repository: string, digest: string, origin?: EventOrigin): Promise<boolean>;
  /**
   * Removes one tag, leaving the manifest, and writes `tag.deleted`; answers the digest it pointed to, or undefined
   * when it did not exist.
   */
  deleteTag(repository: string, tag: string, origin?: EventOrigin): Promise<string | undefined>;
  /** The tags of a repository that point to a digest, in name order. */
  tagsOf(repository: string, digest: string): Promise<string[]>;
  /** The digests an index (or manifest) references as child manifests. */
  childManifests(digest: string): Promise<string[]>;
  /** Manifests of the repository whose subject is `digest`, optionally of one artifact type, in digest order. */
  referrers(repository: string, digest: string, artifactType?: string): Promise<Referrer[]>;

  repositoryExists(repository: string): Promise<boolean>;
  /** Tags of a repository in lexical order after `last`, at most `limit` (keyset pagination). */
  listTags(repository: string, after: string | undefined, limit: number): Promise<string[]>;
  /** Repository names in lexical order after `last`, at most `limit`. */
  listRepositories(after: string | undefined, limit: number): Promise<string[]>;

  createUploadSession(id: string, repository: string, now: number): Promise<void>;
  uploadSession(id: string): Promise<UploadSession | undefined>;
  touchUploadSession(id: string, now: number): Promise<void>;
  deleteUploadSession(id: string): Promise<void>;
  /** Ids of sessions untouched since `before`. */
  staleUploadSessions(before: number): Promise<string[]>;
  /** Whether the ids name open sessions; for sweeping orphaned upload bytes. */
  existingUploadSessions(ids: readonly string[]): Promise<Set<string>>;

  /** Queues a job; when `uniqueKey` names a job still queued or running, answers that job's id instead. */
  enqueueJob(job: NewJob): Promise<number>;
  /** Queues several jobs in one transaction, as `enqueueJob` would each; answers their ids in order. */
  enqueueJobs(jobs: readonly NewJob[]): Promise<number[]>;
  /**
   * Takes the next due job of one of `kinds` for `owner`, leased until `now + leaseMs`: a queued job whose time has
   * come, or a running one whose lease ran out (its node died). At most one owner gets a job, across nodes.
   */
  claimJob(kinds: readonly string[], owner: string, leaseMs: number, now: number): Promise<Job | undefined>;
  /** Extends the lease `owner` holds and records progress; false when the lease was lost to another owner. */
  renewJob(id: number, owner: string, leaseUntil: number, progress: JobProgress | undefined, now: number): Promise<boolean>;
  /**
   * Ends the run `owner` holds: done, or failed; a failed job with attempts left is queued again for `retryAt`.
   * False when the lease was lost (another node took the job over).
   */
  finishJob(id: number, owner: string, outcome: JobOutcome, now: number): Promise<boolean>;
  job(id: number): Promise<Job | undefined>;
  /**
   * How many jobs of each kind are queued or running: the queue as it stands, for metrics. Finished jobs are
   * history, left out so that the count stays one index range however long the history grows.
   */
  openJobCounts(): Promise<JobCount[]>;
  /** The figures of the store's connection pool, where it has one (PostgreSQL), for metrics; undefined otherwise. */
  connectionPool(): ConnectionPoolFigures | undefined;

  /** Resolves when the database answers a query (for readiness checks). */
  ping(): Promise<void>;

  close(): Promise<void>;
}

export interface NewManifest {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly content: Buffer;
  readonly artifactType: string | undefined;
  readonly subjectDigest: string | undefined;
  readonly annotations: Record<string, string> | undefined;
  readonly references: readonly { digest: string; kind: 'blob' | 'manifest' }[];
  /** What queries need of it (platforms, labels, created, total size), stored with it when it is new. */
  readonly facts?: ArtifactFacts | undefined;
  /** Tags to point at the manifest (none when pushed by digest). */
  readonly tags: readonly string[];
  /**
   * Tags of `tags` that may not move (immutable): when one names another digest by the time the transaction runs,
   * because another push got there first, nothing is written and ConflictError is thrown.
   */
  readonly keepTags?: readonly string[] | undefined;
  /** Who pushed it, for its events; Berth itself when absent. */
  readonly origin?: EventOrigin | undefined;
  readonly now: number;
}

/**
 * Throws ConflictError when a tag the push must keep already names another digest; `previous` maps the push's tags
 * to the digests they named inside its transaction. Both stores call it before pointing any tag.
 */
export function refuseMovingKeptTags(manifest: NewManifest, previous: ReadonlyMap<string, string>): void {
  for (const tag of manifest.keepTags ?? []) {
    const named = previous.get(tag);
    if (named !== undefined && named !== manifest.digest) {
      throw new ConflictError(`the tag ${tag} of ${manifest.repository} was set to ${named} by another push at the same moment`);
    }
  }
}

/** How a blob came to be linked, for its event. */
export interface BlobLink {
  readonly origin: EventOrigin;
  /** The repository a cross-repository mount linked it from. */
  readonly from?: string | undefined;
}

export interface StoredManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly content: Buffer;
}

export interface Referrer {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType: string | undefined;
  readonly annotations: Record<string, string> | undefined;
}

export interface UploadSession {
  readonly id: string;
  readonly repository: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

/** How far a running job has come, for progress in the API and UI: `done` of `total` units (bytes, items). */
export interface JobProgress {
  readonly done: number;
  readonly total?: number;
  readonly note?: string;
}

export interface NewJob {
  readonly kind: string;
  readonly payload: unknown;
  readonly uniqueKey?: string;
  readonly runAfter: number;
  readonly maxAttempts: number;
  readonly now: number;
}

export interface Job {
  readonly id: number;
  readonly kind: string;
  readonly payload: unknown;
  readonly status: JobStatus;
  /** Runs started so far, this one included. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly runAfter: number;
  readonly progress: JobProgress | undefined;
  readonly lastError: string | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Jobs of one kind in one state. */
export interface JobCount {
  readonly kind: string;
  readonly status: JobStatus;
  readonly count: number;
}

/** A connection pool as it stands: connections open, idle among them, queries waiting for one, and the most it opens. */
export interface ConnectionPoolFigures {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
  readonly max: number;
}

export type JobOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string; readonly retryAt: number };
