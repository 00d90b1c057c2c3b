import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { podmanStorageFlags } from '../support/clients/containers-storage.js';
import { dockerManifestType, ociManifestType, parseJson } from '../support/clients/oci-layout.js';
import { getManifest } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir, run, runCommand, type RunResult } from '../support/clients/run.js';
import { tool } from '../support/clients/tools.js';

const timeout = 120_000;

interface PodmanImage {
  readonly Id: string;
  readonly Digest: string;
  readonly RepoDigests: string[] | null;
  readonly RepoTags: string[] | null;
  readonly ManifestType?: string;
}

describe('podman against a real Berth process', { timeout }, () => {
  let berth: BerthProcess;
  let work: string;
  let flags: string[];
  let builtId: string;
  let pushedDigest: string;
  let pushedDockerDigest: string;
  const local = 'localhost/berth-e2e/podman:1';
  const remote = (tag: string): string => `${berth.hostPort}/e2e/podman:${tag}`;
  const podman = (args: readonly string[]): Promise<RunResult> => run(tool('podman'), [...flags, ...args]);
  const inspect = async (name: string): Promise<PodmanImage> =>
    parseJson<PodmanImage[]>((await podman(['image', 'inspect', name])).stdout)[0]!;

  before(async () => {
    berth = await startBerthProcess();
    work = makeTempDir('podman');
    flags = podmanStorageFlags(join(work, 'storage'));
    const context = join(work, 'context');
    mkdirSync(context);
    writeFileSync(join(context, 'hello.txt'), 'hello from podman build\n');
    writeFileSync(join(context, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\nCMD ["/hello.txt"]\n');
  });

  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    removeDir(work);
  });

  it('builds a small image FROM scratch with podman build', { timeout }, async () => {
    await podman(['build', '--quiet', '--tag', local, join(work, 'context')]);
    builtId = (await inspect(local)).Id;
    assert.match(builtId, /^[0-9a-f]{64}$/);
  });

  it('pushes it with podman push --tls-verify=false', { timeout }, async () => {
    const digestFile = join(work, 'pushed.digest');
    await podman(['push', '--tls-verify=false', '--digestfile', digestFile, local, remote('1')]);
    pushedDigest = readFileSync(digestFile, 'utf8').trim();

    const stored = await getManifest(berth.url, 'e2e/podman', '1');
    assert.equal(stored.status, 200);
    assert.equal(stored.digest, pushedDigest, 'Berth holds the manifest podman says it pushed');
    assert.equal(stored.digestHeader, pushedDigest);
    const manifest = parseJson(stored.bytes);
    assert.equal(manifest.mediaType, ociManifestType);
    assert.equal(manifest.config?.digest, `sha256:${builtId}`, 'the config is the local image (its id is the config digest)');
  });

  it('pushes it again as Docker v2s2 with --format v2s2', { timeout }, async () => {
    const digestFile = join(work, 'pushed-docker.digest');
    await podman(['push', '--tls-verify=false', '--format', 'v2s2', '--digestfile', digestFile, local, remote('1-docker')]);
    pushedDockerDigest = readFileSync(digestFile, 'utf8').trim();
    const stored = await getManifest(berth.url, 'e2e/podman', '1-docker');
    assert.equal(stored.status, 200);
    assert.equal(stored.digest, pushedDockerDigest);
    assert.equal(stored.contentType, dockerManifestType);
    assert.equal(parseJson(stored.bytes).mediaType, dockerManifestType);
  });

  it('removes the image locally and pulls it back with the same id and digest', { timeout }, async () => {
    await podman(['rmi', '--force', local]);
    const missing = await runCommand(tool('podman'), [...flags, 'image', 'exists', local]);
    assert.equal(missing.code, 1, 'the local image is gone before the pull');
    assert.equal((await podman(['images', '--quiet'])).stdout.trim(), '', 'no image is left in the private store');

    await podman(['pull', '--quiet', '--tls-verify=false', remote('1')]);
    const pulled = await inspect(remote('1'));
    assert.equal(pulled.Id, builtId, 'the same image id (config digest) as built');
    assert.equal(pulled.Digest, pushedDigest, 'the same manifest digest as pushed');
    assert.ok(pulled.RepoDigests?.includes(`${berth.hostPort}/e2e/podman@${pushedDigest}`),
      `RepoDigests names Berth's digest: ${JSON.stringify(pulled.RepoDigests)}`);

    await podman(['pull', '--quiet', '--tls-verify=false', remote('1-docker')]);
    // The v2s2 push kept the config's bytes (only its media type changed), so it is the same local image, now also
    // known by the v2s2 manifest's digest.
    const pulledDocker = await inspect(remote('1-docker'));
    assert.equal(pulledDocker.Id, builtId);
    assert.ok(pulledDocker.RepoDigests?.includes(`${berth.hostPort}/e2e/podman@${pushedDockerDigest}`),
      `RepoDigests names the v2s2 manifest's digest: ${JSON.stringify(pulledDocker.RepoDigests)}`);
  });

  it('pulls by digest', { timeout }, async () => {
    const byDigest = `${berth.hostPort}/e2e/podman@${pushedDigest}`;
    await podman(['rmi', '--all', '--force']);
    await podman(['pull', '--quiet', '--tls-verify=false', byDigest]);
    assert.equal((await inspect(byDigest)).Id, builtId);
  });
});
