import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import {
  buildUmociImage, descriptorForTag, ociManifestType, parseJson, readBlob, reachableBlobs, type Descriptor,
} from '../support/clients/oci-layout.js';
import { getManifest, listTags } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir } from '../support/clients/run.js';
import { skopeo, skopeoInspectRaw, skopeoPull, skopeoPush } from '../support/clients/skopeo.js';

const timeout = 120_000;

describe('skopeo and umoci against a real Berth process', { timeout }, () => {
  let berth: BerthProcess;
  let work: string;
  let layout: string;
  let first: Descriptor;
  let second: Descriptor;
  const repo = 'e2e/skopeo';
  const image = (reference: string): string => `docker://${berth.hostPort}/${repo}${reference.startsWith('@') ? '' : ':'}${reference}`;

  before(async () => {
    berth = await startBerthProcess();
    work = makeTempDir('skopeo');
    layout = join(work, 'source');
    first = await buildUmociImage(layout, 'first', {
      files: { 'hello.txt': 'hello from umoci\n', 'etc/berth/motd': 'an image built for Berth\'s end-to-end tests\n' },
      cmd: '/hello.txt',
    });
    second = await buildUmociImage(layout, 'second', { files: { 'second.txt': 'a different image\n' } });
  });

  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    removeDir(work);
  });

  it('pushes an OCI layout built with umoci, under two tags, and another image under a third', { timeout }, async () => {
    await skopeoPush(`oci:${layout}:first`, image('v1'));
    await skopeoPush(`oci:${layout}:first`, image('v1-alias'));
    await skopeoPush(`oci:${layout}:second`, image('v2'));

    for (const [tag, descriptor] of [['v1', first], ['v1-alias', first], ['v2', second]] as const) {
      const stored = await getManifest(berth.url, repo, tag);
      assert.equal(stored.status, 200, `GET manifest ${tag}`);
      assert.equal(stored.digest, descriptor.digest, `the manifest under ${tag} is the one umoci wrote`);
      assert.equal(stored.digestHeader, descriptor.digest);
      assert.equal(stored.contentType, ociManifestType);
      assert.deepEqual(stored.bytes, readBlob(layout, descriptor.digest));
    }
    assert.deepEqual((await listTags(berth.url, repo)).sort(), ['v1', 'v1-alias', 'v2']);
  });

  it('answers skopeo inspect with the digest, tags, layers and config of the pushed image', { timeout }, async () => {
    const inspected = parseJson<{ Digest: string; RepoTags: string[]; Layers: string[]; Architecture: string; Os: string }>(
      (await skopeo(['inspect', '--tls-verify=false', image('v1')])).stdout);
    const manifest = parseJson(readBlob(layout, first.digest));
    const config = parseJson<{ architecture: string; os: string }>(readBlob(layout, manifest.config!.digest));
    assert.equal(inspected.Digest, first.digest);
    assert.deepEqual([...inspected.RepoTags].sort(), ['v1', 'v1-alias', 'v2']);
    assert.deepEqual(inspected.Layers, manifest.layers!.map((layer) => layer.digest));
    assert.equal(inspected.Architecture, config.architecture);
    assert.equal(inspected.Os, config.os);

    assert.deepEqual(await skopeoInspectRaw(image('v1')), readBlob(layout, first.digest), 'inspect --raw gives the exact manifest bytes');
    const rawConfig = await skopeo(['inspect', '--config', '--raw', '--tls-verify=false', image('v1')]);
    assert.deepEqual(Buffer.from(rawConfig.stdout), readBlob(layout, manifest.config!.digest), 'inspect --config --raw gives the exact config bytes');
  });

  it('copies the image back out to a new OCI layout byte for byte', { timeout }, async () => {
    const out = join(work, 'pulled');
    await skopeoPull(image('v1'), `oci:${out}:v1`);
    const pulled = descriptorForTag(out, 'v1');
    assert.equal(pulled.digest, first.digest);
    assert.equal(pulled.size, first.size);
    const expected = reachableBlobs(layout, first.digest);
    const actual = reachableBlobs(out, pulled.digest);
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), 'the same manifest, config and layers');
    for (const [digest, bytes] of expected) assert.deepEqual(actual.get(digest), bytes, `blob ${digest} is byte-identical`);

    // By digest as well as by tag.
    const byDigest = join(work, 'pulled-by-digest');
    await skopeoPull(image(`@${first.digest}`), `oci:${byDigest}:v1`);
    assert.equal(descriptorForTag(byDigest, 'v1').digest, first.digest);
  });

  it('deletes with skopeo delete: the tag is gone, another tag still pulls', { timeout }, async () => {
    await skopeo(['delete', '--tls-verify=false', image('v1')]);

    const gone = await getManifest(berth.url, repo, 'v1');
    assert.equal(gone.status, 404, `GET v1 after delete: ${gone.bytes.toString()}`);
    assert.equal(parseJson<{ errors: { code: string }[] }>(gone.bytes).errors[0]?.code, 'MANIFEST_UNKNOWN');
    // skopeo deletes by digest: the manifest goes, and with it every tag that named it.
    assert.equal((await getManifest(berth.url, repo, first.digest)).status, 404, 'the manifest is gone by digest');
    assert.equal((await getManifest(berth.url, repo, 'v1-alias')).status, 404, 'the other tag of the same manifest is gone');
    const inspectGone = await skopeo(['inspect', '--raw', '--tls-verify=false', image('v1')]).then(
      () => undefined, (error: Error) => error.message);
    assert.match(inspectGone ?? 'skopeo inspect succeeded', /manifest unknown/i, 'skopeo inspect of the deleted tag fails');
    assert.deepEqual(await listTags(berth.url, repo), ['v2']);

    const out = join(work, 'after-delete');
    await skopeoPull(image('v2'), `oci:${out}:v2`);
    const pulled = descriptorForTag(out, 'v2');
    assert.equal(pulled.digest, second.digest);
    const expected = reachableBlobs(layout, second.digest);
    const actual = reachableBlobs(out, pulled.digest);
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [digest, bytes] of expected) assert.deepEqual(actual.get(digest), bytes, `blob ${digest} is byte-identical`);
  });
});
