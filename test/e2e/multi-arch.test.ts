import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import {
  addIndexToLayout, buildUmociImage, descriptorForTag, ociIndexType, ociManifestType, parseJson, readBlob, reachableBlobs,
  type Descriptor,
} from '../support/clients/oci-layout.js';
import { getManifest, putManifest } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir } from '../support/clients/run.js';
import { skopeoInspectRaw, skopeoPull, skopeoPush } from '../support/clients/skopeo.js';

const timeout = 120_000;
const architectures = ['amd64', 'arm64'] as const;

describe('a multi-arch image through a real Berth process', { timeout }, () => {
  let berth: BerthProcess;
  let work: string;
  let layout: string;
  const images = new Map<string, Descriptor>();
  let index: { descriptor: Descriptor; bytes: Buffer };
  const repo = 'e2e/multi-arch';
  const image = (reference: string, repository = repo): string =>
    `docker://${berth.hostPort}/${repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;

  /** The layout's image under `tag` is the expected one, with every blob byte-identical to the source's. */
  const assertSameImage = (out: string, tag: string, expected: Descriptor): void => {
    const pulled = descriptorForTag(out, tag);
    assert.equal(pulled.digest, expected.digest);
    const want = reachableBlobs(layout, expected.digest);
    const got = reachableBlobs(out, pulled.digest);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'the same manifests and blobs');
    for (const [digest, bytes] of want) assert.deepEqual(got.get(digest), bytes, `blob ${digest} is byte-identical`);
  };

  before(async () => {
    berth = await startBerthProcess();
    work = makeTempDir('multi-arch');
    layout = join(work, 'source');
    for (const architecture of architectures) {
      images.set(architecture, await buildUmociImage(layout, architecture, {
        files: { 'arch.txt': `built for ${architecture}\n`, [`only-on-${architecture}`]: architecture },
        architecture,
        os: 'linux',
      }));
    }
    index = addIndexToLayout(layout, 'multi', architectures.map((architecture) => ({
      ...images.get(architecture)!,
      platform: { architecture, os: 'linux' },
    })));
  });

  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    removeDir(work);
  });

  it('pushes each single-platform image by digest with skopeo', { timeout }, async () => {
    for (const architecture of architectures) {
      const descriptor = images.get(architecture)!;
      await skopeoPush(`oci:${layout}:${architecture}`, image(descriptor.digest));
      const stored = await getManifest(berth.url, repo, descriptor.digest);
      assert.equal(stored.status, 200, `${architecture} by digest`);
      assert.equal(stored.contentType, ociManifestType);
      assert.deepEqual(stored.bytes, readBlob(layout, descriptor.digest));
      const config = parseJson<{ architecture: string }>(readBlob(layout, parseJson(stored.bytes).config!.digest));
      assert.equal(config.architecture, architecture);
    }
  });

  it('pushes an OCI image index over them by HTTP PUT', { timeout }, async () => {
    const put = await putManifest(berth.url, repo, 'v1', index.bytes, ociIndexType);
    assert.equal(put.status, 201, put.body);
    assert.equal(put.digest, index.descriptor.digest);
    assert.deepEqual(await skopeoInspectRaw(image('v1')), index.bytes, 'skopeo inspect --raw gives the index as pushed');
    const stored = await getManifest(berth.url, repo, 'v1');
    assert.equal(stored.contentType, ociIndexType);
  });

  for (const architecture of architectures) {
    it(`pulls the ${architecture} image back through the index with skopeo --override-arch ${architecture}`, { timeout }, async () => {
      const out = join(work, `pulled-${architecture}`);
      await skopeoPull(image('v1'), `oci:${out}:img`, [], { global: ['--override-arch', architecture, '--override-os', 'linux'] });
      assertSameImage(out, 'img', images.get(architecture)!);
    });
  }

  it('pulls the whole index back with skopeo copy --all, byte for byte', { timeout }, async () => {
    const out = join(work, 'pulled-all');
    await skopeoPull(image('v1'), `oci:${out}:v1`, ['--all']);
    assertSameImage(out, 'v1', index.descriptor);
  });

  it('pushes the multi-image layout with skopeo copy --all into another repository, and back again', { timeout }, async () => {
    const other = 'e2e/multi-arch-copy';
    await skopeoPush(`oci:${layout}:multi`, image('v1', other), ['--all']);
    const stored = await getManifest(berth.url, other, 'v1');
    assert.equal(stored.status, 200);
    assert.equal(stored.digest, index.descriptor.digest, 'skopeo pushed the index unchanged');
    for (const architecture of architectures) {
      assert.equal((await getManifest(berth.url, other, images.get(architecture)!.digest)).status, 200,
        `the ${architecture} manifest is in ${other}`);
    }
    const out = join(work, 'pulled-copy');
    await skopeoPull(image('v1', other), `oci:${out}:v1`, ['--all']);
    assertSameImage(out, 'v1', index.descriptor);
  });
});
