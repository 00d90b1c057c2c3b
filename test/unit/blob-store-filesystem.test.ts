import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemBlobStore } from '../../src/storage/filesystem/filesystem-blob-store.js';
import { blobStoreSuite } from '../suites/blob-store.suite.js';

blobStoreSuite('filesystem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-blobs-'));
  const store = new FilesystemBlobStore(join(dir, 'storage'));
  await store.init();
  return {
    store,
    async dispose() { rmSync(dir, { recursive: true, force: true }); },
  };
});
