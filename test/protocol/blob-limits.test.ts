/*
 * limits.blobMaxBytes over real HTTP: a blob past the limit is refused with 413 and code SIZE_INVALID whether its
 * size is declared up front (refused before the body is read) or only discovered while a chunked body streams, and
 * nothing of it is left in the upload area.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import {
  assertError, chunkedEncoding, completeUpload, headBlobStatus, patchChunk, patchStreamed, pullBlob, pushBlob,
  randomBlob, rawRequest, requestHead, sha256, startUpload, uniqueRepo, uploadFiles, uploadIdOf, uploadStatus,
  uploadsUrl, postBlob, streamedRequest,
} from '../support/registry-client.js';

const limit = 1000;

// The timeout only keeps a registry that waits for a body it should have refused from hanging the run.
describe('blob size limit (limits.blobMaxBytes)', { timeout: 60_000 }, () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess({ limits: { blobMaxBytes: limit } }); });
  after(async () => { await registry.close(); });

  async function assertHolds(location: string, held: number): Promise<void> {
    const status = await uploadStatus(location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), `0-${Math.max(held - 1, 0)}`);
  }

  it('accepts a blob of exactly the limit, by single POST and in chunks', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(limit);
    await pushBlob(registry.url, repository, bytes);
    const other = randomBlob(limit);
    const session = await startUpload(registry.url, repository);
    const patched = await patchChunk(session.location, other.subarray(0, 600), { range: '0-599' });
    assert.equal(patched.status, 202);
    const put = await completeUpload(session.location, sha256(other), other.subarray(600), { 'content-range': `600-${limit - 1}` });
    assert.equal(put.status, 201);
    assert.deepEqual(await pullBlob(registry.url, repository, sha256(other)), other);
  });

  it('refuses a single POST with a declared Content-Length past the limit before reading its body (413 SIZE_INVALID)', async () => {
    const repository = uniqueRepo();
    const digest = sha256(randomBlob(10));
    // Only the head is sent: a registry that waited for the 5000 declared bytes would never answer. The answer
    // arriving at all shows the refusal came before the body.
    const response = await rawRequest(registry.url, requestHead(registry.url, 'POST',
      `/v2/${repository}/blobs/uploads/?digest=${digest}`, { 'Content-Type': 'application/octet-stream', 'Content-Length': '5000' }));
    await assertError(response, 413, 'SIZE_INVALID');
    assert.deepEqual(uploadFiles(registry.dataDir), []);
    assert.equal(await headBlobStatus(registry.url, repository, digest), 404);
  });

  it('refuses a single POST past the limit sent by fetch with its whole body (413 SIZE_INVALID)', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(limit + 1);
    const response = await postBlob(registry.url, repository, sha256(bytes), bytes);
    await assertError(response, 413, 'SIZE_INVALID');
    assert.deepEqual(uploadFiles(registry.dataDir), []);
    assert.equal(await headBlobStatus(registry.url, repository, sha256(bytes)), 404);
  });

  it('refuses a single POST past the limit sent with a chunked body (413 SIZE_INVALID), keeping nothing', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(1500);
    const response = await rawRequest(registry.url, Buffer.concat([
      Buffer.from(requestHead(registry.url, 'POST', `/v2/${repository}/blobs/uploads/?digest=${sha256(bytes)}`, {
        'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked',
      })),
      chunkedEncoding([bytes.subarray(0, 600), bytes.subarray(600, 1200), bytes.subarray(1200)]),
    ]));
    await assertError(response, 413, 'SIZE_INVALID');
    assert.deepEqual(uploadFiles(registry.dataDir), []);
    assert.equal(await headBlobStatus(registry.url, repository, sha256(bytes)), 404);
  });

  it('refuses a single POST past the limit streamed by fetch (413 SIZE_INVALID)', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(1500);
    const response = await fetch(uploadsUrl(registry.url, repository, { digest: sha256(bytes) }),
      streamedRequest('POST', [bytes.subarray(0, 700), bytes.subarray(700)]));
    await assertError(response, 413, 'SIZE_INVALID');
    assert.deepEqual(uploadFiles(registry.dataDir), []);
  });

  it('refuses a PATCH whose declared chunk takes the session past the limit, keeping the session as it was', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(1200);
    const session = await startUpload(registry.url, repository);
    const first = await patchChunk(session.location, bytes.subarray(0, 600), { range: '0-599' });
    assert.equal(first.status, 202);
    await first.arrayBuffer();

    await assertError(await patchChunk(session.location, bytes.subarray(600), { range: '600-1199' }), 413, 'SIZE_INVALID');
    await assertHolds(session.location, 600);
    // A streamed PATCH with only a Content-Length is held to the limit the same way.
    await assertError(await patchChunk(session.location, bytes.subarray(600)), 413, 'SIZE_INVALID');
    await assertHolds(session.location, 600);
    const cancelled = await fetch(session.location, { method: 'DELETE' });
    assert.equal(cancelled.status, 204);
    assert.deepEqual(uploadFiles(registry.dataDir), [], 'nothing is left in the upload area');
  });

  it('refuses a chunked-encoding PATCH that grows past the limit, keeping none of its bytes', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(1600);
    const session = await startUpload(registry.url, repository);
    const first = await patchChunk(session.location, bytes.subarray(0, 400), { range: '0-399' });
    assert.equal(first.status, 202);
    await first.arrayBuffer();

    const response = await patchStreamed(session.location, [bytes.subarray(400, 900), bytes.subarray(900, 1300), bytes.subarray(1300)]);
    await assertError(response, 413, 'SIZE_INVALID');
    await assertHolds(session.location, 400);

    const cancelled = await fetch(session.location, { method: 'DELETE' });
    assert.equal(cancelled.status, 204);
    await cancelled.arrayBuffer();
    assert.deepEqual(uploadFiles(registry.dataDir), [], 'nothing is left in the upload area');
  });

  it('refuses a closing PUT whose final chunk takes the blob past the limit, publishing nothing', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(1300);
    const session = await startUpload(registry.url, repository);
    const first = await patchChunk(session.location, bytes.subarray(0, 500), { range: '0-499' });
    assert.equal(first.status, 202);
    await first.arrayBuffer();
    await assertError(await completeUpload(session.location, sha256(bytes), bytes.subarray(500), { 'content-range': '500-1299' }),
      413, 'SIZE_INVALID');
    assert.equal(await headBlobStatus(registry.url, repository, sha256(bytes)), 404);
    await assertHolds(session.location, 500);
    assert.deepEqual(uploadFiles(registry.dataDir), [uploadIdOf(session.location)]);
    const cancelled = await fetch(session.location, { method: 'DELETE' });
    assert.equal(cancelled.status, 204);
    assert.deepEqual(uploadFiles(registry.dataDir), []);
  });

  it('names the configured limit and the bytes already held when a streamed chunk takes the upload past the limit', async () => {
    // The limit is 1000: 600 bytes are in, and a chunk of undeclared length brings 500 more. What is "the limit" is
    // 1000, not the 400 that were left.
    const repository = uniqueRepo();
    const bytes = randomBlob(1100);
    const session = await startUpload(registry.url, repository);
    const first = await patchChunk(session.location, bytes.subarray(0, 600), { range: '0-599' });
    assert.equal(first.status, 202);
    await first.arrayBuffer();

    const body = await assertError(await patchStreamed(session.location, [bytes.subarray(600, 900), bytes.subarray(900)]), 413, 'SIZE_INVALID');
    const [error] = body.errors;
    assert.match(error!.message!, /limit of 1000 bytes/);
    assert.match(error!.message!, /holds 600 bytes/);
    assert.doesNotMatch(error!.message!, /limit of 400/);
    assert.deepEqual(error!.detail, { limit: 1000, held: 600 });
    await assertHolds(session.location, 600);
    assert.equal((await fetch(session.location, { method: 'DELETE' })).status, 204);
  });

  it('names the configured limit and the bytes already held when a declared chunk would take the upload past the limit', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(1100);
    const session = await startUpload(registry.url, repository);
    const first = await patchChunk(session.location, bytes.subarray(0, 600), { range: '0-599' });
    assert.equal(first.status, 202);
    await first.arrayBuffer();

    const body = await assertError(await patchChunk(session.location, bytes.subarray(600), { range: '600-1099' }), 413, 'SIZE_INVALID');
    assert.match(body.errors[0]!.message!, /limit of 1000 bytes: the upload holds 600 bytes/);
    assert.deepEqual(body.errors[0]!.detail, { limit: 1000, held: 600 });
    assert.equal((await fetch(session.location, { method: 'DELETE' })).status, 204);
  });

  it('keeps serving after refusals', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(999);
    const digest = await pushBlob(registry.url, repository, bytes);
    assert.deepEqual(await pullBlob(registry.url, repository, digest), bytes);
  });
});
