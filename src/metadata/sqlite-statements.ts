import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { Database } from './database-schema.js';
import type { EventRow } from './event-rows.js';

export interface ManifestRow { digest: string; media_type: string; size: number; content: Buffer }
interface SessionRow { id: string; repository: string; created_at: number; updated_at: number }

/**
 * The SQL of the embedded store's hot paths, prepared once per connection. Writes go to the writer, reads to the
 * reader. Lists are passed as one JSON array (json_each), so one statement serves any length.
 */
export class SqliteStatements {
  readonly contentVersion: Statement<[], number>;
  readonly manifestByTag: Statement<[string, string], ManifestRow>;
  readonly manifestByDigest: Statement<[string, string], ManifestRow>;
  readonly linkedBlob: Statement<[string, string], number>;
  readonly linkedBlobSizes: Statement<[string, string], { digest: string; size: number }>;
  readonly linkedManifests: Statement<[string, string], string>;
  readonly repositoryExists: Statement<[string], number>;
  readonly uploadSession: Statement<[string], SessionRow>;

  readonly ensureRepository: Statement<[string, number]>;
  readonly insertBlob: Statement<[string, number, number]>;
  readonly linkBlob: Statement<[string, string, number]>;
  readonly unlinkBlob: Statement<[string, string]>;
  readonly insertManifest: Statement<[string, string, number, Buffer, string | null, string | null, string | null, number]>;
  readonly insertReference: Statement<[string, string, string]>;
  readonly linkManifest: Statement<[string, string, number]>;
  readonly unlinkManifest: Statement<[string, string]>;
  readonly upsertTag: Statement<[string, string, string, number]>;
  readonly deleteTag: Statement<[string, string], string>;
  readonly deleteTagsOf: Statement<[string, string], string>;
  readonly tagDigest: Statement<[string, string], string>;
  readonly insertEvent: Statement<EventRow>;
  readonly insertArtifact: Statement<Database['artifacts']>;
  readonly insertPlatform: Statement<Database['artifact_platforms']>;
  readonly insertProperty: Statement<Database['artifact_properties']>;
  readonly createUploadSession: Statement<[string, string, number, number]>;
  readonly touchUploadSession: Statement<[number, string]>;
  readonly deleteUploadSession: Statement<[string]>;

  constructor(writer: SqliteDatabase, reader: SqliteDatabase) {
    this.contentVersion = reader.prepare<[], number>('SELECT value FROM content_version').pluck();
    this.manifestByTag = reader.prepare(
      'SELECT m.digest, m.media_type, m.size, m.content FROM tags t JOIN manifests m ON m.digest = t.digest WHERE t.repository = ? AND t.name = ?');
    this.manifestByDigest = reader.prepare(
      'SELECT m.digest, m.media_type, m.size, m.content FROM repository_manifests rm JOIN manifests m ON m.digest = rm.digest WHERE rm.repository = ? AND rm.digest = ?');
    this.linkedBlob = reader.prepare<[string, string], number>(
      'SELECT b.size FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest WHERE rb.repository = ? AND rb.digest = ?').pluck();
    this.linkedBlobSizes = reader.prepare(
      'SELECT b.digest, b.size FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest WHERE rb.repository = ? AND rb.digest IN (SELECT value FROM json_each(?))');
    this.linkedManifests = reader.prepare<[string, string], string>(
      'SELECT digest FROM repository_manifests WHERE repository = ? AND digest IN (SELECT value FROM json_each(?))').pluck();
    this.repositoryExists = reader.prepare<[string], number>('SELECT 1 FROM repositories WHERE name = ?').pluck();
    this.uploadSession = reader.prepare('SELECT id, repository, created_at, updated_at FROM upload_sessions WHERE id = ?');

    this.ensureRepository = writer.prepare('INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING');
    this.insertBlob = writer.prepare('INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING');
    this.linkBlob = writer.prepare(
      'INSERT INTO repository_blobs (repository, digest, created_at) VALUES (?, ?, ?) ON CONFLICT (repository, digest) DO NOTHING');
    this.unlinkBlob = writer.prepare('DELETE FROM repository_blobs WHERE repository = ? AND digest = ?');
    this.insertManifest = writer.prepare(
      'INSERT INTO manifests (digest, media_type, size, content, artifact_type, subject_digest, annotations, created_at) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING');
    this.insertReference = writer.prepare(
      'INSERT INTO manifest_references (manifest_digest, child_digest, kind) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.linkManifest = writer.prepare(
      'INSERT INTO repository_manifests (repository, digest, created_at) VALUES (?, ?, ?) ON CONFLICT (repository, digest) DO NOTHING');
    this.unlinkManifest = writer.prepare('DELETE FROM repository_manifests WHERE repository = ? AND digest = ?');
    this.upsertTag = writer.prepare(
      'INSERT INTO tags (repository, name, digest, updated_at) VALUES (?, ?, ?, ?) ' +
      'ON CONFLICT (repository, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at');
    this.deleteTag = writer.prepare<[string, string], string>('DELETE FROM tags WHERE repository = ? AND name = ? RETURNING digest').pluck();
    this.deleteTagsOf = writer.prepare<[string, string], string>('DELETE FROM tags WHERE repository = ? AND digest = ? RETURNING name').pluck();
    // On the writer: inside a push's transaction it must see that transaction's own rows.
    this.tagDigest = writer.prepare<[string, string], string>('SELECT digest FROM tags WHERE repository = ? AND name = ?').pluck();
    this.insertEvent = writer.prepare<EventRow>(
      'INSERT INTO events (type, repository, digest, tag, created_at, actor, actor_kind, address, data) ' +
      'VALUES (@type, @repository, @digest, @tag, @created_at, @actor, @actor_kind, @address, @data)');
    this.insertArtifact = writer.prepare<Database['artifacts']>(
      'INSERT INTO artifacts (digest, config_digest, os, architecture, variant, created, author, labels, total_size) ' +
      'VALUES (@digest, @config_digest, @os, @architecture, @variant, @created, @author, @labels, @total_size) ON CONFLICT (digest) DO NOTHING');
    this.insertPlatform = writer.prepare<Database['artifact_platforms']>(
      'INSERT INTO artifact_platforms (digest, child_digest, os, architecture, variant) ' +
      'VALUES (@digest, @child_digest, @os, @architecture, @variant) ON CONFLICT DO NOTHING');
    this.insertProperty = writer.prepare<Database['artifact_properties']>(
      'INSERT INTO artifact_properties (digest, source, key, value) VALUES (@digest, @source, @key, @value) ON CONFLICT DO NOTHING');
    this.createUploadSession = writer.prepare('INSERT INTO upload_sessions (id, repository, created_at, updated_at) VALUES (?, ?, ?, ?)');
    this.touchUploadSession = writer.prepare('UPDATE upload_sessions SET updated_at = ? WHERE id = ?');
    this.deleteUploadSession = writer.prepare('DELETE FROM upload_sessions WHERE id = ?');
  }
}
