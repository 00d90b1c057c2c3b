import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { artifactFactRows } from './artifact-facts.js';
import type { Database } from './database-schema.js';
import { KyselyMetadataStore } from './kysely-metadata-store.js';
import type { SqliteCheckpointer } from './sqlite-checkpointer.js';
import {
  blobLinkedEvent, blobUnlinkedEvent, manifestDeletedEvent, manifestPushedEvents, systemOrigin, tagDeletedEvent,
  type EventOrigin, type NewRegistryEvent,
} from '../events/registry-event.js';
import { toEventRow } from './event-rows.js';
import { refuseMovingKeptTags, type BlobLink, type NewManifest, type StoredManifest, type UploadSession } from './metadata-store.js';
import type { OutboxStore } from './outbox-store.js';
import { SqliteGroupCommit } from './sqlite-group-commit.js';
import { SqliteOutboxStore } from './sqlite-outbox-store.js';
import { SqliteStatements, type ManifestRow } from './sqlite-statements.js';

/**
 * The embedded metadata store. The shared Kysely implementation answers the rare calls (listings, referrers,
 * sweeps); the calls on the push and pull paths run as SQL prepared once, without building and compiling a query per
 * request, which profiling showed costing more than the statements themselves. The shared metadata suite holds both
 * to the same contract.
 *
 * Writes run on the writer connection inside better-sqlite3's synchronous transactions, those of one turn of the
 * event loop committed together (SqliteGroupCommit): each is atomic with respect to the event loop, and waits for
 * any Kysely transaction on that connection to end rather than interleave with it. Reads run on a connection of their own, which in WAL mode sees
 * only committed data (on the writer's they would see a transaction's rows before it commits or rolls back).
 */
export class SqliteMetadataStore extends KyselyMetadataStore {
  readonly #reader: SqliteDatabase;
  readonly #writer: SqliteDatabase;
  readonly #sql: SqliteStatements;
  readonly #commits: SqliteGroupCommit;
  #outbox: OutboxStore | undefined;
  readonly #checkpointer: SqliteCheckpointer | undefined;

  constructor(db: Kysely<Database>, writer: SqliteDatabase, reader: SqliteDatabase, checkpointer?: SqliteCheckpointer) {
    super(db);
    this.#checkpointer = checkpointer;
    this.#reader = reader;
    this.#writer = writer;
    this.#sql = new SqliteStatements(writer, reader);
    this.#commits = new SqliteGroupCommit(writer, () => this.kyselyTransactionsDone());
  }

  /**
   * The `content_version` counter (migration 0008), read on the reader connection: triggers move it with every write
   * to a table caches read, by this process's writer and by other Berth processes on the same file alike, and leave
   * it alone for the job queue, the outbox and the scanner's bookkeeping, which are written all the time. The reader
   * sees exactly the committed writes, so nothing cached can be older than the version says.
   */
  override changeVersion(): number {
    return this.#sql.contentVersion.get()!;
  }

  /** The outbox with its hot calls (append, read, head) prepared; cursors through Kysely. */
  override outbox(): OutboxStore {
    this.#outbox ??= new SqliteOutboxStore(super.outbox(), this.#writer, this.#reader, () => this.kyselyTransactionsDone());
    return this.#outbox;
  }

  override async close(): Promise<void> {
    await this.#checkpointer?.stop();
    await super.close();
    this.#reader.close();
  }

  override async manifestByTag(repository: string, tag: string): Promise<StoredManifest | undefined> {
    return toManifest(this.#sql.manifestByTag.get(repository, tag));
  }

  override async manifestByDigest(repository: string, digest: string): Promise<StoredManifest | undefined> {
    return toManifest(this.#sql.manifestByDigest.get(repository, digest));
  }

  override async linkedBlob(repository: string, digest: string): Promise<{ size: number } | undefined> {
    const size = this.#sql.linkedBlob.get(repository, digest);
    return size === undefined ? undefined : { size };
  }

  override async linkedBlobSizes(repository: string, digests: readonly string[]): Promise<Map<string, number>> {
    const rows = digests.length === 0 ? [] : this.#sql.linkedBlobSizes.all(repository, JSON.stringify([...new Set(digests)]));
    return new Map(rows.map((row) => [row.digest, row.size]));
  }

  override async linkedManifests(repository: string, digests: readonly string[]): Promise<Set<string>> {
    if (digests.length === 0) return new Set();
    return new Set(this.#sql.linkedManifests.all(repository, JSON.stringify([...new Set(digests)])));
  }

  override async repositoryExists(repository: string): Promise<boolean> {
    return this.#sql.repositoryExists.get(repository) !== undefined;
  }

  override async linkBlob(repository: string, digest: string, size: number, endSession?: string, link?: BlobLink): Promise<void> {
    const sql = this.#sql;
    const now = Date.now();
    const event = blobLinkedEvent(repository, digest, size, link?.from === undefined ? 'pushed' : 'mounted',
      link?.origin ?? systemOrigin, now, link?.from);
    await this.#commits.run(() => {
      sql.ensureRepository.run(repository, now);
      sql.insertBlob.run(digest, size, now);
      sql.linkBlob.run(repository, digest, now);
      if (endSession !== undefined) sql.deleteUploadSession.run(endSession);
      this.#insertEvents([event]);
    });
  }

  override async unlinkBlob(repository: string, digest: string, origin: EventOrigin = systemOrigin): Promise<boolean> {
    const sql = this.#sql;
    return this.#commits.run(() => {
      if (sql.unlinkBlob.run(repository, digest).changes === 0) return false;
      this.#insertEvents([blobUnlinkedEvent(repository, digest, origin, Date.now())]);
      return true;
    });
  }

  /** Writes a change's events; called inside the change's transaction. */
  #insertEvents(events: readonly NewRegistryEvent[]): void {
    for (const event of events) this.#sql.insertEvent.run(toEventRow(event));
  }

  override async putManifest(manifest: NewManifest): Promise<void> {
    const sql = this.#sql;
    const { repository, digest, now } = manifest;
    await this.#commits.run(() => {
      sql.ensureRepository.run(repository, now);
      const inserted = sql.insertManifest.run(digest, manifest.mediaType, manifest.content.length, manifest.content,
        manifest.artifactType ?? null, manifest.subjectDigest ?? null,
        manifest.annotations ? JSON.stringify(manifest.annotations) : null, now);
      if (inserted.changes > 0) {
        for (const ref of manifest.references) sql.insertReference.run(digest, ref.digest, ref.kind);
        if (manifest.facts) {
          const rows = artifactFactRows(digest, manifest.facts, manifest.annotations);
          sql.insertArtifact.run(rows.artifact);
          for (const row of rows.platforms) sql.insertPlatform.run(row);
          for (const row of rows.properties) sql.insertProperty.run(row);
        }
      }
      sql.linkManifest.run(repository, digest, now);
      const previous = new Map<string, string>();
      for (const tag of manifest.tags) {
        const before = sql.tagDigest.get(repository, tag);
        if (before !== undefined) previous.set(tag, before);
      }
      refuseMovingKeptTags(manifest, previous);
      for (const tag of manifest.tags) sql.upsertTag.run(repository, tag, digest, now);
      this.#insertEvents(manifestPushedEvents({ ...manifest, size: manifest.content.length, origin: manifest.origin ?? systemOrigin }, previous));
    });
  }

  override async deleteManifest(repository: string, digest: string, origin: EventOrigin = systemOrigin): Promise<boolean> {
    const sql = this.#sql;
    return this.#commits.run(() => {
      if (sql.unlinkManifest.run(repository, digest).changes === 0) return false;
      const tags = sql.deleteTagsOf.all(repository, digest).sort();
      this.#insertEvents([manifestDeletedEvent(repository, digest, tags, origin, Date.now())]);
      return true;
    });
  }

  override async deleteTag(repository: string, tag: string, origin: EventOrigin = systemOrigin): Promise<string | undefined> {
    const sql = this.#sql;
    return this.#commits.run(() => {
      const digest = sql.deleteTag.get(repository, tag);
      if (digest === undefined) return undefined;
      this.#insertEvents([tagDeletedEvent(repository, tag, digest, origin, Date.now())]);
      return digest;
    });
  }

  override async createUploadSession(id: string, repository: string, now: number): Promise<void> {
    await this.#commits.run(() => this.#sql.createUploadSession.run(id, repository, now, now));
  }

  override async uploadSession(id: string): Promise<UploadSession | undefined> {
    const row = this.#sql.uploadSession.get(id);
    return row && { id: row.id, repository: row.repository, createdAt: row.created_at, updatedAt: row.updated_at };
  }

  override async touchUploadSession(id: string, now: number): Promise<void> {
    await this.#commits.run(() => this.#sql.touchUploadSession.run(now, id));
  }

  override async deleteUploadSession(id: string): Promise<void> {
    await this.#commits.run(() => this.#sql.deleteUploadSession.run(id));
  }
}

function toManifest(row: ManifestRow | undefined): StoredManifest | undefined {
  return row && { digest: row.digest, mediaType: row.media_type, size: row.size, content: row.content };
}
