/*
 * Pushing blobs over real HTTP: every upload form of the OCI Distribution Spec v1.1 ("Pushing blobs", "Pushing a
 * blob in chunks", "Cancel a blob upload"), then the ways a session can go wrong and recover.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import {
  assertError, assertSpecConformingErrorBody, blobFiles, blobUrl, completeUpload, emptyDigest, headBlobStatus,
  httpRequest, patchChunk, patchStreamed, pullBlob, pushBlob, pushBlobChunked, randomBlob, resolveLocation,
  sendTruncated, requestHead, sha256, sha512, startUpload, uniqueRepo, uploadFiles, uploadIdOf, uploadStatus,
  uploadsUrl, eventually, postBlob,
} from '../support/registry-client.js';

const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Asserts a 201 that closes a push: Location is a pullable blob URL of the repository, the digest is echoed. */
async function assertCreated(registry: InProcessBerth, response: Response, repository: string, digest: string, bytes: Buffer): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, 201, `expected 201, got ${response.status}: ${text.slice(0, 300)}`);
  assert.equal(response.headers.get('docker-content-digest'), digest);
  const location = resolveLocation(registry.url, response.headers.get('location'));
  assert.equal(new URL(location).pathname, `/v2/${repository}/blobs/${digest}`);
  // "<blob-location> being a pullable blob URL"
  const pulled = await fetch(location);
  assert.equal(pulled.status, 200);
  assert.deepEqual(Buffer.from(await pulled.arrayBuffer()), bytes);
}

/** Asserts a 202 answering a chunk: the session's Location, its id, and the Range of what the session holds. */
function assertChunkAccepted(response: Response, held: number, sessionLocation: string, base: string): void {
  assert.equal(response.status, 202);
  const location = resolveLocation(base, response.headers.get('location'));
  assert.equal(new URL(location).pathname, new URL(sessionLocation).pathname, 'the session keeps its location');
  assert.equal(response.headers.get('range'), `0-${held - 1}`);
  assert.equal(response.headers.get('docker-upload-uuid'), uploadIdOf(sessionLocation));
  // Distribution answers chunks with Content-Length: 0.
  assert.equal(response.headers.get('content-length'), '0');
}

// The timeouts only keep a registry that stops answering from hanging the run; nothing asserts on time.
describe('blob uploads: the push forms', { timeout: 120_000 }, () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  it('stores a blob pushed in a single POST ?digest= (201 with Location and Docker-Content-Digest)', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(3000);
    const digest = sha256(bytes);
    const uploadsBefore = uploadFiles(registry.dataDir);
    const response = await postBlob(registry.url, repository, digest, bytes);
    assert.equal(response.headers.get('content-length'), '0');
    await assertCreated(registry, response, repository, digest, bytes);
    assert.deepEqual(uploadFiles(registry.dataDir), uploadsBefore, 'a finished push leaves no upload area');
  });

  it('opens a session with POST (202, Location holding a UUID, Docker-Upload-UUID) and completes it with one PUT', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(5000);
    const digest = sha256(bytes);

    const post = await fetch(uploadsUrl(registry.url, repository), { method: 'POST', headers: { 'content-length': '0' } });
    assert.equal(post.status, 202);
    const location = resolveLocation(registry.url, post.headers.get('location'));
    // "The <blob-push-location> MUST contain a UUID representing a unique session ID"
    const uuid = uuidPattern.exec(location)?.[0];
    assert.ok(uuid, `Location ${location} must contain a UUID`);
    assert.equal(post.headers.get('docker-upload-uuid'), uuid);
    assert.equal(new URL(location).pathname, `/v2/${repository}/blobs/uploads/${uuid}`);
    // Distribution answers a fresh session with Range: 0-0 and Content-Length: 0.
    assert.equal(post.headers.get('range'), '0-0');
    assert.equal(post.headers.get('content-length'), '0');

    const put = await completeUpload(location, digest, bytes);
    await assertCreated(registry, put, repository, digest, bytes);
    // The session is closed: its URL no longer answers.
    await assertError(await uploadStatus(location), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  it('gives every session a distinct id', async () => {
    const repository = uniqueRepo();
    const first = await startUpload(registry.url, repository);
    const second = await startUpload(registry.url, repository);
    assert.notEqual(first.location, second.location);
    assert.notEqual(first.uuid, second.uuid);
  });

  it('accepts streamed PATCHes without Content-Range, then a bodiless PUT', async () => {
    const repository = uniqueRepo();
    const parts = [randomBlob(1234), randomBlob(4321)];
    const bytes = Buffer.concat(parts);
    const session = await startUpload(registry.url, repository);

    const first = await patchChunk(session.location, parts[0]!);
    assertChunkAccepted(first, 1234, session.location, registry.url);
    const second = await patchChunk(resolveLocation(registry.url, first.headers.get('location')), parts[1]!);
    assertChunkAccepted(second, bytes.length, session.location, registry.url);

    const put = await completeUpload(resolveLocation(registry.url, second.headers.get('location')), sha256(bytes));
    await assertCreated(registry, put, repository, sha256(bytes), bytes);
  });

  it('accepts a streamed PATCH sent with chunked transfer encoding (no Content-Length), as docker does', async () => {
    const repository = uniqueRepo();
    const parts = [randomBlob(10_000), randomBlob(70_000), randomBlob(3)];
    const bytes = Buffer.concat(parts);
    const session = await startUpload(registry.url, repository);
    const patched = await patchStreamed(session.location, parts);
    assertChunkAccepted(patched, bytes.length, session.location, registry.url);
    const put = await completeUpload(session.location, sha256(bytes));
    await assertCreated(registry, put, repository, sha256(bytes), bytes);
  });

  it('accepts chunks with Content-Range and Content-Length, each answered with the Range held', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(10_000);
    const session = await startUpload(registry.url, repository);
    let location = session.location;
    for (const [start, end] of [[0, 999], [1000, 5999], [6000, 9999]] as const) {
      const response = await patchChunk(location, bytes.subarray(start, end + 1), { range: `${start}-${end}` });
      assertChunkAccepted(response, end + 1, session.location, registry.url);
      // "Each consecutive chunk upload SHOULD use the <blob-push-location> provided in the response"
      location = resolveLocation(registry.url, response.headers.get('location'));
    }
    const put = await completeUpload(location, sha256(bytes));
    await assertCreated(registry, put, repository, sha256(bytes), bytes);
  });

  it('takes the final chunk in the closing PUT body, with its Content-Range', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(9000);
    const session = await startUpload(registry.url, repository);
    const first = await patchChunk(session.location, bytes.subarray(0, 4000), { range: '0-3999' });
    assertChunkAccepted(first, 4000, session.location, registry.url);
    const put = await completeUpload(session.location, sha256(bytes), bytes.subarray(4000), { 'content-range': '4000-8999' });
    await assertCreated(registry, put, repository, sha256(bytes), bytes);
  });

  it('takes the final chunk in the closing PUT body without a Content-Range', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(2048);
    const session = await startUpload(registry.url, repository);
    assertChunkAccepted(await patchChunk(session.location, bytes.subarray(0, 1024)), 1024, session.location, registry.url);
    const put = await completeUpload(session.location, sha256(bytes), bytes.subarray(1024));
    await assertCreated(registry, put, repository, sha256(bytes), bytes);
  });

  it('stores a zero-byte blob, by single POST and by POST then bodiless PUT', async () => {
    const empty = Buffer.alloc(0);
    const first = uniqueRepo();
    const post = await postBlob(registry.url, first, emptyDigest, empty);
    await assertCreated(registry, post, first, emptyDigest, empty);

    const second = uniqueRepo();
    const session = await startUpload(registry.url, second);
    const put = await completeUpload(session.location, emptyDigest);
    await assertCreated(registry, put, second, emptyDigest, empty);

    const head = await fetch(blobUrl(registry.url, second, emptyDigest), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '0');
    assert.equal(head.headers.get('docker-content-digest'), emptyDigest);
  });

  it('stores sha512 blobs: single POST, and a session opened with ?digest-algorithm=sha512', async () => {
    const monolithic = randomBlob(4096);
    const repository = uniqueRepo();
    const post = await postBlob(registry.url, repository, sha512(monolithic), monolithic);
    await assertCreated(registry, post, repository, sha512(monolithic), monolithic);

    // end-4c: "When pushing a blob with a digest algorithm other than sha256, the post request SHOULD include the
    // digest-algorithm parameter".
    const chunked = randomBlob(6000);
    const digest = await pushBlobChunked(registry.url, repository, chunked, [2500, 2500], 'sha512');
    assert.equal(digest, sha512(chunked));
    const get = await fetch(blobUrl(registry.url, repository, digest));
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('docker-content-digest'), digest);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), chunked);

    // A sha512 blob is not reachable under the sha256 digest of the same bytes.
    assert.equal(await headBlobStatus(registry.url, repository, sha256(chunked)), 404);
  });

  it('stores a blob pushed to two repositories once, yet shows it only where it was pushed', async () => {
    const bytes = randomBlob(7777);
    const [first, second, stranger] = [uniqueRepo(), uniqueRepo(), uniqueRepo()];
    const before = blobFiles(registry.dataDir).length;

    const digest = await pushBlob(registry.url, first, bytes);
    assert.equal(blobFiles(registry.dataDir).length, before + 1);
    assert.equal(await pushBlobChunked(registry.url, second, bytes, [3000]), digest);
    assert.equal(blobFiles(registry.dataDir).length, before + 1, 'the second push must not store a second copy');

    assert.deepEqual(await pullBlob(registry.url, first, digest), bytes);
    assert.deepEqual(await pullBlob(registry.url, second, digest), bytes);
    // A repository that neither pushed nor mounted the blob must not see it.
    await assertError(await fetch(blobUrl(registry.url, stranger, digest)), 404, 'BLOB_UNKNOWN');
    assert.equal(await headBlobStatus(registry.url, stranger, digest), 404);
  });
});

describe('blob uploads: sessions going wrong, and recovering', { timeout: 120_000 }, () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  /** A session already holding `bytes[0..held)` through one Content-Range PATCH. */
  async function sessionHolding(repository: string, bytes: Buffer, held: number): Promise<string> {
    const session = await startUpload(registry.url, repository);
    if (held > 0) {
      const response = await patchChunk(session.location, bytes.subarray(0, held), { range: `0-${held - 1}` });
      assertChunkAccepted(response, held, session.location, registry.url);
    }
    return session.location;
  }

  async function assertHolds(location: string, held: number): Promise<void> {
    const status = await uploadStatus(location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), `0-${Math.max(held - 1, 0)}`);
  }

  it('reports upload status with GET: 204, Location, Range and Docker-Upload-UUID', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(300);
    const session = await startUpload(registry.url, repository);

    const empty = await uploadStatus(session.location);
    assert.equal(empty.status, 204);
    // Distribution reports an empty session as Range: 0-0, as it does for the POST.
    assert.equal(empty.headers.get('range'), '0-0');
    assert.equal(empty.headers.get('docker-upload-uuid'), uploadIdOf(session.location));
    assert.equal(resolveLocation(registry.url, empty.headers.get('location')), session.location);
    assert.equal((await empty.arrayBuffer()).byteLength, 0);

    await patchChunk(session.location, bytes.subarray(0, 120), { range: '0-119' });
    const status = await uploadStatus(session.location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-119');
    assert.equal(resolveLocation(registry.url, status.headers.get('location')), session.location);
  });

  it('refuses an out-of-order chunk with 416 and the Range held, and keeps the session usable', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(3000);
    const location = await sessionHolding(repository, bytes, 1000);

    // A chunk that skips ahead, and one that starts again from the beginning.
    for (const [start, end] of [[1500, 1999], [0, 999], [999, 1999]] as const) {
      const response = await patchChunk(location, bytes.subarray(start, end + 1), { range: `${start}-${end}` });
      assert.equal(response.status, 416, `chunk ${start}-${end} over a session holding 1000 bytes`);
      assert.equal(response.headers.get('range'), '0-999');
      await response.arrayBuffer();
      await assertHolds(location, 1000);
    }

    // A GET tells where to resume; the right chunk then goes in.
    const resumed = await patchChunk(location, bytes.subarray(1000, 2000), { range: '1000-1999' });
    assertChunkAccepted(resumed, 2000, location, registry.url);
    const put = await completeUpload(location, sha256(bytes), bytes.subarray(2000), { 'content-range': '2000-2999' });
    await assertCreated(registry, put, repository, sha256(bytes), bytes);
  });

  it('refuses a first chunk that does not start at 0 with 416', async () => {
    const location = await sessionHolding(uniqueRepo(), Buffer.alloc(0), 0);
    const response = await patchChunk(location, randomBlob(10), { range: '10-19' });
    assert.equal(response.status, 416);
    await response.arrayBuffer();
    await assertHolds(location, 0);
  });

  it('refuses an out-of-order final chunk in the closing PUT with 416, and publishes nothing', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(2000);
    const location = await sessionHolding(repository, bytes, 1000);
    const put = await completeUpload(location, sha256(bytes), bytes.subarray(1200), { 'content-range': '1200-1999' });
    assert.equal(put.status, 416);
    await put.arrayBuffer();
    assert.equal(await headBlobStatus(registry.url, repository, sha256(bytes)), 404);
  });

  it('answers 416s with an error body that uses only the spec\'s error codes', async () => {
    // Spec, "Error Codes": a 4XX body MAY be in any format, but "If the response body is in JSON format ... The
    // code field MUST be one of the following" (code-1..code-14). RANGE_INVALID is not in that table.
    const repository = uniqueRepo();
    const bytes = randomBlob(200);
    const location = await sessionHolding(repository, bytes, 100);
    const patch = await patchChunk(location, bytes.subarray(150), { range: '150-199' });
    assert.equal(patch.status, 416);
    await assertSpecConformingErrorBody(patch, 'PATCH out of order');
    const put = await completeUpload(location, sha256(bytes), bytes.subarray(150), { 'content-range': '150-199' });
    assert.equal(put.status, 416);
    await assertSpecConformingErrorBody(put, 'closing PUT out of order');
  });

  it('refuses a chunk whose Content-Length does not match its Content-Range (400 SIZE_INVALID), keeping the session', async () => {
    // Distribution answers this SIZE_INVALID (400): "provided length did not match content length".
    const repository = uniqueRepo();
    const bytes = randomBlob(2000);
    const location = await sessionHolding(repository, bytes, 500);
    const response = await patchChunk(location, bytes.subarray(500, 800), { range: '500-999' });
    await assertError(response, 400, 'SIZE_INVALID');
    await assertHolds(location, 500);

    // The same mismatch on a closing PUT is a 400 too (end-6), and publishes nothing. (Distribution does not read
    // Content-Range on PUT; its digest check then fails, so only the status is pinned here.)
    const put = await completeUpload(location, sha256(bytes), bytes.subarray(500, 800), { 'content-range': '500-1999' });
    assert.equal(put.status, 400);
    await assertSpecConformingErrorBody(put);
    assert.equal(await headBlobStatus(registry.url, repository, sha256(bytes)), 404);
  });

  it('resumes from the right offset after a failed chunk, keeping none of its bytes', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(3000);
    const location = await sessionHolding(repository, bytes, 1000);

    // A chunk declared as 1000 bytes by its Content-Range whose chunked body carries 1500: refused once the body
    // passes the declared range, after some of it was already read.
    const junk = randomBlob(1500);
    const failed = await patchStreamed(location, [junk.subarray(0, 700), junk.subarray(700)], { 'content-range': '1000-1999' });
    assert.equal(failed.status, 400);
    await assertSpecConformingErrorBody(failed);
    await assertHolds(location, 1000);

    // The mismatched-headers kind of failure, too.
    await assertError(await patchChunk(location, junk.subarray(0, 10), { range: '1000-1099' }), 400, 'SIZE_INVALID');
    await assertHolds(location, 1000);

    const next = await patchChunk(location, bytes.subarray(1000, 2000), { range: '1000-1999' });
    assertChunkAccepted(next, 2000, location, registry.url);
    const put = await completeUpload(location, sha256(bytes), bytes.subarray(2000), { 'content-range': '2000-2999' });
    await assertCreated(registry, put, repository, sha256(bytes), bytes);
  });

  it('resumes a session after the client reconnects, from the offset a GET reports', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(4 * 1024 * 1024);
    const session = await startUpload(registry.url, repository);
    const path = new URL(session.location).pathname;

    // Every request below travels on a TCP connection of its own.
    const first = await httpRequest(registry.url, {
      method: 'PATCH', path, body: bytes.subarray(0, 1_000_000),
      headers: { 'content-range': '0-999999', 'content-type': 'application/octet-stream' },
    });
    assert.equal(first.status, 202);
    assert.equal(first.header('range'), '0-999999');

    // The client dies in the middle of the second chunk: more than a MiB of it reaches the registry first.
    const secondChunk = bytes.subarray(1_000_000, 3_000_000);
    await sendTruncated(registry.url,
      requestHead(registry.url, 'PATCH', path, {
        'Content-Type': 'application/octet-stream', 'Content-Range': '1000000-2999999', 'Content-Length': '2000000',
      }),
      secondChunk.subarray(0, 1_500_000));

    // It reconnects and asks where the session stands: the cut chunk left nothing behind.
    const status = await eventually('the dropped chunk to be rolled back', async () => {
      const response = await httpRequest(registry.url, { method: 'GET', path });
      assert.equal(response.status, 204);
      return response.header('range') === '0-999999' ? response : undefined;
    });
    assert.equal(resolveLocation(registry.url, status.header('location')), session.location);

    // It resends the chunk from there. While the registry is still tidying up after the dropped request it may
    // refuse a concurrent write to the session with 416 and the Range held before it; the client retries from there.
    const resent = await eventually('the resent chunk to be accepted', async () => {
      const response = await httpRequest(registry.url, {
        method: 'PATCH', path, body: secondChunk,
        headers: { 'content-range': '1000000-2999999', 'content-type': 'application/octet-stream' },
      });
      if (response.status === 202) return response;
      assert.equal(response.header('range'), '0-999999', 'a refused chunk is told where the upload stands');
      await assertError(response, 416, 'BLOB_UPLOAD_INVALID', 'resent chunk');
      return undefined;
    });
    assert.equal(resent.header('range'), '0-2999999');

    const put = await httpRequest(registry.url, {
      method: 'PUT', path: `${path}?digest=${sha256(bytes)}`,
      body: bytes.subarray(3_000_000),
      headers: { 'content-range': `3000000-${bytes.length - 1}`, 'content-type': 'application/octet-stream' },
    });
    assert.equal(put.status, 201, put.body.toString());
    assert.deepEqual(await pullBlob(registry.url, repository, sha256(bytes)), bytes);
  });

  it('cancels a session with DELETE (204); afterwards every use of it is 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(1000);
    const location = await sessionHolding(repository, bytes, 400);
    const id = uploadIdOf(location);
    assert.ok(uploadFiles(registry.dataDir).includes(id));

    const cancelled = await fetch(location, { method: 'DELETE', headers: { 'content-length': '0' } });
    assert.equal(cancelled.status, 204);
    await cancelled.arrayBuffer();
    assert.ok(!uploadFiles(registry.dataDir).includes(id), 'the session\'s bytes are released');

    await assertError(await uploadStatus(location), 404, 'BLOB_UPLOAD_UNKNOWN', 'GET');
    await assertError(await patchChunk(location, bytes.subarray(400), { range: '400-999' }), 404, 'BLOB_UPLOAD_UNKNOWN', 'PATCH');
    await assertError(await completeUpload(location, sha256(bytes), bytes.subarray(400)), 404, 'BLOB_UPLOAD_UNKNOWN', 'PUT');
    await assertError(await fetch(location, { method: 'DELETE' }), 404, 'BLOB_UPLOAD_UNKNOWN', 'second DELETE');
    assert.equal(await headBlobStatus(registry.url, repository, sha256(bytes)), 404);
  });

  it('answers an unknown upload id with 404 BLOB_UPLOAD_UNKNOWN on GET, PATCH, PUT and DELETE', async () => {
    const repository = uniqueRepo();
    const location = `${registry.url}/v2/${repository}/blobs/uploads/0f8a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b`;
    const bytes = randomBlob(10);
    await assertError(await uploadStatus(location), 404, 'BLOB_UPLOAD_UNKNOWN', 'GET');
    await assertError(await patchChunk(location, bytes, { range: '0-9' }), 404, 'BLOB_UPLOAD_UNKNOWN', 'PATCH');
    await assertError(await completeUpload(location, sha256(bytes), bytes), 404, 'BLOB_UPLOAD_UNKNOWN', 'PUT');
    await assertError(await fetch(location, { method: 'DELETE' }), 404, 'BLOB_UPLOAD_UNKNOWN', 'DELETE');
    assert.equal(await headBlobStatus(registry.url, repository, sha256(bytes)), 404);
  });

  it('does not let another repository use a session: 404 BLOB_UPLOAD_UNKNOWN, and the owner\'s session is untouched', async () => {
    const owner = uniqueRepo();
    const intruder = uniqueRepo();
    const bytes = randomBlob(1000);
    const location = await sessionHolding(owner, bytes, 500);
    const foreign = location.replace(`/v2/${owner}/`, `/v2/${intruder}/`);
    assert.notEqual(foreign, location);

    await assertError(await uploadStatus(foreign), 404, 'BLOB_UPLOAD_UNKNOWN', 'GET');
    await assertError(await patchChunk(foreign, bytes.subarray(500), { range: '500-999' }), 404, 'BLOB_UPLOAD_UNKNOWN', 'PATCH');
    await assertError(await completeUpload(foreign, sha256(bytes), bytes.subarray(500), { 'content-range': '500-999' }),
      404, 'BLOB_UPLOAD_UNKNOWN', 'PUT');
    await assertError(await fetch(foreign, { method: 'DELETE' }), 404, 'BLOB_UPLOAD_UNKNOWN', 'DELETE');

    assert.equal(await headBlobStatus(registry.url, intruder, sha256(bytes)), 404);
    await assertHolds(location, 500);
    const put = await completeUpload(location, sha256(bytes), bytes.subarray(500), { 'content-range': '500-999' });
    await assertCreated(registry, put, owner, sha256(bytes), bytes);
    assert.equal(await headBlobStatus(registry.url, intruder, sha256(bytes)), 404);
  });

  it('refuses a closing PUT whose digest does not match (400 DIGEST_INVALID) and publishes nothing', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(2000);
    const claimed = sha256(randomBlob(2000));
    const location = await sessionHolding(repository, bytes, 1000);
    const blobsBefore = blobFiles(registry.dataDir);

    const put = await completeUpload(location, claimed, bytes.subarray(1000), { 'content-range': '1000-1999' });
    await assertError(put, 400, 'DIGEST_INVALID');
    assert.equal(await headBlobStatus(registry.url, repository, claimed), 404);
    assert.equal(await headBlobStatus(registry.url, repository, sha256(bytes)), 404);
    assert.deepEqual(blobFiles(registry.dataDir), blobsBefore, 'no content is stored under either digest');
    // Distribution cancels the upload when the commit fails: the session and its bytes are gone.
    await assertError(await uploadStatus(location), 404, 'BLOB_UPLOAD_UNKNOWN');
    assert.ok(!uploadFiles(registry.dataDir).includes(uploadIdOf(location)));
  });

  it('refuses a single POST whose digest does not match (400 DIGEST_INVALID) and keeps nothing', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(500);
    const claimed = sha256(randomBlob(500));
    const uploadsBefore = uploadFiles(registry.dataDir);
    const blobsBefore = blobFiles(registry.dataDir);
    const response = await postBlob(registry.url, repository, claimed, bytes);
    await assertError(response, 400, 'DIGEST_INVALID');
    assert.equal(await headBlobStatus(registry.url, repository, claimed), 404);
    assert.equal(await headBlobStatus(registry.url, repository, sha256(bytes)), 404);
    assert.deepEqual(uploadFiles(registry.dataDir), uploadsBefore, 'the refused push leaves no upload area');
    assert.deepEqual(blobFiles(registry.dataDir), blobsBefore, 'and no content');
  });

  it('refuses a closing PUT without a digest (400 DIGEST_INVALID) but keeps the session for a retry', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(800);
    const location = await sessionHolding(repository, bytes, 800);
    await assertError(await completeUpload(location, undefined), 400, 'DIGEST_INVALID');
    // Distribution: "no digest? return error, but allow retry."
    await assertHolds(location, 800);
    await assertCreated(registry, await completeUpload(location, sha256(bytes)), repository, sha256(bytes), bytes);
  });

  describe('malformed digests are refused with 400 DIGEST_INVALID', () => {
    const real = sha256('content');
    const hex = real.slice('sha256:'.length);
    const malformed: [string, string][] = [
      ['bad hex', `sha256:${'z'.repeat(64)}`],
      ['hex one short', `sha256:${hex.slice(1)}`],
      ['hex one long', `sha256:${hex}0`],
      ['sha512 with a sha256-length hex', `sha512:${hex}`],
      ['unknown algorithm', `md5:${'0'.repeat(32)}`],
      ['unsupported but registered-looking algorithm', `sha384:${'0'.repeat(96)}`],
      ['uppercase hex', `sha256:${hex.toUpperCase()}`],
      ['uppercase algorithm', `SHA256:${hex}`],
      ['no algorithm', hex],
      ['empty hex', 'sha256:'],
      ['trailing garbage', `${real}:x`],
    ];

    for (const [what, digest] of malformed) {
      it(`${what}: on a single POST and on a closing PUT`, async () => {
        const repository = uniqueRepo();
        const body = Buffer.from('content');
        const uploadsBefore = uploadFiles(registry.dataDir);
        const post = await postBlob(registry.url, repository, digest, body);
        await assertError(post, 400, 'DIGEST_INVALID', `POST ?digest=${digest}`);
        assert.deepEqual(uploadFiles(registry.dataDir), uploadsBefore, 'a refused single POST leaves no upload area');

        const session = await startUpload(registry.url, repository);
        const put = await completeUpload(session.location, digest, body);
        await assertError(put, 400, 'DIGEST_INVALID', `PUT ?digest=${digest}`);
        assert.equal(await headBlobStatus(registry.url, repository, real), 404);
      });
    }
  });

  it('still works after a client vanished mid-PUT: the session is unchanged and nothing is published', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(3 * 1024 * 1024);
    const location = await sessionHolding(repository, bytes, 1024);
    const path = `${new URL(location).pathname}?digest=${sha256(bytes)}`;
    await sendTruncated(registry.url,
      requestHead(registry.url, 'PUT', path, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length - 1024) }),
      bytes.subarray(1024, 1024 + 2 * 1024 * 1024));
    await eventually('the dropped PUT to be rolled back', async () => {
      const status = await uploadStatus(location);
      await status.arrayBuffer();
      return status.status === 204 && status.headers.get('range') === '0-1023' ? true : undefined;
    });
    assert.equal(await headBlobStatus(registry.url, repository, sha256(bytes)), 404);
    const put = await eventually('the retried PUT to be accepted', async () => {
      const response = await completeUpload(location, sha256(bytes), bytes.subarray(1024));
      if (response.status === 201) return response;
      await assertError(response, 416, 'BLOB_UPLOAD_INVALID', 'retried PUT');
      return undefined;
    });
    await assertCreated(registry, put, repository, sha256(bytes), bytes);
  });
});
