import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
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

test('a push that lands while an access change rolls back is kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-meta-interleave-'));
  const store = await openSqliteMetadataStore(join(dir, 'berth.db'));
  try {
    const access = store.access();
    await access.createUser({ username: 'taken', source: 'local', admin: false, now: 1 });
    // The conflicting create opens a transaction, reads, and rolls back; the pushes start at every point within it.
    for (let delay = 0; delay < 30; delay++) {
      const failing = access.createUser({ username: 'taken', source: 'local', admin: false, now: 1 });
      for (let i = 0; i < delay; i++) await Promise.resolve();
      const digest = `sha256:${delay.toString(16).padStart(64, '0')}`;
      const pushed = store.linkBlob('team/app', digest, 1);
      await Promise.allSettled([failing, pushed]);
      await pushed;
      assert.ok(await store.linkedBlob('team/app', digest), `blob pushed after ${delay} microtasks is there`);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
