/*
 * What PostgreSQL adds beyond the shared contract: several nodes on one database. Migrations from nodes starting
 * at once, a node told not to migrate, change versions that follow other nodes' writes, and what happens while a
 * node cannot hear them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { knownMigrations, SchemaOutOfDateError } from '../../src/metadata/migrate.js';
import { openPostgresMetadataStore } from '../../src/metadata/open-postgres.js';
import type { PostgresMetadataStore } from '../../src/metadata/postgres-metadata-store.js';
import { eventually } from '../support/registry-client.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const open = (url: string, migrate = true): Promise<PostgresMetadataStore> =>
  openPostgresMetadataStore({ url, poolSize: 4, migrate });

describe('PostgreSQL metadata shared by several nodes', { timeout: 120_000 }, () => {
  let server: PostgresServer;
  before(async () => { server = await startPostgres(); });
  after(async () => { await server.stop(); });

  it('migrates once when four nodes start at the same moment on an empty database', async () => {
    const url = await server.createDatabase();
    const nodes = await Promise.all([open(url), open(url), open(url), open(url)]);
    try {
      const applied = await server.query(new URL(url).pathname.slice(1), 'SELECT name FROM kysely_migration ORDER BY name');
      assert.deepEqual(applied.rows.map((row: { name: string }) => row.name), knownMigrations(), 'each migration once');
      await nodes[0]!.linkBlob('team/app', digest(1), 5);
      assert.deepEqual(await nodes[3]!.linkedBlob('team/app', digest(1)), { size: 5 });
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  });

  it('refuses to start a node told not to migrate on an old schema, and says to run berth migrate', async () => {
    const url = await server.createDatabase();
    await assert.rejects(open(url, false), (error: unknown) => {
      assert.ok(error instanceof SchemaOutOfDateError);
      assert.match(error.message, /0001-initial/);
      assert.match(error.message, /berth migrate/);
      return true;
    });
    await (await open(url, true)).close();
    await (await open(url, false)).close();
  });

  it('changes a node\'s version when another node writes, and not when nothing is written', async () => {
    const url = await server.createDatabase();
    const [a, b] = [await open(url), await open(url)];
    try {
      const quiet = b.changeVersion();
      assert.equal(b.changeVersion(), quiet, 'the version holds still between writes');
      await a.putManifest({
        repository: 'team/app', digest: digest(100), mediaType: 'application/vnd.oci.image.manifest.v1+json',
        content: Buffer.from('{}'), artifactType: undefined, subjectDigest: undefined, annotations: undefined,
        references: [], tags: ['v1'], now: 1,
      });
      await eventually('node b to hear node a\'s write', () => (b.changeVersion() !== quiet ? true : undefined));
      const after = b.changeVersion();
      await a.deleteTag('team/app', 'v1');
      await eventually('node b to hear the tag deletion', () => (b.changeVersion() !== after ? true : undefined));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('serves nothing from cache while it cannot hear other nodes, and listens again by itself', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    try {
      const database = new URL(url).pathname.slice(1);
      const killed = await server.query(database,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%'", [database]);
      assert.equal(killed.rowCount, 1, 'the listening session was found and ended');
      // Deaf, the version changes on every call; listening again, two calls in a row agree.
      const twoCallsAgree = (): boolean => {
        const first = store.changeVersion();
        return first === store.changeVersion();
      };
      await eventually('the node to notice it is deaf', () => (twoCallsAgree() ? undefined : true));
      await eventually('the node to listen again', () => (twoCallsAgree() ? true : undefined), { attempts: 400, intervalMs: 50 });
    } finally {
      await store.close();
    }
  });

  it('sorts names bytewise whatever the database locale, as SQLite does', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    try {
      for (const [n, tag] of ['b', 'B', 'a', 'A-1', 'a_1'].entries()) {
        await store.putManifest({
          repository: 'team/app', digest: digest(200 + n), mediaType: 'application/vnd.oci.image.manifest.v1+json',
          content: Buffer.from(`{"n":${n}}`), artifactType: undefined, subjectDigest: undefined, annotations: undefined,
          references: [], tags: [tag], now: 1,
        });
      }
      assert.deepEqual(await store.listTags('team/app', undefined, 10), ['A-1', 'B', 'a', 'a_1', 'b']);
      assert.deepEqual(await store.listTags('team/app', 'B', 10), ['a', 'a_1', 'b']);
    } finally {
      await store.close();
    }
  });

  it('names the server it could not reach, without the password', async () => {
    await assert.rejects(open(`postgres://berth:hunter2@127.0.0.1:${server.port}/no_such_database`), (error: Error) => {
      assert.match(error.message, /PostgreSQL at 127\.0\.0\.1:\d+, database no_such_database/);
      assert.match(error.message, /BERTH_DATABASE_URL/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });
});
