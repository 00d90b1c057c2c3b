import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  acceptAll, buildImage, expectError, getManifest, pushManifest, putManifest, randomDigest, type BuiltManifest,
} from '../support/image-builder.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

/**
 * Deleting tags and manifests.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#deleting-tags
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#deleting-manifests
 */

const del = (url: string, repository: string, reference: string): Promise<Response> =>
  fetch(`${url}/v2/${repository}/manifests/${reference}`, { method: 'DELETE' });

async function tagsOf(url: string, repository: string): Promise<string[]> {
  const response = await fetch(`${url}/v2/${repository}/tags/list`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { tags: string[] }).tags;
}

async function expectPullable(url: string, repository: string, reference: string, manifest: BuiltManifest): Promise<void> {
  const response = await getManifest(url, repository, reference, acceptAll);
  assert.equal(response.status, 200, `${repository}:${reference} should still be pullable`);
  assert.equal(response.headers.get('docker-content-digest'), manifest.digest);
  assert.ok(Buffer.from(await response.arrayBuffer()).equals(manifest.bytes));
}

describe('deleting manifests and tags', () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  it('DELETE by tag removes only that tag: the manifest stays pullable by digest and by its other tags', async () => {
    const repository = 'deletes/by-tag';
    const image = buildImage();
    for (const tag of ['one', 'two', 'three']) await pushManifest(registry.url, repository, tag, image);

    const response = await del(registry.url, repository, 'two');
    assert.equal(response.status, 202);

    // "Once deleted, a GET to /v2/<name>/manifests/<tag> will return a 404."
    await expectError(await getManifest(registry.url, repository, 'two', acceptAll), 404, 'MANIFEST_UNKNOWN');
    const head = await getManifest(registry.url, repository, 'two', acceptAll, 'HEAD');
    assert.equal(head.status, 404);
    await expectPullable(registry.url, repository, image.digest, image);
    await expectPullable(registry.url, repository, 'one', image);
    await expectPullable(registry.url, repository, 'three', image);
    assert.deepEqual(await tagsOf(registry.url, repository), ['one', 'three']);
  });

  it('DELETE by digest removes the manifest and every tag that pointed to it', async () => {
    const repository = 'deletes/by-digest';
    const image = buildImage();
    const other = buildImage();
    for (const tag of ['a', 'b']) await pushManifest(registry.url, repository, tag, image);
    await pushManifest(registry.url, repository, 'keep', other);

    const response = await del(registry.url, repository, image.digest);
    assert.equal(response.status, 202);

    // "Once deleted, a GET to /v2/<name>/manifests/<digest> and any tag pointing to that digest will return a 404."
    for (const reference of [image.digest, 'a', 'b']) {
      await expectError(await getManifest(registry.url, repository, reference, acceptAll), 404, 'MANIFEST_UNKNOWN');
      assert.equal((await getManifest(registry.url, repository, reference, acceptAll, 'HEAD')).status, 404);
    }
    await expectPullable(registry.url, repository, 'keep', other);
    assert.deepEqual(await tagsOf(registry.url, repository), ['keep']);
  });

  it('DELETE by digest in one repository leaves the same manifest in another repository alone', async () => {
    const image = buildImage();
    await pushManifest(registry.url, 'deletes/left', 'v1', image);
    await pushManifest(registry.url, 'deletes/right', 'v1', image);
    assert.equal((await del(registry.url, 'deletes/left', image.digest)).status, 202);
    await expectError(await getManifest(registry.url, 'deletes/left', 'v1', acceptAll), 404, 'MANIFEST_UNKNOWN');
    await expectPullable(registry.url, 'deletes/right', 'v1', image);
    await expectPullable(registry.url, 'deletes/right', image.digest, image);
  });

  it('a manifest deleted by digest can be pushed again', async () => {
    const repository = 'deletes/again';
    const image = buildImage();
    await pushManifest(registry.url, repository, 'v1', image);
    assert.equal((await del(registry.url, repository, image.digest)).status, 202);
    const put = await putManifest(registry.url, repository, 'v1', image);
    assert.equal(put.status, 201, await put.clone().text());
    await expectPullable(registry.url, repository, 'v1', image);
    await expectPullable(registry.url, repository, image.digest, image);
  });

  it('deleting a tag that was moved leaves both manifests by digest', async () => {
    const repository = 'deletes/moved';
    const first = buildImage();
    const second = buildImage();
    await pushManifest(registry.url, repository, 'latest', first);
    await pushManifest(registry.url, repository, 'latest', second);
    await expectPullable(registry.url, repository, 'latest', second);

    assert.equal((await del(registry.url, repository, 'latest')).status, 202);
    await expectError(await getManifest(registry.url, repository, 'latest', acceptAll), 404, 'MANIFEST_UNKNOWN');
    await expectPullable(registry.url, repository, first.digest, first);
    await expectPullable(registry.url, repository, second.digest, second);
    assert.deepEqual(await tagsOf(registry.url, repository), []);
  });

  describe('unknown references', () => {
    const repository = 'deletes/unknown';
    let image: BuiltManifest;
    before(async () => {
      image = buildImage();
      await pushManifest(registry.url, repository, 'present', image);
    });

    it('answers 404 MANIFEST_UNKNOWN for an unknown tag', async () => {
      await expectError(await del(registry.url, repository, 'absent'), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers 404 MANIFEST_UNKNOWN for an unknown digest', async () => {
      await expectError(await del(registry.url, repository, randomDigest()), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers 404 when the repository does not exist', async () => {
      // "If the repository does not exist, the response MUST return 404 Not Found."
      await expectError(await del(registry.url, 'deletes/never-pushed', randomDigest()), 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
      await expectError(await del(registry.url, 'deletes/never-pushed', 'latest'), 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
    });

    it('answers 404 to a second DELETE of the same tag or digest', async () => {
      const other = buildImage();
      await pushManifest(registry.url, repository, 'twice', other);
      assert.equal((await del(registry.url, repository, 'twice')).status, 202);
      await expectError(await del(registry.url, repository, 'twice'), 404, 'MANIFEST_UNKNOWN');
      assert.equal((await del(registry.url, repository, other.digest)).status, 202);
      await expectError(await del(registry.url, repository, other.digest), 404, 'MANIFEST_UNKNOWN');
    });

    it('refuses a malformed tag or digest with 400', async () => {
      await expectError(await del(registry.url, repository, '-bad-tag'), 400, 'TAG_INVALID');
      await expectError(await del(registry.url, repository, 'sha256:1234'), 400, 'DIGEST_INVALID');
      await expectPullable(registry.url, repository, 'present', image);
    });
  });

  describe('with delete.enabled false', () => {
    let readOnly: InProcessBerth;
    const repository = 'deletes/disabled';
    let image: BuiltManifest;
    before(async () => {
      readOnly = await startInProcess({ delete: { enabled: false } });
      image = buildImage();
      await pushManifest(readOnly.url, repository, 'v1', image);
    });
    after(async () => { await readOnly.close(); });

    it('refuses DELETE by tag and by digest with 405 UNSUPPORTED and keeps both', async () => {
      // "If tag deletion is disabled, the registry MUST respond with either a 400 Bad Request or a 405 Method Not Allowed."
      await expectError(await del(readOnly.url, repository, 'v1'), 405, 'UNSUPPORTED');
      await expectError(await del(readOnly.url, repository, image.digest), 405, 'UNSUPPORTED');
      await expectPullable(readOnly.url, repository, 'v1', image);
      await expectPullable(readOnly.url, repository, image.digest, image);
    });

    it('names the methods still allowed in an Allow header on the 405', async () => {
      // RFC 9110 section 15.5.6: "The origin server MUST generate an Allow header field in a 405 response containing a
      // list of the target resource's currently supported methods." The distribution spec defers to RFC 9110 for
      // whatever it does not define itself.
      const response = await del(readOnly.url, repository, 'v1');
      assert.equal(response.status, 405);
      const allow = response.headers.get('allow');
      assert.ok(allow !== null, '405 without an Allow header');
      const methods = allow.split(',').map((method) => method.trim().toUpperCase());
      assert.ok(methods.includes('GET') && !methods.includes('DELETE'), `Allow: ${allow}`);
    });

    it('still accepts pushes', async () => {
      const other = buildImage();
      await pushManifest(readOnly.url, repository, 'v2', other);
      await expectPullable(readOnly.url, repository, 'v2', other);
    });
  });
});
