import { after } from 'node:test';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import { openPostgresMetadataStore } from '../../src/metadata/open-postgres.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { metadataStoreSuite } from '../suites/metadata-store.suite.js';

/* The shared metadata contract on a real PostgreSQL server, a fresh database per test. */
let server: Promise<PostgresServer> | undefined;
const running = (): Promise<PostgresServer> => (server ??= startPostgres());

metadataStoreSuite('PostgreSQL', {
  async create(): Promise<MetadataStore> {
    const url = await (await running()).createDatabase('berth_suite');
    return openPostgresMetadataStore({ url, poolSize: 4, migrate: true });
  },
});

after(async () => { await (await server)?.stop(); });
