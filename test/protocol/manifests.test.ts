import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  acceptAll, buildImage, buildIndex, expectError, fromBytes, getManifest, mediaTypes, pushBlobs, pushIndex,
  pushManifest, putManifest, randomDigest, rawGet, sha256, type BuiltManifest,
} from '../support/image-builder.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

/**
 * Pushing, pulling, checking and deleting manifests over HTTP, for the four manifest types Berth stores.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-manifests
 */

interface Flavour {
  readonly label: string;
  readonly mediaType: string;
  /** Builds the manifest and pushes whatever it references (blobs, child manifests), but not the manifest. */
  prepare(url: string, repository: string): Promise<BuiltManifest>;
}

const flavours: Flavour[] = [
  {
    label: 'OCI image manifest',
    mediaType: mediaTypes.ociManifest,
    async prepare(url, repository) {
      const image = buildImage({ layers: 2 });
      await pushBlobs(url, repository, image);
      return image;
    },
  },
  {
    label: 'OCI image index',
    mediaType: mediaTypes.ociIndex,
    async prepare(url, repository) {
      const children = [buildImage(), buildImage()];
      for (const child of children) await pushManifest(url, repository, child.digest, child);
      return buildIndex(children);
    },
  },
  {
    label: 'Docker image manifest v2 schema 2',
    mediaType: mediaTypes.dockerManifest,
    async prepare(url, repository) {
      const image = buildImage({ flavour: 'docker', layers: 2 });
      await pushBlobs(url, repository, image);
      return image;
    },
  },
  {
    label: 'Docker manifest list',
    mediaType: mediaTypes.dockerManifestList,
    async prepare(url, repository) {
      const children = [buildImage({ flavour: 'docker' }), buildImage({ flavour: 'docker' })];
      for (const child of children) await pushManifest(url, repository, child.digest, child);
      return buildIndex(children, { flavour: 'docker' });
    },
  },
];

/** Checks a successful manifest GET or HEAD against what was pushed. */
async function expectManifest(response: Response, manifest: BuiltManifest, method: 'GET' | 'HEAD'): Promise<void> {
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('docker-content-digest'), manifest.digest);
  assert.equal(response.headers.get('content-type'), manifest.mediaType);
  assert.equal(response.headers.get('content-length'), String(manifest.size));
  const body = Buffer.from(await response.arrayBuffer());
  if (method === 'HEAD') {
    assert.equal(body.length, 0, 'a HEAD response carries no body');
  } else {
    assert.ok(body.equals(manifest.bytes), 'the registry must serve the exact bytes that were pushed');
  }
}

describe('manifests: push, pull, HEAD and delete', () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  for (const flavour of flavours) {
    describe(flavour.label, () => {
      const repository = `flavours/${flavour.label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
      let manifest: BuiltManifest;

      before(async () => {
        manifest = await flavour.prepare(registry.url, repository);
        assert.equal(manifest.mediaType, flavour.mediaType);
      });

      it('PUT by tag answers 201 with Location and Docker-Content-Digest', async () => {
        const response = await putManifest(registry.url, repository, 'v1', manifest);
        assert.equal(response.status, 201, await response.clone().text());
        assert.equal(response.headers.get('docker-content-digest'), manifest.digest);
        assert.equal(response.headers.get('location'), `/v2/${repository}/manifests/${manifest.digest}`);
        assert.equal(response.headers.get('oci-subject'), null, 'no OCI-Subject for a manifest without subject');

        // "The <location> is a pullable manifest URL."
        const pulled = await fetch(new URL(response.headers.get('location')!, registry.url), { headers: { accept: acceptAll } });
        await expectManifest(pulled, manifest, 'GET');
      });

      it('GET by tag serves the exact bytes with the stored media type', async () => {
        await expectManifest(await getManifest(registry.url, repository, 'v1', acceptAll), manifest, 'GET');
      });

      it('GET by digest serves the exact bytes with the stored media type', async () => {
        await expectManifest(await getManifest(registry.url, repository, manifest.digest, acceptAll), manifest, 'GET');
      });

      it('HEAD by tag and by digest answers the headers without a body', async () => {
        await expectManifest(await getManifest(registry.url, repository, 'v1', acceptAll, 'HEAD'), manifest, 'HEAD');
        await expectManifest(await getManifest(registry.url, repository, manifest.digest, acceptAll, 'HEAD'), manifest, 'HEAD');
      });

      it('PUT by digest answers 201 and the manifest is pullable by that digest', async () => {
        const other = `${repository}-by-digest`;
        const copy = await flavour.prepare(registry.url, other);
        const response = await putManifest(registry.url, other, copy.digest, copy);
        assert.equal(response.status, 201, await response.clone().text());
        assert.equal(response.headers.get('docker-content-digest'), copy.digest);
        assert.equal(response.headers.get('location'), `/v2/${other}/manifests/${copy.digest}`);
        await expectManifest(await getManifest(registry.url, other, copy.digest, acceptAll), copy, 'GET');
      });

      it('DELETE by tag answers 202, then by digest answers 202, and both are gone', async () => {
        const tagged = await putManifest(registry.url, repository, 'to-delete', manifest);
        assert.equal(tagged.status, 201);

        const byTag = await fetch(`${registry.url}/v2/${repository}/manifests/to-delete`, { method: 'DELETE' });
        assert.equal(byTag.status, 202);
        await expectError(await getManifest(registry.url, repository, 'to-delete', acceptAll), 404, 'MANIFEST_UNKNOWN');
        await expectManifest(await getManifest(registry.url, repository, manifest.digest, acceptAll), manifest, 'GET');

        const byDigest = await fetch(`${registry.url}/v2/${repository}/manifests/${manifest.digest}`, { method: 'DELETE' });
        assert.equal(byDigest.status, 202);
        await expectError(await getManifest(registry.url, repository, manifest.digest, acceptAll), 404, 'MANIFEST_UNKNOWN');
        // "Once deleted, a GET to /v2/<name>/manifests/<digest> and any tag pointing to that digest will return a 404."
        await expectError(await getManifest(registry.url, repository, 'v1', acceptAll), 404, 'MANIFEST_UNKNOWN');
      });
    });
  }

  describe('digests', () => {
    const repository = 'digests/app';

    it('refuses a PUT by a digest that is not the digest of the body (DIGEST_INVALID) and stores nothing', async () => {
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      const wrong = randomDigest();
      const response = await putManifest(registry.url, repository, wrong, image);
      await expectError(response, 400, 'DIGEST_INVALID');
      await expectError(await getManifest(registry.url, repository, wrong, acceptAll), 404, 'MANIFEST_UNKNOWN');
      await expectError(await getManifest(registry.url, repository, image.digest, acceptAll), 404, 'MANIFEST_UNKNOWN');
    });

    it('refuses a PUT by the digest of a different serialisation of the same JSON', async () => {
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      // Same document, other bytes: the digest is of the bytes, never of the parsed JSON.
      const compact = Buffer.from(JSON.stringify(image.json));
      assert.notEqual(sha256(compact), image.digest);
      const response = await putManifest(registry.url, repository, sha256(compact), image);
      await expectError(response, 400, 'DIGEST_INVALID');
    });

    it('stores and serves a manifest under a sha512 digest', async () => {
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      const put = await putManifest(registry.url, repository, image.sha512, image);
      assert.equal(put.status, 201, await put.clone().text());
      // "The Docker-Content-Digest header ... MUST be equal to the client provided digest."
      assert.equal(put.headers.get('docker-content-digest'), image.sha512);
      assert.equal(put.headers.get('location'), `/v2/${repository}/manifests/${image.sha512}`);

      const get = await getManifest(registry.url, repository, image.sha512, acceptAll);
      assert.equal(get.status, 200);
      assert.equal(get.headers.get('docker-content-digest'), image.sha512);
      assert.equal(get.headers.get('content-type'), mediaTypes.ociManifest);
      assert.ok(Buffer.from(await get.arrayBuffer()).equals(image.bytes));

      const head = await getManifest(registry.url, repository, image.sha512, acceptAll, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(image.size));
      assert.equal(head.headers.get('docker-content-digest'), image.sha512);
    });

    it('refuses a PUT by a sha512 digest that does not match the body', async () => {
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      const other = buildImage();
      const response = await putManifest(registry.url, repository, other.sha512, image);
      await expectError(response, 400, 'DIGEST_INVALID');
    });

    it('refuses a malformed digest reference on PUT and GET with 400 or 404', async () => {
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      // The OCI conformance suite pushes "sha256:baddigeststring" and expects 400, and accepts 404 or 400 on GET.
      await expectError(await putManifest(registry.url, repository, 'sha256:baddigeststring', image), 400, 'DIGEST_INVALID');
      const get = await getManifest(registry.url, repository, 'sha256:baddigeststring', acceptAll);
      assert.ok([400, 404].includes(get.status), `GET answered ${get.status}`);
      await expectError(get, get.status, ['DIGEST_INVALID', 'MANIFEST_UNKNOWN']);
    });

    it('stores the exact bytes, whitespace and key order included', async () => {
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      const json = image.json;
      // Unusual but valid JSON: tabs, CRLF, keys out of the usual order, a trailing newline, escaped characters.
      const text = `{\r\n\t"layers" : ${JSON.stringify(json.layers)},\r\n\t"config":${JSON.stringify(json.config)},` +
        `\t"annotations": {"note": "caf\\u00e9 \u00e9t\u00e9 \\/ \\""},\r\n\t"mediaType": "${mediaTypes.ociManifest}", "schemaVersion" : 2 }\n`;
      const odd = fromBytes(Buffer.from(text), mediaTypes.ociManifest);
      const put = await putManifest(registry.url, repository, 'odd', odd);
      assert.equal(put.status, 201, await put.clone().text());
      assert.equal(put.headers.get('docker-content-digest'), odd.digest);
      await expectManifest(await getManifest(registry.url, repository, 'odd', acceptAll), odd, 'GET');
    });
  });

  describe('unknown manifests', () => {
    const repository = 'unknown/app';
    before(async () => { await pushManifest(registry.url, repository, 'present', buildImage()); });

    it('answers 404 MANIFEST_UNKNOWN for an unknown tag', async () => {
      await expectError(await getManifest(registry.url, repository, 'absent', acceptAll), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers 404 MANIFEST_UNKNOWN for an unknown digest', async () => {
      await expectError(await getManifest(registry.url, repository, randomDigest(), acceptAll), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers HEAD of an unknown manifest with 404 and no body', async () => {
      const response = await getManifest(registry.url, repository, 'absent', acceptAll, 'HEAD');
      assert.equal(response.status, 404);
      assert.equal((await response.arrayBuffer()).byteLength, 0);
    });

    it('answers 404 for a manifest of a repository that does not exist', async () => {
      // "An attempt to pull a nonexistent repository MUST return response code 404 Not Found."
      const response = await getManifest(registry.url, 'never/pushed', 'latest', acceptAll);
      await expectError(response, 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
    });

    it('does not serve a manifest of one repository through another', async () => {
      const image = buildImage();
      await pushManifest(registry.url, 'isolation/one', 'v1', image);
      await pushManifest(registry.url, 'isolation/two', 'other', buildImage());
      await expectError(await getManifest(registry.url, 'isolation/two', image.digest, acceptAll), 404, 'MANIFEST_UNKNOWN');
      await expectError(await getManifest(registry.url, 'isolation/two', 'v1', acceptAll), 404, 'MANIFEST_UNKNOWN');
    });
  });

  describe('Content-Type on push', () => {
    const repository = 'content-type/app';

    it('ignores parameters on the Content-Type and serves the type without them', async () => {
      // "The registry SHOULD ignore parameters on the Content-Type header." and on pull
      // "The registry SHOULD NOT include parameters on the Content-Type header."
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      const put = await putManifest(registry.url, repository, 'params', image, `${mediaTypes.ociManifest}; charset=utf-8`);
      assert.equal(put.status, 201, await put.clone().text());
      const get = await getManifest(registry.url, repository, 'params', acceptAll);
      assert.equal(get.headers.get('content-type'), mediaTypes.ociManifest);
    });

    it('stores the Content-Type of an OCI manifest that has no mediaType field', async () => {
      // mediaType is only a SHOULD in an OCI image manifest; the Content-Type then says what it is.
      const image = buildImage({ omitMediaType: true });
      await pushBlobs(registry.url, repository, image);
      const put = await putManifest(registry.url, repository, 'no-media-type', image, mediaTypes.ociManifest);
      assert.equal(put.status, 201, await put.clone().text());
      await expectManifest(await getManifest(registry.url, repository, 'no-media-type', acceptAll), image, 'GET');
    });

    it('takes the type from the body mediaType when the client sends no Content-Type', async () => {
      const image = buildImage({ flavour: 'docker' });
      await pushBlobs(registry.url, repository, image);
      const put = await putManifest(registry.url, repository, 'no-content-type', image.bytes, null);
      assert.equal(put.status, 201, await put.clone().text());
      await expectManifest(await getManifest(registry.url, repository, 'no-content-type', acceptAll), image, 'GET');
    });
  });

  describe('tags', () => {
    const repository = 'tags/moves';

    it('moves a tag to a newly pushed manifest and keeps the old one by digest', async () => {
      const first = buildImage();
      const second = buildImage();
      await pushManifest(registry.url, repository, 'latest', first);
      await pushManifest(registry.url, repository, 'latest', second);

      await expectManifest(await getManifest(registry.url, repository, 'latest', acceptAll), second, 'GET');
      await expectManifest(await getManifest(registry.url, repository, first.digest, acceptAll), first, 'GET');
      const list = await (await fetch(`${registry.url}/v2/${repository}/tags/list`)).json() as { tags: string[] };
      assert.deepEqual(list.tags, ['latest']);
    });

    it('accepts the same manifest pushed again under the same tag', async () => {
      const image = buildImage();
      await pushManifest(registry.url, repository, 'again', image);
      const response = await putManifest(registry.url, repository, 'again', image);
      assert.equal(response.status, 201);
      assert.equal(response.headers.get('docker-content-digest'), image.digest);
    });

    it('accepts tags of every allowed shape, up to 128 characters', async () => {
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      // [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
      for (const tag of ['_', 'A', '9', 'v1.2.3-rc.1_build', `a${'b'.repeat(127)}`, 'UPPER-lower.0']) {
        const response = await putManifest(registry.url, repository, tag, image);
        assert.equal(response.status, 201, `tag ${tag}: ${await response.text()}`);
        await expectManifest(await getManifest(registry.url, repository, tag, acceptAll), image, 'GET');
      }
    });

    it('refuses tags the spec does not allow', async () => {
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      // The spec names no code for this; TAG_INVALID is the legacy code it mentions, and Distribution's own.
      for (const tag of ['-leading-dash', '.leading-dot', 'has!bang', 'has+plus', 'caf%C3%A9', `a${'b'.repeat(128)}`]) {
        await expectError(await putManifest(registry.url, repository, tag, image), 400, 'TAG_INVALID');
      }
      const list = await (await fetch(`${registry.url}/v2/${repository}/tags/list`)).json() as { tags: string[] };
      assert.ok(!list.tags.some((tag) => tag.includes('!') || tag.startsWith('-') || tag.startsWith('.')));
    });
  });

  describe('Accept negotiation', () => {
    const repository = 'accept/app';
    let ociImage: BuiltManifest;
    let ociIndex: BuiltManifest;
    let dockerImage: BuiltManifest;

    before(async () => {
      ociImage = buildImage();
      await pushManifest(registry.url, repository, 'oci', ociImage);
      dockerImage = buildImage({ flavour: 'docker' });
      await pushManifest(registry.url, repository, 'docker', dockerImage);
      const child = buildImage();
      ociIndex = buildIndex([child]);
      await pushIndex(registry.url, repository, 'index', ociIndex, [child]);
    });

    it('serves a manifest whose type is listed among others, with q-values and parameters', async () => {
      const accept = `${mediaTypes.dockerManifest};q=0.5, ${mediaTypes.ociManifest}; q=0.9, ${mediaTypes.ociIndex}`;
      await expectManifest(await getManifest(registry.url, repository, 'oci', accept), ociImage, 'GET');
    });

    it('serves whatever is stored when the client sends no Accept header', async () => {
      // RFC 9110 section 12.5.1: "A request without any Accept header field implies that the user agent will accept
      // any media type in response", and the distribution spec defers to RFC 9110 where it defines nothing.
      // (Distribution answers 404 here for OCI types; the RFC leaves no choice.) fetch always sends Accept: */*, so
      // these requests are written by hand.
      for (const [tag, manifest] of [['oci', ociImage], ['index', ociIndex], ['docker', dockerImage]] as const) {
        const response = await rawGet(registry.url, `/v2/${repository}/manifests/${tag}`);
        assert.equal(response.status, 200, `${tag}: ${response.body}`);
        assert.equal(response.headers['content-type'], manifest.mediaType);
        assert.equal(response.headers['docker-content-digest'], manifest.digest);
        assert.ok(response.bodyBytes.equals(manifest.bytes));
      }
    });

    it('serves whatever is stored for Accept: */*', async () => {
      // RFC 9110: "*/*" matches every media type.
      await expectManifest(await getManifest(registry.url, repository, 'oci', '*/*'), ociImage, 'GET');
      await expectManifest(await getManifest(registry.url, repository, 'index', '*/*'), ociIndex, 'GET');
      await expectManifest(await getManifest(registry.url, repository, 'docker', '*/*'), dockerImage, 'GET');
    });

    it('answers MANIFEST_UNKNOWN for an OCI manifest when Accept lists only other types', async () => {
      // RFC 9110 lets the server answer 406 or ignore Accept; Distribution answers 404 MANIFEST_UNKNOWN ("OCI manifest
      // found, but accept header does not support OCI manifests"), which is what clients have learnt to expect.
      const accept = `${mediaTypes.dockerManifest}, ${mediaTypes.dockerManifestList}`;
      await expectError(await getManifest(registry.url, repository, 'oci', accept), 404, 'MANIFEST_UNKNOWN');
      await expectError(await getManifest(registry.url, repository, ociImage.digest, accept), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers MANIFEST_UNKNOWN for an OCI index when Accept lists only image manifests', async () => {
      // Distribution: "OCI index found, but accept header does not support OCI indexes".
      await expectError(await getManifest(registry.url, repository, 'index', mediaTypes.ociManifest), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers HEAD with 404 and no body when Accept excludes the stored OCI type', async () => {
      const response = await getManifest(registry.url, repository, 'oci', mediaTypes.dockerManifest, 'HEAD');
      assert.equal(response.status, 404);
      assert.equal((await response.arrayBuffer()).byteLength, 0);
    });

    it('serves a Docker v2 schema 2 manifest even when Accept lists only OCI types', async () => {
      // RFC 9110 leaves the choice open (406, or disregard Accept). Distribution refuses only OCI manifests and
      // indexes that Accept leaves out; a Docker schema 2 manifest is served whatever Accept says
      // (registry/handlers/manifests.go, GetManifest).
      const accept = `${mediaTypes.ociManifest}, ${mediaTypes.ociIndex}`;
      await expectManifest(await getManifest(registry.url, repository, 'docker', accept), dockerImage, 'GET');
    });
  });
});
