import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './database-schema.js';
import { KyselyMetadataStore } from './kysely-metadata-store.js';
import type { StoredManifest } from './metadata-store.js';

interface ManifestRow { digest: string; media_type: string; size: number; content: Buffer }

/**
 * The embedded metadata store. Everything goes through the shared Kysely implementation except the reads on the
 * pull path, which run as statements prepared once: they answer without building or compiling a query per request.
 * They use a connection of their own: on the writer's connection they would see a transaction's rows between its
 * statements, before it commits or rolls back; in WAL mode a second connection sees only committed data.
 */
export class SqliteMetadataStore extends KyselyMetadataStore {
  readonly #dataVersion: Statement<[], number>;
  readonly #manifestByTag: Statement<[string, string], ManifestRow>;
  readonly #manifestByDigest: Statement<[string, string], ManifestRow>;
  readonly #linkedBlob: Statement<[string, string], number>;

  readonly #reader: SqliteDatabase;

  constructor(db: Kysely<Database>, reader: SqliteDatabase) {
    super(db);
    this.#reader = reader;
    const sqlite = reader;
    this.#dataVersion = sqlite.prepare<[], number>('PRAGMA data_version').pluck();
    this.#manifestByTag = sqlite.prepare<[string, string], ManifestRow>(
      'SELECT m.digest, m.media_type, m.size, m.content FROM tags t JOIN manifests m ON m.digest = t.digest WHERE t.repository = ? AND t.name = ?');
    this.#manifestByDigest = sqlite.prepare<[string, string], ManifestRow>(
      'SELECT m.digest, m.media_type, m.size, m.content FROM repository_manifests rm JOIN manifests m ON m.digest = rm.digest WHERE rm.repository = ? AND rm.digest = ?');
    this.#linkedBlob = sqlite.prepare<[string, string], number>(
      'SELECT b.size FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest WHERE rb.repository = ? AND rb.digest = ?').pluck();
  }

  /**
   * SQLite's data_version, read on the reader connection, changes when any other connection commits: this
   * process's writer and other Berth processes on the same file alike. The reader sees exactly those commits, so
   * nothing it cached can be older than the version says.
   */
  override changeVersion(): number {
    return this.#dataVersion.get()!;
  }

  override async close(): Promise<void> {
    await super.close();
    this.#reader.close();
  }

  override async manifestByTag(repository: string, tag: string): Promise<StoredManifest | undefined> {
    return toManifest(this.#manifestByTag.get(repository, tag));
  }

  override async manifestByDigest(repository: string, digest: string): Promise<StoredManifest | undefined> {
    return toManifest(this.#manifestByDigest.get(repository, digest));
  }

  override async linkedBlob(repository: string, digest: string): Promise<{ size: number } | undefined> {
    const size = this.#linkedBlob.get(repository, digest);
    return size === undefined ? undefined : { size };
  }
}

function toManifest(row: ManifestRow | undefined): StoredManifest | undefined {
  return row && { digest: row.digest, mediaType: row.media_type, size: row.size, content: row.content };
}
