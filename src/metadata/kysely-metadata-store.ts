import { KyselyTrustStore } from './kysely-trust-store.js';
import type { TrustStore } from './trust-store.js';
import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import {
  blobLinkedEvent, blobUnlinkedEvent, manifestDeletedEvent, manifestPushedEvents, systemOrigin, tagDeletedEvent,
  type EventOrigin, type NewRegistryEvent,
} from '../events/registry-event.js';
import type { AccessStore } from './access-store.js';
import type { Database } from './database-schema.js';
import { toEventRow } from './event-rows.js';
import { KyselyAccessStore } from './kysely-access-store.js';
import { KyselyInsightStore } from './kysely-insight-store.js';
import { KyselyScanStore } from './kysely-scan-store.js';
import type { ScanStore } from './scan-store.js';
import { insertFacts } from './kysely-fact-writes.js';
import { toJob } from './job-rows.js';
import { slices } from './slices.js';
import { KyselyOutboxStore } from './kysely-outbox-store.js';
import type { InsightStore } from './insight-store.js';
import { KyselyPolicyStore } from './kysely-policy-store.js';
import { KyselyWebhookStore } from './kysely-webhook-store.js';
import type {
  BlobLink, ConnectionPoolFigures, Job, JobCount, JobOutcome, JobProgress, JobStatus, MetadataStore, NewJob, NewManifest, Referrer,
  StoredManifest, UploadSession,
} from './metadata-store.js';
import { refuseMovingKeptTags } from './metadata-store.js';
import type { OutboxStore } from './outbox-store.js';
import type { PolicyStore } from './policy-store.js';
import type { WebhookStore } from './webhook-store.js';

/**
 * The predicate of the jobs table's partial unique index on unique_key, as migration 0002 wrote it: an upsert's
 * conflict target must repeat it word for word for SQLite to match the index.
 */
const openJob = sql<boolean>`status in ('queued', 'running')`;

function jobRow(job: NewJob) {
  return {
    kind: job.kind, unique_key: job.uniqueKey ?? null, payload: JSON.stringify(job.payload ?? null), status: 'queued',
    attempts: 0, max_attempts: job.maxAttempts, run_after: job.runAfter, lease_owner: null, lease_until: null,
    progress: null, last_error: null, created_at: job.now, updated_at: job.now,
  };
}

/**
 * The metadata store over Kysely: one implementation for every SQL dialect Berth supports. Only this folder
 * imports Kysely.
 */
export class KyselyMetadataStore implements MetadataStore {
  readonly #db: Kysely<Database>;
  /** Writes this process has made to what caches hold (links, manifests, tags); part of the change version. */
  #writes = 0;
  #access: AccessStore | undefined;
  #outbox: OutboxStore | undefined;
  #policies: PolicyStore | undefined;
  #webhooks: WebhookStore | undefined;
  #insight: InsightStore | undefined;
  #scans: ScanStore | undefined;
  #trust: TrustStore | undefined;
  #transactionDone: Promise<void> | undefined;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  outbox(): OutboxStore {
    this.#outbox ??= new KyselyOutboxStore(this.#db);
    return this.#outbox;
  }

  policies(): PolicyStore {
    // Counted writes: policy caches on this node and (PostgreSQL) on others drop with every change.
    this.#policies ??= new KyselyPolicyStore(this.#db, (work) => this.#write(work));
    return this.#policies;
  }

  webhooks(): WebhookStore {
    // Counted writes, as for policies: subscription caches drop with every change of a subscription.
    this.#webhooks ??= new KyselyWebhookStore(this.#db, (work) => this.#write(work));
    return this.#webhooks;
  }

  insight(): InsightStore {
    // Counted writes: pull figures are part of what the query caches above the store hold.
    this.#insight ??= new KyselyInsightStore(this.#db, (work) => this.#write(work));
    return this.#insight;
  }

  scans(): ScanStore {
    // Policies and allowlists are counted writes (the pull policy caches them); scan results are not: they are written
    // all the time in the background, and the policy's verdicts keep fresh by other means.
    this.#scans ??= new KyselyScanStore(this.#db, (work) => this.#write(work), (work) => this.#quietWrite(work));
    return this.#scans;
  }

  trust(): TrustStore {
    // Counted writes: the pull policy caches trust policies and keys per change version.
    this.#trust ??= new KyselyTrustStore(this.#db, (work) => this.#write(work));
    return this.#trust;
  }

  access(): AccessStore {
    // Its writes go through #write, so that access caches drop with them on this node and (PostgreSQL) on others.
    this.#access ??= new KyselyAccessStore(this.#db, (work) => this.#write(work));
    return this.#access;
  }

  /** Changes with every write of this process; a dialect whose database has other writers adds theirs. */
  changeVersion(): number {
    return this.#writes;
  }

  /**
   * Runs a write that may change what caches hold, as one transaction, and counts it, committed or not (counting a
   * rolled-back one only costs a cache refill). `announce` runs last inside the transaction, for dialects that tell
   * other nodes about the write when it commits.
   */
  async #write<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.#transaction(work, true);
  }

  /**
   * A write no cache depends on (the scanner's bookkeeping): one transaction like the others, but it moves neither
   * this node's change version nor, on PostgreSQL, the other nodes'.
   */
  async #quietWrite<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.#transaction(work, false);
  }

  async #transaction<T>(work: (trx: Transaction<Database>) => Promise<T>, counted: boolean): Promise<T> {
    let release!: () => void;
    const done = new Promise<void>((resolve) => { release = resolve; });
    this.#transactionDone = done;
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const result = await work(trx);
        if (counted) await this.announce(trx);
        return result;
      });
    } finally {
      if (counted) this.#writes++;
      // Kysely runs transactions one after another, so the last one started is the last to end.
      if (this.#transactionDone === done) this.#transactionDone = undefined;
      release();
    }
  }

  /**
   * Resolves once no transaction of this store's Kysely connection is open. A dialect whose hot paths write on the
   * same connection outside Kysely (SQLite) waits for it first: a write started while a Kysely transaction waits
   * between its statements would otherwise join that transaction, and vanish if it rolled back.
   */
  protected async kyselyTransactionsDone(): Promise<void> {
    while (this.#transactionDone) await this.#transactionDone;
  }

  /** Tells other nodes, when the transaction commits, that cached reads may have changed; nothing by default. */
  protected async announce(_trx: Transaction<Database>): Promise<void> {}

  async linkedBlob(repository: string, digest: string): Promise<{ size: number } | undefined> {
    const row = await this.#db.selectFrom('repository_blobs as rb')
      .innerJoin('blobs as b', 'b.digest', 'rb.digest')
      .select('b.size')
      .where('rb.repository', '=', repository)
      .where('rb.digest', '=', digest)
      .executeTakeFirst();
    return row ? { size: Number(row.size) } : undefined;
  }

  async linkedBlobSizes(repository: string, digests: readonly string[]): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    if (digests.length === 0) return sizes;
    for (const slice of slices([...new Set(digests)])) {
      const rows = await this.#db.selectFrom('repository_blobs as rb')
        .innerJoin('blobs as b', 'b.digest', 'rb.digest')
        .select(['b.digest', 'b.size'])
        .where('rb.repository', '=', repository)
        .where('rb.digest', 'in', slice)
        .execute();
      for (const row of rows) sizes.set(row.digest, Number(row.size));
    }
    return sizes;
  }

  async repositoriesWithBlob(digest: string, limit: number): Promise<string[]> {
    const rows = await this.#db.selectFrom('repository_blobs').select('repository')
      .where('digest', '=', digest).orderBy('repository').limit(limit).execute();
    return rows.map((row) => row.repository);
  }

  async linkBlob(repository: string, digest: string, size: number, endSession?: string, link?: BlobLink): Promise<void> {
    return this.#write(async (trx) => {
      const now = Date.now();
      const event = blobLinkedEvent(repository, digest, size, link?.from === undefined ? 'pushed' : 'mounted',
        link?.origin ?? systemOrigin, now, link?.from);
      await ensureRepository(trx, repository, now);
      await trx.insertInto('blobs').values({ digest, size, created_at: now })
        .onConflict((oc) => oc.column('digest').doNothing()).execute();
      await trx.insertInto('repository_blobs').values({ repository, digest, created_at: now })
        .onConflict((oc) => oc.columns(['repository', 'digest']).doNothing()).execute();
      if (endSession !== undefined) await trx.deleteFrom('upload_sessions').where('id', '=', endSession).execute();
      await insertEvents(trx, [event]);
    });
  }

  async unlinkBlob(repository: string, digest: string, origin: EventOrigin = systemOrigin): Promise<boolean> {
    return this.#write(async (trx) => {
      const result = await trx.deleteFrom('repository_blobs')
        .where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await insertEvents(trx, [blobUnlinkedEvent(repository, digest, origin, Date.now())]);
      return true;
    });
  }

  async linkedManifests(repository: string, digests: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const slice of slices([...new Set(digests)])) {
      const rows = await this.#db.selectFrom('repository_manifests').select('digest')
        .where('repository', '=', repository).where('digest', 'in', slice).execute();
      for (const row of rows) found.add(row.digest);
    }
    return found;
  }

  async putManifest(manifest: NewManifest): Promise<void> {
    return this.#write(async (trx) => {
      const { repository, digest, now } = manifest;
      await ensureRepository(trx, repository, now);
      const inserted = await trx.insertInto('manifests').values({
        digest,
        media_type: manifest.mediaType,
        size: manifest.content.length,
        content: manifest.content,
        artifact_type: manifest.artifactType ?? null,
        subject_digest: manifest.subjectDigest ?? null,
        annotations: manifest.annotations ? JSON.stringify(manifest.annotations) : null,
        created_at: now,
      }).onConflict((oc) => oc.column('digest').doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
        const unique = new Map(manifest.references.map((ref) => [`${ref.kind} ${ref.digest}`, ref]));
        for (const slice of slices([...unique.values()], 500)) {
          await trx.insertInto('manifest_references')
            .values(slice.map((ref) => ({ manifest_digest: digest, child_digest: ref.digest, kind: ref.kind })))
            .onConflict((oc) => oc.columns(['manifest_digest', 'child_digest', 'kind']).doNothing()).execute();
        }
        if (manifest.facts) await insertFacts(trx, digest, manifest.facts, manifest.annotations);
      }
      await trx.insertInto('repository_manifests').values({ repository, digest, created_at: now })
        .onConflict((oc) => oc.columns(['repository', 'digest']).doNothing()).execute();
      const previous = new Map<string, string>();
      if (manifest.tags.length > 0) {
        const rows = await trx.selectFrom('tags').select(['name', 'digest'])
          .where('repository', '=', repository).where('name', 'in', manifest.tags).execute();
        for (const row of rows) previous.set(row.name, row.digest);
      }
      refuseMovingKeptTags(manifest, previous);
      for (const tag of manifest.tags) {
        await trx.insertInto('tags').values({ repository, name: tag, digest, updated_at: now })
          .onConflict((oc) => oc.columns(['repository', 'name']).doUpdateSet({ digest, updated_at: now })).execute();
      }
      await insertEvents(trx, manifestPushedEvents({ ...manifest, size: manifest.content.length, origin: manifest.origin ?? systemOrigin }, previous));
    });
  }

  async manifestByDigest(repository: string, digest: string): Promise<StoredManifest | undefined> {
    const row = await this.#db.selectFrom('repository_manifests as rm')
      .innerJoin('manifests as m', 'm.digest', 'rm.digest')
      .select(['m.digest', 'm.media_type', 'm.size', 'm.content'])
      .where('rm.repository', '=', repository).where('rm.digest', '=', digest)
      .executeTakeFirst();
    return row ? toStoredManifest(row) : undefined;
  }

  async manifestByTag(repository: string, tag: string): Promise<StoredManifest | undefined> {
    const row = await this.#db.selectFrom('tags as t')
      .innerJoin('manifests as m', 'm.digest', 't.digest')
      .select(['m.digest', 'm.media_type', 'm.size', 'm.content'])
      .where('t.repository', '=', repository).where('t.name', '=', tag)
      .executeTakeFirst();
    return row ? toStoredManifest(row) : undefined;
  }

  async deleteManifest(repository: string, digest: string, origin: EventOrigin = systemOrigin): Promise<boolean> {
    return this.#write(async (trx) => {
      const removed = await trx.deleteFrom('repository_manifests')
        .where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
      if (Number(removed.numDeletedRows) === 0) return false;
      const tags = await trx.deleteFrom('tags').where('repository', '=', repository).where('digest', '=', digest)
        .returning('name').execute();
      await insertEvents(trx, [manifestDeletedEvent(repository, digest, tags.map((row) => row.name).sort(), origin, Date.now())]);
      return true;
    });
  }

  async deleteTag(repository: string, tag: string, origin: EventOrigin = systemOrigin): Promise<string | undefined> {
    return this.#write(async (trx) => {
      const row = await trx.deleteFrom('tags').where('repository', '=', repository).where('name', '=', tag)
        .returning('digest').executeTakeFirst();
      if (!row) return undefined;
      await insertEvents(trx, [tagDeletedEvent(repository, tag, row.digest, origin, Date.now())]);
      return row.digest;
    });
  }

  async tagsOf(repository: string, digest: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('tags').select('name')
      .where('repository', '=', repository).where('digest', '=', digest).orderBy('name').execute();
    return rows.map((row) => row.name);
  }

  async childManifests(digest: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('manifest_references').select('child_digest')
      .where('manifest_digest', '=', digest).where('kind', '=', 'manifest').orderBy('child_digest').execute();
    return rows.map((row) => row.child_digest);
  }

  async referrers(repository: string, digest: string, artifactType?: string): Promise<Referrer[]> {
    let query = this.#db.selectFrom('repository_manifests as rm')
      .innerJoin('manifests as m', 'm.digest', 'rm.digest')
      .select(['m.digest', 'm.media_type', 'm.size', 'm.artifact_type', 'm.annotations'])
      .where('rm.repository', '=', repository).where('m.subject_digest', '=', digest);
    if (artifactType !== undefined) query = query.where('m.artifact_type', '=', artifactType);
    const rows = await query.orderBy('m.digest').execute();
    return rows.map((row) => ({
      digest: row.digest,
      mediaType: row.media_type,
      size: Number(row.size),
      artifactType: row.artifact_type ?? undefined,
      annotations: row.annotations ? JSON.parse(row.annotations) as Record<string, string> : undefined,
    }));
  }

  async repositoryExists(repository: string): Promise<boolean> {
    const row = await this.#db.selectFrom('repositories').select('name').where('name', '=', repository).executeTakeFirst();
    return row !== undefined;
  }

  async listTags(repository: string, after: string | undefined, limit: number): Promise<string[]> {
    let query = this.#db.selectFrom('tags').select('name').where('repository', '=', repository);
    if (after !== undefined) query = query.where('name', '>', after);
    const rows = await query.orderBy('name').limit(limit).execute();
    return rows.map((row) => row.name);
  }

  async listRepositories(after: string | undefined, limit: number): Promise<string[]> {
    let query = this.#db.selectFrom('repositories').select('name');
    if (after !== undefined) query = query.where('name', '>', after);
    const rows = await query.orderBy('name').limit(limit).execute();
    return rows.map((row) => row.name);
  }

  async createUploadSession(id: string, repository: string, now: number): Promise<void> {
    await this.#db.insertInto('upload_sessions').values({ id, repository, created_at: now, updated_at: now }).execute();
  }

  async uploadSession(id: string): Promise<UploadSession | undefined> {
    const row = await this.#db.selectFrom('upload_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row
      ? { id: row.id, repository: row.repository, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) }
      : undefined;
  }

  async touchUploadSession(id: string, now: number): Promise<void> {
    await this.#db.updateTable('upload_sessions').set({ updated_at: now }).where('id', '=', id).execute();
  }

  async deleteUploadSession(id: string): Promise<void> {
    await this.#db.deleteFrom('upload_sessions').where('id', '=', id).execute();
  }

  async staleUploadSessions(before: number): Promise<string[]> {
    const rows = await this.#db.selectFrom('upload_sessions').select('id').where('updated_at', '<', before).execute();
    return rows.map((row) => row.id);
  }

  async existingUploadSessions(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const slice of slices(ids)) {
      const rows = await this.#db.selectFrom('upload_sessions').select('id').where('id', 'in', slice).execute();
      for (const row of rows) found.add(row.id);
    }
    return found;
  }

  async enqueueJobs(jobs: readonly NewJob[]): Promise<number[]> {
    if (jobs.length === 0) return [];
    // One transaction, one multi-row insert per slice: a burst of pushes queues its scans for the cost of a commit.
    const ids = await this.#quietWrite(async (trx) => {
      const found = new Map<number, number>();
      const numbered = jobs.map((job, at) => ({ job, at }));
      for (const { job, at } of numbered.filter(({ job }) => job.uniqueKey === undefined)) {
        found.set(at, Number((await trx.insertInto('jobs').values(jobRow(job)).returning('id').executeTakeFirstOrThrow()).id));
      }
      // Keyed jobs in one multi-row insert per slice, each found again by its key.
      for (const slice of slices(numbered.filter(({ job }) => job.uniqueKey !== undefined), 500)) {
        const inserted = await trx.insertInto('jobs').values(slice.map(({ job }) => jobRow(job)))
          .onConflict((oc) => oc.column('unique_key').where(openJob).doNothing())
          .returning(['id', 'unique_key']).execute();
        const byKey = new Map(inserted.map((row) => [row.unique_key, Number(row.id)]));
        for (const { job, at } of slice) {
          const id = byKey.get(job.uniqueKey!);
          if (id !== undefined) found.set(at, id);
        }
        const open = slice.filter(({ at }) => !found.has(at)).map(({ job }) => job.uniqueKey!);
        if (open.length === 0) continue;
        const rows = await trx.selectFrom('jobs').select(['id', 'unique_key']).where('unique_key', 'in', open).where(openJob).execute();
        const openIds = new Map(rows.map((row) => [row.unique_key, Number(row.id)]));
        for (const { job, at } of slice) if (!found.has(at) && openIds.has(job.uniqueKey!)) found.set(at, openIds.get(job.uniqueKey!)!);
      }
      return found;
    });
    // A keyed job that finished between the insert and the look-up is queued again, alone.
    return Promise.all(jobs.map((job, at) => (ids.has(at) ? ids.get(at)! : this.enqueueJob(job))));
  }

  async enqueueJob(job: NewJob): Promise<number> {
    const row = jobRow(job);
    if (job.uniqueKey === undefined) {
      const inserted = await this.#db.insertInto('jobs').values(row).returning('id').executeTakeFirstOrThrow();
      return Number(inserted.id);
    }
    // The partial unique index on unique_key (queued or running) lets one of several racing nodes in.
    const inserted = await this.#db.insertInto('jobs').values(row)
      .onConflict((oc) => oc.column('unique_key').where(openJob).doNothing())
      .returning('id').executeTakeFirst();
    if (inserted) return Number(inserted.id);
    const open = await this.#db.selectFrom('jobs').select('id')
      .where('unique_key', '=', job.uniqueKey).where('status', 'in', ['queued', 'running']).executeTakeFirst();
    // Finished between the two statements: queue it again.
    return open ? Number(open.id) : this.enqueueJob(job);
  }

  async claimJob(kinds: readonly string[], owner: string, leaseMs: number, now: number): Promise<Job | undefined> {
    if (kinds.length === 0) return undefined;
    // Claimable: queued and due, or running on a lease that ran out. Checked again on the row being updated, so that
    // of two nodes racing for one job, the second updates nothing.
    const claimable = (eb: ExpressionBuilder<Database, 'jobs'>) => eb.and([
      eb('kind', 'in', kinds),
      eb.or([
        eb.and([eb('status', '=', 'queued'), eb('run_after', '<=', now)]),
        eb.and([eb('status', '=', 'running'), eb('lease_until', '<', now)]),
      ]),
    ]);
    const next = this.lockForClaim(this.#db.selectFrom('jobs').select('id').where(claimable)
      .orderBy('run_after').orderBy('id').limit(1));
    const row = await this.#db.updateTable('jobs')
      .set({ status: 'running', lease_owner: owner, lease_until: now + leaseMs, attempts: sql<number>`attempts + 1`, updated_at: now })
      .where('id', '=', next).where(claimable)
      .returningAll().executeTakeFirst();
    return row ? toJob(row) : undefined;
  }

  /** Lets a dialect skip rows another session is claiming (PostgreSQL: FOR UPDATE SKIP LOCKED). */
  protected lockForClaim<Q>(query: Q): Q {
    return query;
  }

  async renewJob(id: number, owner: string, leaseUntil: number, progress: JobProgress | undefined, now: number): Promise<boolean> {
    const result = await this.#db.updateTable('jobs')
      .set({ lease_until: leaseUntil, updated_at: now, ...(progress && { progress: JSON.stringify(progress) }) })
      .where('id', '=', id).where('lease_owner', '=', owner).where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async finishJob(id: number, owner: string, outcome: JobOutcome, now: number): Promise<boolean> {
    const update = this.#db.updateTable('jobs').where('id', '=', id).where('lease_owner', '=', owner).where('status', '=', 'running');
    const result = outcome.ok
      ? await update.set({ status: 'done', lease_owner: null, lease_until: null, updated_at: now }).executeTakeFirst()
      : await update.set({
        // Attempts left: queued again for retryAt; otherwise failed for good.
        status: sql<string>`case when attempts < max_attempts then 'queued' else 'failed' end`,
        run_after: outcome.retryAt, lease_owner: null, lease_until: null, last_error: outcome.error.slice(0, 4000), updated_at: now,
      }).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async job(id: number): Promise<Job | undefined> {
    const row = await this.#db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toJob(row) : undefined;
  }

  async openJobCounts(): Promise<JobCount[]> {
    // The status condition is the jobs_ready index's first column: a range of open jobs, not a walk of the history.
    const rows = await this.#db.selectFrom('jobs').select(['kind', 'status', (eb) => eb.fn.countAll().as('count')])
      .where('status', 'in', ['queued', 'running']).groupBy(['kind', 'status']).execute();
    return rows.map((row) => ({ kind: row.kind, status: row.status as JobStatus, count: Number(row.count) }));
  }

  connectionPool(): ConnectionPoolFigures | undefined {
    return undefined;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }
}

/** Writes a change's events inside its transaction. */
async function insertEvents(trx: Transaction<Database>, events: readonly NewRegistryEvent[]): Promise<void> {
  if (events.length > 0) await trx.insertInto('events').values(events.map(toEventRow)).execute();
}

async function ensureRepository(trx: Transaction<Database>, name: string, now: number): Promise<void> {
  await trx.insertInto('repositories').values({ name, created_at: now })
    .onConflict((oc) => oc.column('name').doNothing()).execute();
}

function toStoredManifest(row: { digest: string; media_type: string; size: number; content: Buffer }): StoredManifest {
  return { digest: row.digest, mediaType: row.media_type, size: Number(row.size), content: row.content };
}
