import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import { metadataStoreSuite } from '../suites/metadata-store.suite.js';

const folders = new Map<object, string>();

metadataStoreSuite('SQLite', {
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'berth-meta-'));
    const store = await openSqliteMetadataStore(join(dir, 'berth.db'));
    folders.set(store, dir);
    return store;
  },
  async dispose(store) {
    await store.close();
    rmSync(folders.get(store)!, { recursive: true, force: true });
  },
});
