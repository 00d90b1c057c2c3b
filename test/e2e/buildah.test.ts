import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { buildahStorageFlags } from '../support/clients/containers-storage.js';
import { dockerManifestType, ociManifestType, parseJson } from '../support/clients/oci-layout.js';
import { getManifest } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir, run, sha256Digest, type RunResult } from '../support/clients/run.js';
import { skopeo, skopeoInspectRaw } from '../support/clients/skopeo.js';
import { tool } from '../support/clients/tools.js';

const timeout = 120_000;

const formats = [
  { format: 'oci', tag: 'oci', manifestType: ociManifestType, configType: 'application/vnd.oci.image.config.v1+json',
    layerType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
  { format: 'docker', tag: 'v2s2', manifestType: dockerManifestType, configType: 'application/vnd.docker.container.image.v1+json',
    layerType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' },
] as const;

describe('buildah against a real Berth process', { timeout }, () => {
  let berth: BerthProcess;
  let work: string;
  let flags: string[];
  const imageIds = new Map<string, string>();
  const pushedDigests = new Map<string, string>();
  const local = (tag: string): string => `localhost/berth-e2e/buildah:${tag}`;
  const remote = (tag: string): string => `${berth.hostPort}/e2e/buildah:${tag}`;
  const buildah = (args: readonly string[]): Promise<RunResult> => run(tool('buildah'), [...flags, ...args]);

  before(async () => {
    berth = await startBerthProcess();
    work = makeTempDir('buildah');
    flags = buildahStorageFlags(join(work, 'storage'));
  });

  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    removeDir(work);
  });

  it('builds from scratch and commits as OCI and as Docker v2s2', { timeout }, async () => {
    const container = (await buildah(['from', 'scratch'])).stdout.trim();
    const file = join(work, 'greeting.txt');
    writeFileSync(file, 'hello from buildah\n');
    await buildah(['copy', container, file, '/greeting.txt']);
    await buildah(['config', '--cmd', '/greeting.txt', '--label', 'org.example.built-by=berth-e2e', container]);
    for (const { format, tag } of formats) {
      const id = (await buildah(['commit', '--quiet', '--format', format, container, local(tag)])).stdout.trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      imageIds.set(tag, id);
    }
    await buildah(['rm', container]);
  });

  for (const { tag, manifestType, configType, layerType } of formats) {
    it(`pushes the ${tag} image with buildah push --tls-verify=false and stores it as ${manifestType}`, { timeout }, async () => {
      const digestFile = join(work, `${tag}.digest`);
      await buildah(['push', '--quiet', '--tls-verify=false', '--digestfile', digestFile, local(tag), `docker://${remote(tag)}`]);
      const pushed = readFileSync(digestFile, 'utf8').trim();
      pushedDigests.set(tag, pushed);

      const raw = await skopeoInspectRaw(`docker://${remote(tag)}`);
      assert.equal(sha256Digest(raw), pushed, 'skopeo inspect --raw gives the bytes buildah pushed');
      const manifest = parseJson(raw);
      assert.equal(manifest.mediaType, manifestType);
      assert.equal(manifest.config?.mediaType, configType);
      assert.equal(manifest.config?.digest, `sha256:${imageIds.get(tag)}`, 'the config is the committed image');
      assert.deepEqual(manifest.layers?.map((layer) => layer.mediaType), [layerType]);

      const stored = await getManifest(berth.url, 'e2e/buildah', tag);
      assert.equal(stored.contentType, manifestType, 'Berth answers with the stored media type');
      assert.equal(stored.digestHeader, pushed);
    });
  }

  it('describes both the same way in skopeo inspect', { timeout }, async () => {
    const inspect = async (tag: string) => parseJson<{ Layers: string[]; Labels: Record<string, string>; Digest: string }>(
      (await skopeo(['inspect', '--tls-verify=false', `docker://${remote(tag)}`])).stdout);
    const oci = await inspect('oci');
    const docker = await inspect('v2s2');
    assert.equal(oci.Digest, pushedDigests.get('oci'));
    assert.equal(docker.Digest, pushedDigests.get('v2s2'));
    assert.deepEqual(oci.Layers, docker.Layers, 'one layer blob, shared by both manifests');
    assert.equal(oci.Labels['org.example.built-by'], 'berth-e2e');
    assert.equal(docker.Labels['org.example.built-by'], 'berth-e2e');
  });

  it('pulls both back with buildah pull after removing them locally', { timeout }, async () => {
    await buildah(['rmi', '--all', '--force']);
    for (const { tag } of formats) {
      await buildah(['pull', '--quiet', '--tls-verify=false', `docker://${remote(tag)}`]);
      const inspected = parseJson<{ FromImageID: string; FromImageDigest: string }>(
        (await buildah(['inspect', '--type', 'image', remote(tag)])).stdout);
      assert.equal(inspected.FromImageID, imageIds.get(tag), `${tag}: the same image id as committed`);
      assert.equal(inspected.FromImageDigest, pushedDigests.get(tag), `${tag}: the same manifest digest as pushed`);
    }
  });
});
