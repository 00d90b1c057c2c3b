import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { startContainerd, type Containerd } from '../support/clients/containerd.js';
import {
  addIndexToLayout, buildUmociImage, ociIndexType, readBlob, reachableBlobs, type Descriptor,
} from '../support/clients/oci-layout.js';
import { getManifest } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir } from '../support/clients/run.js';
import { skopeoPush } from '../support/clients/skopeo.js';

const timeout = 120_000;

/** One row of `ctr images ls`: REF TYPE DIGEST SIZE PLATFORMS LABELS. */
interface CtrImage {
  readonly ref: string;
  readonly type: string;
  readonly digest: string;
}

describe('containerd (ctr) against a real Berth process', { timeout }, () => {
  let berth: BerthProcess;
  let containerd: Containerd;
  let work: string;
  let layout: string;
  let single: Descriptor;
  let index: Descriptor;
  const ref = (repository: string, tag: string): string => `${berth.hostPort}/${repository}:${tag}`;

  const listImages = async (): Promise<CtrImage[]> => {
    const lines = (await containerd.ctr(['images', 'ls'])).stdout.trim().split('\n').slice(1);
    return lines.filter((line) => line.trim() !== '').map((line) => {
      const [name, type, digest] = line.trim().split(/\s+/);
      return { ref: name!, type: type!, digest: digest! };
    });
  };

  /** Every blob the manifest reaches is in `repository`, with the layout's bytes. */
  const assertBlobsIn = async (repository: string, root: Descriptor): Promise<void> => {
    for (const [digest, bytes] of reachableBlobs(layout, root.digest)) {
      const asManifest = await getManifest(berth.url, repository, digest);
      if (asManifest.status === 200) {
        assert.deepEqual(asManifest.bytes, bytes, `manifest ${digest} in ${repository}`);
        continue;
      }
      const blob = await fetch(`${berth.url}/v2/${repository}/blobs/${digest}`);
      assert.equal(blob.status, 200, `blob ${digest} is in ${repository}`);
      assert.deepEqual(Buffer.from(await blob.arrayBuffer()), bytes, `blob ${digest} in ${repository}`);
    }
  };

  before(async () => {
    berth = await startBerthProcess();
    work = makeTempDir('ctr');
    layout = join(work, 'layout');
    single = await buildUmociImage(layout, 'single', { files: { 'hello.txt': 'hello, containerd\n' }, architecture: 'amd64', os: 'linux' });
    const amd64 = await buildUmociImage(layout, 'amd64', { files: { 'arch.txt': 'amd64\n' }, architecture: 'amd64', os: 'linux' });
    const arm64 = await buildUmociImage(layout, 'arm64', { files: { 'arch.txt': 'arm64\n' }, architecture: 'arm64', os: 'linux' });
    index = addIndexToLayout(layout, 'multi', [
      { ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
      { ...arm64, platform: { architecture: 'arm64', os: 'linux' } },
    ]).descriptor;
    await skopeoPush(`oci:${layout}:single`, `docker://${ref('e2e/ctr-source', 'v1')}`);
    await skopeoPush(`oci:${layout}:multi`, `docker://${ref('e2e/ctr-source', 'multi')}`, ['--all']);
    containerd = await startContainerd();
  });

  after(async () => {
    await containerd?.stop();
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    removeDir(work);
  });

  it('pulls an image that skopeo pushed with ctr images pull --plain-http', { timeout }, async () => {
    const source = ref('e2e/ctr-source', 'v1');
    await containerd.ctr(['images', 'pull', '--plain-http', '--snapshotter', 'native', source]);
    const pulled = (await listImages()).find((image) => image.ref === source);
    assert.ok(pulled, `ctr lists ${source}:\n${JSON.stringify(await listImages())}`);
    assert.equal(pulled.digest, single.digest);
    assert.equal(pulled.type, single.mediaType);
    // containerd's content store holds the exact manifest bytes.
    const content = await containerd.ctr(['content', 'get', single.digest]);
    assert.deepEqual(Buffer.from(content.stdout), readBlob(layout, single.digest));
  });

  it('tags it and pushes it to another repository with ctr images push --plain-http', { timeout }, async () => {
    const target = ref('e2e/ctr-target', 'copied');
    await containerd.ctr(['images', 'tag', ref('e2e/ctr-source', 'v1'), target]);
    await containerd.ctr(['images', 'push', '--plain-http', target]);
    const stored = await getManifest(berth.url, 'e2e/ctr-target', 'copied');
    assert.equal(stored.status, 200);
    assert.equal(stored.digest, single.digest, 'the pushed manifest has the digest of the one pulled');
    assert.equal(stored.digestHeader, single.digest);
    await assertBlobsIn('e2e/ctr-target', single);
  });

  it('pulls a multi-arch index with all platforms and pushes it on, index digest unchanged', { timeout }, async () => {
    const source = ref('e2e/ctr-source', 'multi');
    await containerd.ctr(['images', 'pull', '--plain-http', '--snapshotter', 'native', '--all-platforms', source]);
    const pulled = (await listImages()).find((image) => image.ref === source);
    assert.equal(pulled?.digest, index.digest);
    assert.equal(pulled?.type, ociIndexType);

    const target = ref('e2e/ctr-target', 'multi');
    await containerd.ctr(['images', 'tag', source, target]);
    await containerd.ctr(['images', 'push', '--plain-http', target]);
    const stored = await getManifest(berth.url, 'e2e/ctr-target', 'multi');
    assert.equal(stored.status, 200);
    assert.equal(stored.digest, index.digest);
    assert.equal(stored.contentType, ociIndexType);
    await assertBlobsIn('e2e/ctr-target', index);
  });
});
