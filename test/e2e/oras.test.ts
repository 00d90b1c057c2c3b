import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { ociManifestType, parseJson } from '../support/clients/oci-layout.js';
import { getManifest } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir, run, sha256Digest, type RunResult } from '../support/clients/run.js';
import { orasPath } from '../support/clients/tools.js';

const timeout = 120_000;
const artifactType = 'application/vnd.berth.e2e.bundle.v1';
const sbomType = 'application/spdx+json';

interface PushedDescriptor {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType?: string;
}

interface Discovered {
  readonly manifests: { readonly digest: string; readonly artifactType?: string; readonly mediaType: string }[] | null;
}

describe('oras against a real Berth process', { timeout }, () => {
  let berth: BerthProcess;
  let work: string;
  let source: string;
  let subject: PushedDescriptor;
  let referrer: PushedDescriptor;
  const files = {
    'config.json': '{"name":"berth-e2e","version":1}\n',
    'notes.txt': 'an artifact that is not a container image\n',
  };
  const sbom = JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'berth-e2e', packages: [] });
  const target = (reference = ':v1'): string => `${berth.hostPort}/e2e/oras${reference}`;
  // oras reads credentials from a docker config; an empty one keeps the user's out of the test.
  const oras = (args: readonly string[]): Promise<RunResult> =>
    run(orasPath(), args, { cwd: source, env: { DOCKER_CONFIG: work } });
  const discover = async (extra: readonly string[]): Promise<Discovered> =>
    parseJson<Discovered>((await oras(['discover', '--plain-http', '--format', 'json', ...extra, target()])).stdout);

  before(async () => {
    berth = await startBerthProcess();
    work = makeTempDir('oras');
    writeFileSync(join(work, 'config.json'), '{}\n');
    source = join(work, 'source');
    mkdirSync(source);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(source, name), content);
    writeFileSync(join(source, 'sbom.spdx.json'), sbom);
  });

  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    removeDir(work);
  });

  it('pushes an artifact with --artifact-type', { timeout }, async () => {
    const output = await oras(['push', '--plain-http', '--format', 'json', '--artifact-type', artifactType, target(),
      'config.json:application/json', 'notes.txt:text/plain']);
    subject = parseJson<PushedDescriptor>(output.stdout);
    assert.equal(subject.artifactType, artifactType);

    const stored = await getManifest(berth.url, 'e2e/oras', 'v1');
    assert.equal(stored.status, 200);
    assert.equal(stored.digest, subject.digest);
    assert.equal(stored.contentType, ociManifestType);
    const manifest = parseJson<{ artifactType: string; layers: { digest: string; mediaType: string }[] }>(stored.bytes);
    assert.equal(manifest.artifactType, artifactType);
    assert.deepEqual(manifest.layers.map((layer) => [layer.mediaType, layer.digest]), [
      ['application/json', sha256Digest(files['config.json'])],
      ['text/plain', sha256Digest(files['notes.txt'])],
    ]);
  });

  it('fetches the manifest with oras manifest fetch, byte for byte', { timeout }, async () => {
    const fetched = await oras(['manifest', 'fetch', '--plain-http', target()]);
    const stored = await getManifest(berth.url, 'e2e/oras', 'v1');
    assert.deepEqual(Buffer.from(fetched.stdout), stored.bytes);
    const descriptor = parseJson<PushedDescriptor>((await oras(['manifest', 'fetch', '--plain-http', '--descriptor', target()])).stdout);
    assert.equal(descriptor.digest, subject.digest);
    assert.equal(descriptor.size, stored.bytes.length);
    assert.equal(descriptor.mediaType, ociManifestType);
  });

  it('attaches an SBOM-like referrer with oras attach', { timeout }, async () => {
    const output = await oras(['attach', '--plain-http', '--format', 'json', '--artifact-type', sbomType, target(),
      `sbom.spdx.json:${sbomType}`]);
    referrer = parseJson<PushedDescriptor>(output.stdout);
    assert.equal(referrer.artifactType, sbomType);
    const stored = await getManifest(berth.url, 'e2e/oras', referrer.digest);
    assert.equal(stored.status, 200);
    const manifest = parseJson<{ subject: { digest: string } }>(stored.bytes);
    assert.equal(manifest.subject.digest, subject.digest, 'the referrer names the artifact as its subject');
  });

  it('lists the referrer with oras discover', { timeout }, async () => {
    const found = await discover([]);
    assert.deepEqual(found.manifests?.map((entry) => [entry.digest, entry.artifactType]), [[referrer.digest, sbomType]],
      `oras discover lists the attached referrer: ${JSON.stringify(found)}`);
  });

  it('lists the referrer through the referrers API when oras is told to use it', { timeout }, async () => {
    const found = await discover(['--distribution-spec', 'v1.1-referrers-api']);
    assert.deepEqual(found.manifests?.map((entry) => entry.digest), [referrer.digest]);
  });

  it('filters oras discover by --artifact-type', { timeout }, async () => {
    const matching = await discover(['--artifact-type', sbomType]);
    assert.deepEqual(matching.manifests?.map((entry) => entry.digest), [referrer.digest],
      `--artifact-type ${sbomType} keeps the referrer: ${JSON.stringify(matching)}`);
    const other = await discover(['--artifact-type', 'application/vnd.example.signature.v1']);
    assert.deepEqual(other.manifests ?? [], [], 'another artifact type lists nothing');
  });

  it('pulls the artifact and the referrer back byte-identical with oras pull', { timeout }, async () => {
    const out = join(work, 'pulled');
    await oras(['pull', '--plain-http', '--output', out, target()]);
    for (const [name, content] of Object.entries(files)) {
      assert.equal(readFileSync(join(out, name), 'utf8'), content, `${name} comes back as pushed`);
    }
    const outSbom = join(work, 'pulled-sbom');
    await oras(['pull', '--plain-http', '--output', outSbom, target(`@${referrer.digest}`)]);
    assert.equal(readFileSync(join(outSbom, 'sbom.spdx.json'), 'utf8'), sbom);
  });
});
