/*
 * Abandoned uploads expire. Spec, "Cancel a blob upload": "If this request fails or is not called, the server
 * SHOULD eventually timeout unfinished uploads." With uploads.expireAfterSeconds and sweepIntervalSeconds at 1,
 * an abandoned session and its bytes disappear; the test polls for that with a bounded loop and asserts no timing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import {
  assertError, completeUpload, eventually, patchChunk, pullBlob, pushBlob, randomBlob, sha256, startUpload,
  uniqueRepo, uploadFiles, uploadIdOf, uploadStatus,
} from '../support/registry-client.js';

/** Generous: the sweep runs every second, so this only bounds a registry that never expires anything. */
const patience = { attempts: 300, intervalMs: 100 };

describe('upload expiry', () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess({ uploads: { expireAfterSeconds: 1, sweepIntervalSeconds: 1 } }); });
  after(async () => { await registry.close(); });

  it('removes an abandoned session and its bytes', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(4000);
    const session = await startUpload(registry.url, repository);
    const patched = await patchChunk(session.location, bytes.subarray(0, 2500), { range: '0-2499' });
    assert.equal(patched.status, 202);
    await patched.arrayBuffer();
    const id = uploadIdOf(session.location);
    assert.ok(uploadFiles(registry.dataDir).includes(id));

    await eventually('the abandoned session to expire', async () => {
      const status = await uploadStatus(session.location);
      await status.arrayBuffer();
      return status.status === 404 ? true : undefined;
    }, patience);

    await assertError(await uploadStatus(session.location), 404, 'BLOB_UPLOAD_UNKNOWN', 'GET');
    await assertError(await patchChunk(session.location, bytes.subarray(2500), { range: '2500-3999' }), 404, 'BLOB_UPLOAD_UNKNOWN', 'PATCH');
    await assertError(await completeUpload(session.location, sha256(bytes), bytes.subarray(2500)), 404, 'BLOB_UPLOAD_UNKNOWN', 'PUT');
    await eventually('the session\'s bytes to be removed', () => (uploadFiles(registry.dataDir).includes(id) ? undefined : true), patience);
  });

  it('removes upload bytes that have no session at all (left behind by a crash) once they are old', async () => {
    const orphan = randomUUID();
    const path = join(registry.dataDir, 'storage', 'uploads', orphan);
    writeFileSync(path, randomBlob(1000));
    const anHourAgo = new Date(Date.now() - 3600_000);
    utimesSync(path, anHourAgo, anHourAgo);
    await eventually('the orphaned upload bytes to be removed',
      () => (uploadFiles(registry.dataDir).includes(orphan) ? undefined : true), patience);
  });

  it('leaves completed blobs alone while it sweeps', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(1234);
    const digest = await pushBlob(registry.url, repository, bytes);
    // Abandon a session and wait until a sweep has removed it: the blob pushed before must be intact after.
    const session = await startUpload(registry.url, repository);
    await eventually('a sweep to run', async () => {
      const status = await uploadStatus(session.location);
      await status.arrayBuffer();
      return status.status === 404 ? true : undefined;
    }, patience);
    assert.deepEqual(await pullBlob(registry.url, repository, digest), bytes);
    assert.deepEqual(uploadFiles(registry.dataDir), []);
  });
});
