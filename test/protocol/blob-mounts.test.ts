/*
 * Cross-repository blob mounts over real HTTP (spec "Mounting a blob from another repository", end-11).
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#mounting-a-blob-from-another-repository
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import {
  assertError, blobFiles, completeUpload, headBlobStatus, pullBlob, pushBlob, randomBlob, resolveLocation, sha256,
  uniqueRepo, uploadIdOf, uploadsUrl,
} from '../support/registry-client.js';

describe('cross-repository blob mounts', () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  const mount = (target: string, digest: string, from?: string): Promise<Response> =>
    fetch(uploadsUrl(registry.url, target, { mount: digest, ...(from !== undefined && { from }) }), {
      method: 'POST', headers: { 'content-length': '0' },
    });

  /** Asserts the 202 that opens an ordinary session instead of mounting, and that the session works. */
  async function assertSessionOpened(response: Response, target: string, bytes: Buffer): Promise<void> {
    const text = await response.text();
    assert.equal(response.status, 202, `expected an upload session (202), got ${response.status}: ${text.slice(0, 300)}`);
    const location = resolveLocation(registry.url, response.headers.get('location'));
    assert.equal(new URL(location).pathname, `/v2/${target}/blobs/uploads/${uploadIdOf(location)}`);
    assert.equal(response.headers.get('docker-upload-uuid'), uploadIdOf(location));
    assert.equal(await headBlobStatus(registry.url, target, sha256(bytes)), 404, 'nothing was mounted');
    // "This indicates that the upload session has begun and that the client MAY proceed with the upload."
    const put = await completeUpload(location, sha256(bytes), bytes);
    assert.equal(put.status, 201);
    await put.arrayBuffer();
    assert.deepEqual(await pullBlob(registry.url, target, sha256(bytes)), bytes);
  }

  it('mounts a blob the source repository has: 201 with Location and Docker-Content-Digest, stored once', async () => {
    const [source, target] = [uniqueRepo(), uniqueRepo()];
    const bytes = randomBlob(2000);
    const digest = await pushBlob(registry.url, source, bytes);
    const storedBefore = blobFiles(registry.dataDir).length;
    assert.equal(await headBlobStatus(registry.url, target, digest), 404);

    const response = await mount(target, digest, source);
    assert.equal(response.status, 201);
    await response.arrayBuffer();
    assert.equal(response.headers.get('docker-content-digest'), digest);
    const location = resolveLocation(registry.url, response.headers.get('location'));
    assert.equal(new URL(location).pathname, `/v2/${target}/blobs/${digest}`);
    const pulled = await fetch(location);
    assert.equal(pulled.status, 200);
    assert.deepEqual(Buffer.from(await pulled.arrayBuffer()), bytes);
    assert.equal(blobFiles(registry.dataDir).length, storedBefore, 'a mount copies no bytes');
  });

  it('keeps a mounted blob in the target after the source deletes it', async () => {
    const [source, target] = [uniqueRepo(), uniqueRepo()];
    const bytes = randomBlob(900);
    const digest = await pushBlob(registry.url, source, bytes);
    const mounted = await mount(target, digest, source);
    assert.equal(mounted.status, 201);
    await mounted.arrayBuffer();
    const deleted = await fetch(`${registry.url}/v2/${source}/blobs/${digest}`, { method: 'DELETE' });
    assert.equal(deleted.status, 202);
    await deleted.arrayBuffer();
    assert.equal(await headBlobStatus(registry.url, source, digest), 404);
    assert.deepEqual(await pullBlob(registry.url, target, digest), bytes);
  });

  it('opens an upload session (202) when the source repository does not have the blob', async () => {
    // Another repository has it, but not the one named in `from`: the mount must not reach past `from`.
    const [holder, source, target] = [uniqueRepo(), uniqueRepo(), uniqueRepo()];
    const bytes = randomBlob(1500);
    await pushBlob(registry.url, holder, bytes);
    await pushBlob(registry.url, source, randomBlob(10));
    await assertSessionOpened(await mount(target, sha256(bytes), source), target, bytes);
  });

  it('opens an upload session (202) when the source repository does not exist', async () => {
    const [holder, target] = [uniqueRepo(), uniqueRepo()];
    const bytes = randomBlob(100);
    await pushBlob(registry.url, holder, bytes);
    await assertSessionOpened(await mount(target, sha256(bytes), uniqueRepo('nobody')), target, bytes);
  });

  it('mounts without `from` when some repository has the blob (201)', async () => {
    // Spec: "The registry MAY treat the from parameter as optional, and it MAY cross-mount the blob if it can be
    // found." Berth takes that option (UploadService.mount: any readable repository holding the blob). CNCF
    // Distribution does not: without `from` it opens a session (202). This test pins Berth's chosen option.
    const [holder, target] = [uniqueRepo(), uniqueRepo()];
    const bytes = randomBlob(1200);
    const digest = await pushBlob(registry.url, holder, bytes);
    const response = await mount(target, digest);
    assert.equal(response.status, 201);
    await response.arrayBuffer();
    assert.equal(response.headers.get('docker-content-digest'), digest);
    assert.equal(new URL(resolveLocation(registry.url, response.headers.get('location'))).pathname, `/v2/${target}/blobs/${digest}`);
    assert.deepEqual(await pullBlob(registry.url, target, digest), bytes);
  });

  it('opens an upload session (202) for a mount without `from` of a blob no repository has', async () => {
    const target = uniqueRepo();
    const bytes = randomBlob(400);
    await assertSessionOpened(await mount(target, sha256(bytes)), target, bytes);
  });

  for (const [what, from] of [
    ['a traversal', '../secret'],
    ['an uppercase name', 'Team/App'],
    ['an empty component', 'team//app'],
  ] as const) {
    it(`opens an upload session (202) and mounts nothing when \`from\` is ${what} (${from})`, async () => {
      // Spec: "if a registry does not support cross-repository mounting or is unable to mount the requested blob,
      // it SHOULD return a 202", and end-11 lists 404 as its only failure. Distribution does exactly that for a
      // `from` that is not a valid name (createBlobMountOption fails, an ordinary session is opened).
      const [holder, target] = [uniqueRepo(), uniqueRepo()];
      const bytes = randomBlob(300);
      await pushBlob(registry.url, holder, bytes);
      await assertSessionOpened(await mount(target, sha256(bytes), from), target, bytes);
    });
  }

  it('refuses a mount into an invalid repository name with NAME_INVALID', async () => {
    const holder = uniqueRepo();
    const digest = await pushBlob(registry.url, holder, randomBlob(50));
    const response = await fetch(`${registry.url}/v2/Not_Valid/blobs/uploads/?mount=${digest}&from=${holder}`, { method: 'POST' });
    await assertError(response, 400, 'NAME_INVALID');
  });
});
