import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import {
  addIndexToLayout, buildUmociImage, dockerListType, dockerManifestType, ociIndexType, parseJson, type Descriptor,
} from '../support/clients/oci-layout.js';
import { getManifest, putManifest } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir, run } from '../support/clients/run.js';
import { skopeoPush } from '../support/clients/skopeo.js';
import { dockerPath, writeEmptyDockerConfig } from '../support/clients/tools.js';

const timeout = 120_000;

interface ListJson {
  readonly mediaType: string;
  readonly manifests: Descriptor[];
}

/** One entry of `docker manifest inspect -v` on a list. */
interface VerboseEntry {
  readonly Ref: string;
  readonly Descriptor: Descriptor;
  readonly SchemaV2Manifest: unknown;
}

/*
 * `docker manifest inspect` needs no daemon. Debian's docker CLI (20.10) sends an Accept header of Docker v2s2,
 * Docker manifest lists and OCI indexes only, never the OCI image manifest type, and registries (Distribution 2.8 as
 * much as Berth) answer an OCI image manifest it asks for with MANIFEST_UNKNOWN. So the images it inspects here are
 * Docker v2s2 (skopeo converts the umoci-built ones with --format v2s2), listed by a Docker manifest list and by an
 * OCI index.
 */
describe('docker CLI (docker manifest inspect) against a real Berth process', { timeout }, () => {
  let berth: BerthProcess;
  let work: string;
  let dockerConfig: string;
  let imageDigest: string;
  let listDigest: string;
  let ociIndexDigest: string;
  const repo = 'e2e/docker';
  const ref = (reference: string): string => `${berth.hostPort}/${repo}${reference}`;
  const inspect = async (reference: string, verbose = false): Promise<unknown> => {
    const args = ['manifest', 'inspect', '--insecure', ...(verbose ? ['--verbose'] : []), ref(reference)];
    return JSON.parse((await run(dockerPath(), args, { env: { DOCKER_CONFIG: dockerConfig } })).stdout);
  };

  before(async () => {
    berth = await startBerthProcess();
    work = makeTempDir('docker');
    dockerConfig = writeEmptyDockerConfig(work);
    const layout = join(work, 'layout');
    await buildUmociImage(layout, 'single', { files: { 'hello.txt': 'hello, docker\n' }, architecture: 'amd64', os: 'linux' });
    const amd64 = await buildUmociImage(layout, 'amd64', { files: { 'arch.txt': 'amd64\n' }, architecture: 'amd64', os: 'linux' });
    const arm64 = await buildUmociImage(layout, 'arm64', { files: { 'arch.txt': 'arm64\n' }, architecture: 'arm64', os: 'linux' });
    addIndexToLayout(layout, 'multi', [
      { ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
      { ...arm64, platform: { architecture: 'arm64', os: 'linux' } },
    ]);

    const digestFile = join(work, 'digest');
    await skopeoPush(`oci:${layout}:single`, `docker://${ref(':image')}`, ['--format', 'v2s2', '--digestfile', digestFile]);
    imageDigest = readFileSync(digestFile, 'utf8').trim();
    await skopeoPush(`oci:${layout}:multi`, `docker://${ref(':list')}`, ['--all', '--format', 'v2s2', '--digestfile', digestFile]);
    listDigest = readFileSync(digestFile, 'utf8').trim();

    // The same children under an OCI image index, pushed by HTTP.
    const list = await getManifest(berth.url, repo, 'list');
    const index = Buffer.from(JSON.stringify({ ...parseJson<ListJson>(list.bytes), mediaType: ociIndexType }));
    const put = await putManifest(berth.url, repo, 'oci-index', index, ociIndexType);
    assert.equal(put.status, 201, put.body);
    ociIndexDigest = put.digest!;
  });

  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    removeDir(work);
  });

  it('inspects a Docker v2s2 image without a daemon', { timeout }, async () => {
    const stored = await getManifest(berth.url, repo, 'image');
    assert.equal(stored.digest, imageDigest);
    assert.equal(stored.contentType, dockerManifestType);
    assert.deepEqual(await inspect(':image'), JSON.parse(stored.bytes.toString()));
    assert.deepEqual(await inspect(`@${imageDigest}`), JSON.parse(stored.bytes.toString()), 'by digest too');
  });

  it('inspects a multi-arch Docker manifest list, with each platform\'s manifest', { timeout }, async () => {
    const stored = await getManifest(berth.url, repo, 'list');
    assert.equal(stored.digest, listDigest);
    assert.equal(stored.contentType, dockerListType);
    const list = parseJson<ListJson>(stored.bytes);
    assert.deepEqual(await inspect(':list'), list);
    await assertVerboseMatches(':list', list);
  });

  it('inspects a multi-arch OCI image index, with each platform\'s manifest', { timeout }, async () => {
    const stored = await getManifest(berth.url, repo, 'oci-index');
    assert.equal(stored.digest, ociIndexDigest);
    assert.equal(stored.contentType, ociIndexType);
    const index = parseJson<ListJson>(stored.bytes);
    // The CLI prints an index in its own list type; the entries are what Berth holds.
    const shown = await inspect(':oci-index') as ListJson;
    assert.deepEqual(shown.manifests, index.manifests);
    await assertVerboseMatches(':oci-index', index);
  });

  async function assertVerboseMatches(reference: string, list: ListJson): Promise<void> {
    const entries = await inspect(reference, true) as VerboseEntry[];
    assert.deepEqual(entries.map((entry) => entry.Descriptor.digest), list.manifests.map((child) => child.digest));
    assert.deepEqual(entries.map((entry) => entry.Descriptor.platform), list.manifests.map((child) => child.platform));
    for (const entry of entries) {
      const child = await getManifest(berth.url, repo, entry.Descriptor.digest);
      assert.equal(child.status, 200);
      assert.deepEqual(entry.SchemaV2Manifest, JSON.parse(child.bytes.toString()), `the manifest of ${entry.Descriptor.digest}`);
    }
  }
});
