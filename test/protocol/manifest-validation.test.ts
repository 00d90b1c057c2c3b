import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  acceptAll, blobOf, buildImage, buildIndex, expectError, finish, fromBytes, getManifest, mediaTypes, padToSize,
  pushBlob, pushBlobs, pushManifest, putManifest, putManifestChunked, randomDigest, type BuiltManifest,
} from '../support/image-builder.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

/**
 * What a registry refuses on manifest push, and with which code.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-manifests
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */

/** The manifest was not stored: neither its digest nor the tag it was pushed under resolves. */
async function expectNotStored(url: string, repository: string, manifest: BuiltManifest, tag?: string): Promise<void> {
  await expectError(await getManifest(url, repository, manifest.digest, acceptAll), 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
  if (tag !== undefined) {
    await expectError(await getManifest(url, repository, tag, acceptAll), 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
  }
}

describe('manifest validation on push', () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  describe('referenced content must be present', () => {
    const repository = 'validation/references';

    it('refuses an image manifest whose config blob was never pushed (MANIFEST_BLOB_UNKNOWN)', async () => {
      const image = buildImage();
      for (const blob of image.blobs.slice(1)) await pushBlob(registry.url, repository, blob);
      const error = await expectError(await putManifest(registry.url, repository, 'no-config', image), 400, 'MANIFEST_BLOB_UNKNOWN');
      assert.ok(JSON.stringify(error.detail ?? error.message).includes(image.blobs[0]!.descriptor.digest),
        'the error names the missing digest');
      await expectNotStored(registry.url, repository, image, 'no-config');
    });

    it('refuses an image manifest with a layer that was never pushed (MANIFEST_BLOB_UNKNOWN)', async () => {
      const image = buildImage({ layers: 3 });
      for (const blob of image.blobs.filter((_, i) => i !== 2)) await pushBlob(registry.url, repository, blob);
      await expectError(await putManifest(registry.url, repository, 'no-layer', image), 400, 'MANIFEST_BLOB_UNKNOWN');
      await expectNotStored(registry.url, repository, image, 'no-layer');
    });

    it('refuses a Docker v2 schema 2 manifest with a missing layer (MANIFEST_BLOB_UNKNOWN)', async () => {
      const image = buildImage({ flavour: 'docker', layers: 2 });
      await pushBlob(registry.url, repository, image.blobs[0]!);
      await expectError(await putManifest(registry.url, repository, 'docker-no-layer', image), 400, 'MANIFEST_BLOB_UNKNOWN');
      await expectNotStored(registry.url, repository, image);
    });

    it('refuses a manifest whose blobs exist only in another repository', async () => {
      // Blobs are linked per repository (as in Distribution): a client must push or mount them here first.
      const image = buildImage();
      await pushBlobs(registry.url, 'validation/elsewhere', image);
      await expectError(await putManifest(registry.url, repository, 'foreign-repo', image), 400, 'MANIFEST_BLOB_UNKNOWN');
      await expectNotStored(registry.url, repository, image);
    });

    it('refuses an OCI index with a child manifest that was never pushed (MANIFEST_BLOB_UNKNOWN)', async () => {
      const present = buildImage();
      const missing = buildImage();
      await pushManifest(registry.url, repository, present.digest, present);
      await pushBlobs(registry.url, repository, missing);
      const index = buildIndex([present, missing]);
      const error = await expectError(await putManifest(registry.url, repository, 'index-missing', index), 400, 'MANIFEST_BLOB_UNKNOWN');
      assert.ok(JSON.stringify(error.detail ?? error.message).includes(missing.digest), 'the error names the missing child');
      await expectNotStored(registry.url, repository, index, 'index-missing');
    });

    it('refuses a Docker manifest list with a child manifest that was never pushed (MANIFEST_BLOB_UNKNOWN)', async () => {
      const missing = buildImage({ flavour: 'docker' });
      const list = buildIndex([missing], { flavour: 'docker' });
      await expectError(await putManifest(registry.url, repository, 'list-missing', list), 400, 'MANIFEST_BLOB_UNKNOWN');
      await expectNotStored(registry.url, repository, list);
    });

    it('refuses an index whose child exists only as a blob, not as a manifest', async () => {
      const child = buildImage();
      await pushBlob(registry.url, repository, child.bytes);
      const index = buildIndex([child]);
      await expectError(await putManifest(registry.url, repository, 'child-as-blob', index), 400, 'MANIFEST_BLOB_UNKNOWN');
    });

    it('refuses a config descriptor whose digest points at a blob never pushed, even if the bytes exist under another digest', async () => {
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      // The config descriptor lies: same size and type, digest of content nobody pushed.
      const json = { ...image.json, config: { ...(image.json.config as object), digest: randomDigest() } };
      const liar = finish(json, mediaTypes.ociManifest);
      await expectError(await putManifest(registry.url, repository, 'lying-digest', liar), 400, 'MANIFEST_BLOB_UNKNOWN');
      await expectNotStored(registry.url, repository, liar, 'lying-digest');
    });

    it('refuses a config descriptor whose size is not the size of the blob', async () => {
      // image-spec descriptor.md: size "specifies the size, in bytes, of the raw content"; content whose length does
      // not match "SHOULD NOT be trusted". The distribution spec names no code for this; Berth refuses it as
      // MANIFEST_INVALID, and MANIFEST_BLOB_UNKNOWN (no blob of that digest and size) would be as fair.
      // (Distribution does not compare sizes and stores such a manifest.)
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      const config = image.json.config as { size: number };
      const json = { ...image.json, config: { ...config, size: config.size + 1 } };
      const liar = finish(json, mediaTypes.ociManifest);
      const response = await putManifest(registry.url, repository, 'lying-size', liar);
      await expectError(response, 400, ['MANIFEST_INVALID', 'MANIFEST_BLOB_UNKNOWN']);
      await expectNotStored(registry.url, repository, liar, 'lying-size');
    });

    it('accepts non-distributable and foreign layers that were never pushed', async () => {
      // Their bytes come from their `urls`; the registry need not hold them (Distribution checks presence only when a
      // non-distributable layer has no urls). The OCI conformance suite pushes such a manifest.
      const foreignDigest = randomDigest();
      const oci = buildImage({
        extraLayers: [{
          mediaType: mediaTypes.ociNondistributableLayer, digest: foreignDigest, size: 123456,
          urls: [`https://store.example.com/blobs/sha256/${foreignDigest.slice(7)}`],
        }],
      });
      await pushBlobs(registry.url, repository, oci);
      const put = await putManifest(registry.url, repository, 'nondistributable', oci);
      assert.equal(put.status, 201, await put.clone().text());

      const docker = buildImage({
        flavour: 'docker',
        extraLayers: [{
          mediaType: mediaTypes.dockerForeignLayer, digest: randomDigest(), size: 654321,
          urls: ['https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:0000'],
        }],
      });
      await pushBlobs(registry.url, repository, docker);
      const dockerPut = await putManifest(registry.url, repository, 'foreign', docker);
      assert.equal(dockerPut.status, 201, await dockerPut.clone().text());
      const get = await getManifest(registry.url, repository, 'foreign', acceptAll);
      assert.ok(Buffer.from(await get.arrayBuffer()).equals(docker.bytes));
    });

    it('accepts an image manifest with no layers and the empty config', async () => {
      // "The uploaded manifest MUST reference any blobs that make up the object. However, the list of blobs MAY be empty."
      const empty = blobOf('{}', mediaTypes.ociEmpty);
      await pushBlob(registry.url, repository, empty);
      const manifest = finish({
        schemaVersion: 2, mediaType: mediaTypes.ociManifest, artifactType: 'application/vnd.example.thing',
        config: empty.descriptor, layers: [],
      }, mediaTypes.ociManifest);
      const put = await putManifest(registry.url, repository, 'no-layers', manifest);
      assert.equal(put.status, 201, await put.clone().text());
    });

    it('accepts an empty index', async () => {
      const index = buildIndex([]);
      const put = await putManifest(registry.url, repository, 'empty-index', index);
      assert.equal(put.status, 201, await put.clone().text());
    });
  });

  describe('Docker schema 1', () => {
    const repository = 'validation/schema1';
    const schema1 = Buffer.from(JSON.stringify({
      schemaVersion: 1,
      name: repository,
      tag: 'old',
      architecture: 'amd64',
      fsLayers: [{ blobSum: randomDigest() }],
      history: [{ v1Compatibility: '{"id":"e45a5af57b00862e5ef5782a9925979a02ba2b12dff832fd0991335f4a11e5c5"}' }],
    }));

    for (const contentType of [mediaTypes.dockerSchema1Signed, mediaTypes.dockerSchema1]) {
      it(`refuses ${contentType} by Content-Type, saying to convert the image`, async () => {
        const error = await expectError(await putManifest(registry.url, repository, 'old', schema1, contentType), 400, 'MANIFEST_INVALID');
        assert.match(error.message ?? '', /convert/i);
      });
    }

    for (const contentType of [null, 'application/json']) {
      it(`refuses a body with schemaVersion 1 sent with Content-Type ${String(contentType)}, saying to convert`, async () => {
        const error = await expectError(await putManifest(registry.url, repository, 'old', schema1, contentType), 400, 'MANIFEST_INVALID');
        assert.match(error.message ?? '', /convert/i);
      });
    }

    it('refuses a schemaVersion 1 body sent as an OCI manifest', async () => {
      await expectError(await putManifest(registry.url, repository, 'old', schema1, mediaTypes.ociManifest), 400, 'MANIFEST_INVALID');
      await expectError(await getManifest(registry.url, repository, 'old', acceptAll), 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
    });
  });

  describe('malformed bodies (MANIFEST_INVALID)', () => {
    const repository = 'validation/malformed';
    let image: BuiltManifest;
    before(async () => {
      image = buildImage();
      await pushBlobs(registry.url, repository, image);
    });

    const put = (body: string | Buffer, contentType: string | null = mediaTypes.ociManifest): Promise<Response> =>
      putManifest(registry.url, repository, 'bad', Buffer.isBuffer(body) ? body : Buffer.from(body), contentType);

    it('refuses bodies that are not JSON', async () => {
      for (const body of ['{', '{"schemaVersion": 2,}', 'not json at all', '', '{"a":1}{"b":2}', "{'schemaVersion': 2}"]) {
        await expectError(await put(body), 400, 'MANIFEST_INVALID');
      }
      await expectError(await put(randomBytes(200)), 400, 'MANIFEST_INVALID');
      // The body cut short: every byte of a valid manifest but the last.
      await expectError(await put(image.bytes.subarray(0, image.bytes.length - 1)), 400, 'MANIFEST_INVALID');
    });

    it('refuses JSON that is not an object', async () => {
      for (const body of ['[]', '[{"schemaVersion":2}]', '"manifest"', '2', 'null', 'true']) {
        await expectError(await put(body), 400, 'MANIFEST_INVALID');
        await expectError(await put(body, null), 400, 'MANIFEST_INVALID');
      }
    });

    it('refuses image manifests with required fields missing or of the wrong type', async () => {
      const { config, layers } = image.json as { config: Record<string, unknown>; layers: Record<string, unknown>[] };
      const base = { schemaVersion: 2, mediaType: mediaTypes.ociManifest, config, layers };
      const broken: Record<string, unknown>[] = [
        { ...base, schemaVersion: undefined },
        { ...base, schemaVersion: 3 },
        { ...base, schemaVersion: '2' },
        { ...base, config: undefined },
        { ...base, layers: undefined },
        { ...base, layers: {} },
        { ...base, config: { ...config, digest: undefined } },
        { ...base, config: { ...config, digest: 'sha256:not-hex' } },
        { ...base, config: { ...config, size: undefined } },
        { ...base, config: { ...config, size: -1 } },
        { ...base, config: { ...config, size: '12' } },
        { ...base, config: { ...config, mediaType: undefined } },
        { ...base, layers: [{ ...layers[0], digest: 'sha256:ABCDEF' }] },
        { ...base, layers: ['sha256:abc'] },
        { ...base, annotations: { key: 1 } },
      ];
      for (const json of broken) {
        const body = JSON.stringify(json);
        const response = await put(body);
        await expectError(response, 400, 'MANIFEST_INVALID');
      }
    });

    it('refuses an index without manifests, or with a malformed descriptor', async () => {
      const child = { mediaType: mediaTypes.ociManifest, digest: image.digest, size: image.size };
      for (const json of [
        { schemaVersion: 2, mediaType: mediaTypes.ociIndex },
        { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: null },
        { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [{ ...child, digest: 'md5:abc' }] },
        { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [{ ...child, size: undefined }] },
      ]) {
        await expectError(await put(JSON.stringify(json), mediaTypes.ociIndex), 400, 'MANIFEST_INVALID');
      }
    });

    it('refuses a Content-Type that disagrees with the body mediaType', async () => {
      // "If a manifest includes a mediaType field, clients MUST set the Content-Type header to the value specified by
      // the mediaType field."
      await expectError(await put(image.bytes, mediaTypes.dockerManifest), 400, 'MANIFEST_INVALID');
      await expectError(await put(image.bytes, mediaTypes.ociIndex), 400, 'MANIFEST_INVALID');
      const index = buildIndex([]);
      await expectError(await put(index.bytes, mediaTypes.ociManifest), 400, 'MANIFEST_INVALID');
      await expectError(await put(index.bytes, mediaTypes.dockerManifestList), 400, 'MANIFEST_INVALID');
    });

    it('refuses a media type that is not a manifest type Berth stores', async () => {
      // Distribution answers MANIFEST_INVALID ("unsupported manifest media type") for these.
      await expectError(await put(image.bytes, 'application/vnd.example.unknown+json'), 400, 'MANIFEST_INVALID');
      const odd = JSON.stringify({ ...image.json, mediaType: 'application/vnd.example.unknown+json' });
      await expectError(await put(odd, null), 400, 'MANIFEST_INVALID');
      await expectError(await put(odd, 'application/vnd.example.unknown+json'), 400, 'MANIFEST_INVALID');
    });

    it('stored nothing for any refused push', async () => {
      await expectError(await getManifest(registry.url, repository, 'bad', acceptAll), 404, 'MANIFEST_UNKNOWN');
      const list = await fetch(`${registry.url}/v2/${repository}/tags/list`);
      if (list.status === 200) assert.deepEqual(((await list.json()) as { tags: string[] }).tags, []);
      else await expectError(list, 404, 'NAME_UNKNOWN');
    });
  });

  describe('size limits', () => {
    const limit = 1000;
    const repository = 'validation/size';
    let small: InProcessBerth;
    let image: BuiltManifest;
    before(async () => {
      small = await startInProcess({ limits: { manifestMaxBytes: limit } });
      image = buildImage();
      await pushBlobs(small.url, repository, image);
    });
    after(async () => { await small.close(); });

    it('accepts a manifest of exactly manifestMaxBytes', async () => {
      const exact = padToSize(image.json, mediaTypes.ociManifest, limit);
      const response = await putManifest(small.url, repository, 'exact', exact);
      assert.equal(response.status, 201, await response.clone().text());
      assert.equal(response.headers.get('docker-content-digest'), exact.digest);
      const get = await getManifest(small.url, repository, 'exact', acceptAll);
      assert.ok(Buffer.from(await get.arrayBuffer()).equals(exact.bytes));
    });

    it('refuses a manifest one byte over manifestMaxBytes with 413 SIZE_INVALID', async () => {
      // "A registry that enforces this limit SHOULD respond ... with a response code 413 Payload Too Large."
      const over = padToSize(image.json, mediaTypes.ociManifest, limit + 1);
      await expectError(await putManifest(small.url, repository, 'over', over), 413, 'SIZE_INVALID');
      await expectNotStored(small.url, repository, over, 'over');
    });

    it('accepts a chunked manifest (no Content-Length) of exactly manifestMaxBytes', async () => {
      const exact = padToSize({ ...image.json, annotations: { chunked: 'yes' } }, mediaTypes.ociManifest, limit);
      const response = await putManifestChunked(small.url, repository, 'chunked-exact', exact.bytes, mediaTypes.ociManifest);
      assert.equal(response.status, 201, await response.clone().text());
      assert.equal(response.headers.get('docker-content-digest'), exact.digest);
    });

    it('refuses a chunked manifest one byte over manifestMaxBytes with 413 SIZE_INVALID', async () => {
      const over = padToSize({ ...image.json, annotations: { chunked: 'yes' } }, mediaTypes.ociManifest, limit + 1);
      const response = await putManifestChunked(small.url, repository, 'chunked-over', over.bytes, mediaTypes.ociManifest);
      await expectError(response, 413, 'SIZE_INVALID');
      await expectNotStored(small.url, repository, over, 'chunked-over');
    });

    it('refuses a chunked manifest far over the limit and keeps serving', async () => {
      const huge = Buffer.alloc(256 * 1024, 0x20);
      const response = await putManifestChunked(small.url, repository, 'huge', huge, mediaTypes.ociManifest);
      await expectError(response, 413, 'SIZE_INVALID');
      assert.equal((await fetch(`${small.url}/v2/`)).status, 200);
    });

    it('accepts a 4 MiB manifest with the default limit', async () => {
      // "Client and registry implementations SHOULD expect to be able to support manifest pushes of at least 4 megabytes."
      const big = padToSize(image.json, mediaTypes.ociManifest, 4 * 1024 * 1024, image.blobs);
      await pushBlobs(registry.url, repository, image);
      const response = await putManifest(registry.url, repository, 'four-mib', big);
      assert.equal(response.status, 201, await response.clone().text());
      assert.equal(response.headers.get('docker-content-digest'), big.digest);
      const get = await getManifest(registry.url, repository, 'four-mib', acceptAll);
      assert.equal(get.headers.get('content-length'), String(4 * 1024 * 1024));
      assert.ok(Buffer.from(await get.arrayBuffer()).equals(big.bytes));
    });

    it('accepts a 4 MiB manifest sent chunked with the default limit', async () => {
      const big = padToSize({ ...image.json, annotations: { chunked: 'yes' } }, mediaTypes.ociManifest, 4 * 1024 * 1024);
      const response = await putManifestChunked(registry.url, repository, 'four-mib-chunked', big.bytes,
        mediaTypes.ociManifest, 64 * 1024);
      assert.equal(response.status, 201, await response.clone().text());
      assert.equal(response.headers.get('docker-content-digest'), big.digest);
    });
  });

  it('leaves a refused push without effect on an existing tag', async () => {
    const repository = 'validation/keep-tag';
    const good = buildImage();
    await pushManifest(registry.url, repository, 'stable', good);
    const bad = buildImage();
    await expectError(await putManifest(registry.url, repository, 'stable', bad), 400, 'MANIFEST_BLOB_UNKNOWN');
    const get = await getManifest(registry.url, repository, 'stable', acceptAll);
    assert.equal(get.headers.get('docker-content-digest'), good.digest);
    assert.ok(fromBytes(Buffer.from(await get.arrayBuffer()), good.mediaType).digest === good.digest);
  });
});
