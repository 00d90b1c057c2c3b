/*
 * Reading and deleting blobs over real HTTP: GET and HEAD (spec "Pulling blobs", "Checking if content exists"),
 * Range requests (RFC 9110 section 14, which the spec says registries SHOULD support), and "Deleting Blobs".
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import {
  assertError, assertSpecConformingErrorBody, blobUrl, headBlobStatus, parseRawHttpResponse, pullBlob, pushBlob,
  randomBlob, rawExchange, requestHead, sha256, uniqueRepo,
} from '../support/registry-client.js';

describe('blob reads', { timeout: 60_000 }, () => {
  let registry: InProcessBerth;
  const repository = uniqueRepo('reads');
  const bytes = randomBlob(100);
  let digest: string;

  before(async () => {
    registry = await startInProcess();
    digest = await pushBlob(registry.url, repository, bytes);
  });
  after(async () => { await registry.close(); });

  const get = (headers: Record<string, string> = {}): Promise<Response> =>
    fetch(blobUrl(registry.url, repository, digest), { headers });

  it('serves a blob with GET: 200, the bytes, Docker-Content-Digest, Content-Length and Accept-Ranges', async () => {
    const response = await get();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('docker-content-digest'), digest);
    assert.equal(response.headers.get('content-length'), '100');
    // The spec leaves Accept-Ranges to RFC 9110; Distribution serves blobs with http.ServeContent, which sends it.
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
    const body = Buffer.from(await response.arrayBuffer());
    assert.deepEqual(body, bytes);
    assert.equal(sha256(body), digest, 'the body matches the digest header');
  });

  it('answers HEAD with 200, the blob\'s Content-Length and digest, and no body bytes on the wire', async () => {
    const head = await fetch(blobUrl(registry.url, repository, digest), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '100');
    assert.equal(head.headers.get('docker-content-digest'), digest);

    // fetch hides a body sent after a HEAD answer; the raw bytes show it.
    const raw = await rawExchange(registry.url, requestHead(registry.url, 'HEAD', `/v2/${repository}/blobs/${digest}`));
    const parsed = parseRawHttpResponse(raw);
    assert.equal(parsed.status, 200);
    assert.equal(parsed.header('content-length'), '100');
    assert.equal(parsed.rawBodyBytes.length, 0, 'nothing may follow the head of a HEAD response');
  });

  it('answers GET and HEAD of an unknown blob with 404 (BLOB_UNKNOWN on GET, no body on HEAD)', async () => {
    const unknown = sha256('never pushed');
    await assertError(await fetch(blobUrl(registry.url, repository, unknown)), 404, 'BLOB_UNKNOWN');
    const raw = parseRawHttpResponse(await rawExchange(registry.url,
      requestHead(registry.url, 'HEAD', `/v2/${repository}/blobs/${unknown}`)));
    assert.equal(raw.status, 404);
    assert.equal(raw.rawBodyBytes.length, 0);
  });

  for (const [range, start, end] of [
    ['bytes=0-9', 0, 9],
    ['bytes=5-', 5, 99],
    ['bytes=-4', 96, 99],
    ['bytes=42-42', 42, 42],
    ['bytes=90-250', 90, 99],
    ['bytes=-500', 0, 99],
  ] as const) {
    it(`serves Range: ${range} as 206 with Content-Range bytes ${start}-${end}/100`, async () => {
      const response = await get({ range });
      assert.equal(response.status, 206);
      assert.equal(response.headers.get('content-range'), `bytes ${start}-${end}/100`);
      assert.equal(response.headers.get('content-length'), String(end - start + 1));
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes.subarray(start, end + 1));
    });
  }

  for (const range of ['bytes=100-', 'bytes=100-200', 'bytes=5000-6000']) {
    it(`answers Range: ${range}, which starts past the end, with 416 and Content-Range: bytes */100`, async () => {
      const response = await get({ range });
      assert.equal(response.status, 416);
      assert.equal(response.headers.get('content-range'), 'bytes */100');
      await response.arrayBuffer();
    });
  }

  it('answers an unsatisfiable Range with an error body that uses only the spec\'s error codes', async () => {
    // Spec, "Error Codes": a 4XX body MAY be in any format, but if it is JSON "The code field MUST be one of the
    // following" (code-1..code-14). Distribution answers this 416 from http.ServeContent, in plain text.
    const response = await get({ range: 'bytes=100-' });
    assert.equal(response.status, 416);
    await assertSpecConformingErrorBody(response, 'GET with Range: bytes=100-');
  });

  it('ignores a Range of another unit, serving the whole blob with 200 (RFC 9110 14.2)', async () => {
    // RFC 9110 14.2: "An origin server MUST ignore a Range header field that contains a range unit it does not
    // understand", and the spec defers to RFC 9110. (Go's http.ServeContent, which Distribution uses, answers 416.)
    const response = await get({ range: 'items=0-3' });
    assert.equal(response.status, 200);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
  });
});

describe('blob deletes', () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  it('deletes a blob from a repository with 202; afterwards it is 404 BLOB_UNKNOWN there', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(500);
    const digest = await pushBlob(registry.url, repository, bytes);

    const deleted = await fetch(blobUrl(registry.url, repository, digest), { method: 'DELETE' });
    assert.equal(deleted.status, 202);
    await deleted.arrayBuffer();

    await assertError(await fetch(blobUrl(registry.url, repository, digest)), 404, 'BLOB_UNKNOWN');
    assert.equal(await headBlobStatus(registry.url, repository, digest), 404);
    // "If the blob is not found, a 404 Not Found code MUST be returned."
    await assertError(await fetch(blobUrl(registry.url, repository, digest), { method: 'DELETE' }), 404, 'BLOB_UNKNOWN');
  });

  it('deleting a blob from one repository leaves it readable in another that pushed it', async () => {
    const [first, second] = [uniqueRepo(), uniqueRepo()];
    const bytes = randomBlob(600);
    const digest = await pushBlob(registry.url, first, bytes);
    await pushBlob(registry.url, second, bytes);
    const deleted = await fetch(blobUrl(registry.url, first, digest), { method: 'DELETE' });
    assert.equal(deleted.status, 202);
    await deleted.arrayBuffer();
    assert.equal(await headBlobStatus(registry.url, first, digest), 404);
    assert.deepEqual(await pullBlob(registry.url, second, digest), bytes);
  });

  it('answers a DELETE of a blob never pushed with 404 BLOB_UNKNOWN', async () => {
    await assertError(await fetch(blobUrl(registry.url, uniqueRepo(), sha256('nothing')), { method: 'DELETE' }), 404, 'BLOB_UNKNOWN');
  });

  it('can push a deleted blob again', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(700);
    const digest = await pushBlob(registry.url, repository, bytes);
    const deleted = await fetch(blobUrl(registry.url, repository, digest), { method: 'DELETE' });
    assert.equal(deleted.status, 202);
    await deleted.arrayBuffer();
    await pushBlob(registry.url, repository, bytes);
    assert.deepEqual(await pullBlob(registry.url, repository, digest), bytes);
  });
});

describe('blob deletes when delete.enabled is false', () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess({ delete: { enabled: false } }); });
  after(async () => { await registry.close(); });

  it('refuses DELETE with 405 UNSUPPORTED and keeps the blob', async () => {
    // Spec: "If blob deletion is disabled, the registry MUST respond with either a 400 Bad Request or a 405 Method
    // Not Allowed." Distribution answers UNSUPPORTED, whose status is 405.
    const repository = uniqueRepo();
    const bytes = randomBlob(300);
    const digest = await pushBlob(registry.url, repository, bytes);
    const refused = await fetch(blobUrl(registry.url, repository, digest), { method: 'DELETE' });
    // RFC 9110 15.5.6: "The origin server MUST generate an Allow header field in a 405 response".
    const allow = refused.headers.get('allow');
    assert.ok(allow, 'a 405 carries Allow');
    assert.ok(!/\bDELETE\b/.test(allow), `Allow must not offer DELETE: ${allow}`);
    await assertError(refused, 405, 'UNSUPPORTED');
    assert.deepEqual(await pullBlob(registry.url, repository, digest), bytes);
  });
});
