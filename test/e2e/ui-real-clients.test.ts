/**
 * The artifact page of the web UI over what real clients pushed, in a real Chromium: a multi-arch index built and
 * pushed by buildah (each platform with its own layer and label), signed by cosign and given an SBOM by oras attach.
 * The API's answer is checked too, so a UI bug and a registry bug are told apart.
 */
import assert from 'node:assert/strict';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { basic } from '../support/basic-auth.js';
import { expectStatus } from '../support/api-client.js';
import { buildahStorageFlags } from '../support/clients/containers-storage.js';
import { parseJson } from '../support/clients/oci-layout.js';
import { makeTempDir, removeDir, run, sha256Digest, type RunResult } from '../support/clients/run.js';
import { orasPath, repoRoot, tool } from '../support/clients/tools.js';
import { adminPassword, launchBrowser, openPage, signIn, startUiBerth, type BrowserPage, type UiBerth } from '../browser/ui-harness.js';

const timeout = 180_000;
const repository = 'team/built';
const tag = '1.0.0';
const sbomType = 'application/spdx+json';
const platforms = [
  { architecture: 'amd64', label: 'amd64-from-buildah', content: 'built for amd64\n' },
  { architecture: 'arm64', label: 'arm64-from-buildah', content: `built for arm64, with a longer file: ${'x'.repeat(3000)}\n` },
] as const;

/**
 * cosign from Debian's trixie suite, unpacked into .test-tools/root by scripts/install-test-deps.sh (bookworm has no
 * cosign). Undefined when it is absent, so the signing steps are skipped with that reason, never silently.
 */
function cosignPath(): string | undefined {
  const unpacked = join(repoRoot, '.test-tools', 'root', 'usr', 'bin', 'cosign');
  try {
    accessSync(unpacked, constants.X_OK);
    return unpacked;
  } catch {
    return undefined;
  }
}
const cosign = cosignPath();
const cosignMissing = cosign === undefined
  ? 'cosign is not in .test-tools/root/usr/bin: run `bash scripts/install-test-deps.sh` to fetch it from Debian trixie'
  : false;

interface ApiPlatform {
  digest: string;
  os: string;
  architecture: string;
  config: { labels: Record<string, string> } | null;
  layers: { digest: string; mediaType: string; size: number }[];
}
interface ApiReferrer {
  digest: string;
  artifactType: string | null;
  mediaType: string;
  group: string;
  tag: string | null;
}
interface ApiArtifact {
  digest: string;
  mediaType: string;
  platforms: ApiPlatform[];
  referrers: ApiReferrer[];
}

describe('what buildah, cosign and oras pushed, in the web UI', { timeout }, () => {
  let berth: UiBerth;
  let browser: Browser;
  let session: BrowserPage;
  let page: Page;
  let work: string;
  let host: string;
  let buildahFlags: string[];
  let indexDigest: string;
  let signatureDigest: string | undefined;
  let sbomDigest: string;
  // cosign and oras read credentials from a docker config; this one holds the admin's for this Berth only.
  const clientEnv = (): Record<string, string> => ({ DOCKER_CONFIG: work, HOME: work });
  const buildah = (args: readonly string[]): Promise<RunResult> => run(tool('buildah'), [...buildahFlags, ...args]);
  const local = (name: string): string => `localhost/berth-e2e/ui-real-clients:${name}`;
  const artifact = async (reference: string): Promise<ApiArtifact> => {
    const query = `repository=${repository}&reference=${encodeURIComponent(reference)}`;
    return expectStatus(await berth.admin.get(`/api/v1/artifact?${query}`), 200).body as ApiArtifact;
  };

  before(async () => {
    [berth, browser] = await Promise.all([startUiBerth(), launchBrowser()]);
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'team', public: false }), 201);
    host = new URL(berth.url).host;
    work = makeTempDir('ui-real-clients');
    buildahFlags = buildahStorageFlags(join(work, 'storage'));
    const auth = basic('admin', adminPassword).slice('Basic '.length);
    writeFileSync(join(work, 'config.json'), `${JSON.stringify({ auths: { [host]: { auth } } })}\n`);
    session = await openPage(browser);
    page = session.page;
    await signIn(page, berth.url, 'admin', adminPassword);
  });
  after(async () => {
    await browser?.close();
    await berth?.close();
    removeDir(work);
  });

  it('builds two images from scratch with buildah and pushes them as one multi-arch index', { timeout }, async () => {
    await buildah(['manifest', 'create', local('list')]);
    for (const { architecture, label, content } of platforms) {
      const container = (await buildah(['from', 'scratch'])).stdout.trim();
      const file = join(work, `${architecture}.txt`);
      writeFileSync(file, content);
      await buildah(['copy', container, file, '/arch.txt']);
      await buildah(['config', '--os', 'linux', '--arch', architecture, '--cmd', '/arch.txt', '--label', `org.example.arch=${label}`,
        '--label', 'org.example.built-by=buildah', container]);
      await buildah(['commit', '--quiet', '--format', 'oci', container, local(architecture)]);
      await buildah(['rm', container]);
      await buildah(['manifest', 'add', local('list'), local(architecture)]);
    }
    const digestFile = join(work, 'index.digest');
    await buildah(['manifest', 'push', '--all', '--quiet', '--tls-verify=false', '--creds', `admin:${adminPassword}`, '--digestfile', digestFile,
      local('list'), `docker://${host}/${repository}:${tag}`]);
    indexDigest = readFileSync(digestFile, 'utf8').trim();
    assert.match(indexDigest, /^sha256:[0-9a-f]{64}$/);
  });

  it('signs the index with cosign, offline, with a key pair and no transparency log', { timeout, skip: cosignMissing }, async () => {
    const env = { ...clientEnv(), COSIGN_PASSWORD: 'berth-e2e-cosign' };
    await run(cosign!, ['generate-key-pair'], { cwd: work, env });
    const reference = `${host}/${repository}@${indexDigest}`;
    const plainHttp = ['--allow-http-registry', '--allow-insecure-registry'];
    await run(cosign!, ['sign', '--key', 'cosign.key', '--tlog-upload=false', ...plainHttp, '--yes', reference], { cwd: work, env });
    // cosign itself finds and checks what it stored: the signature is real, not a look-alike.
    await run(cosign!, ['verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', ...plainHttp, reference], { cwd: work, env });
  });

  it('attaches an SBOM to the index with oras attach', { timeout }, async () => {
    writeFileSync(join(work, 'sbom.spdx.json'), JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'ui-real-clients', packages: [] }));
    const output = await run(orasPath(), ['attach', '--plain-http', '--format', 'json', '--artifact-type', sbomType,
      `${host}/${repository}:${tag}`, `sbom.spdx.json:${sbomType}`], { cwd: work, env: clientEnv() });
    const attached = parseJson<{ digest: string; artifactType: string }>(output.stdout);
    assert.equal(attached.artifactType, sbomType);
    sbomDigest = attached.digest;
  });

  it('describes the index in GET /api/v1/artifact: both platforms with their layer and label, and the referrers grouped', { timeout }, async (t) => {
    const detail = await artifact(tag);
    assert.equal(detail.digest, indexDigest);
    assert.equal(detail.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(detail.platforms.map((platform) => `${platform.os}/${platform.architecture}`).sort(), ['linux/amd64', 'linux/arm64']);
    for (const { architecture, label } of platforms) {
      const platform = detail.platforms.find((entry) => entry.architecture === architecture)!;
      assert.equal(platform.config?.labels['org.example.arch'], label, `${architecture}: the label buildah wrote`);
      assert.equal(platform.config?.labels['org.example.built-by'], 'buildah');
      assert.equal(platform.layers.length, 1, `${architecture}: one layer from one buildah copy`);
      assert.ok(platform.layers[0]!.size > 0);
    }
    const [amd64, arm64] = platforms.map(({ architecture }) => detail.platforms.find((entry) => entry.architecture === architecture)!);
    assert.notEqual(amd64!.layers[0]!.digest, arm64!.layers[0]!.digest, 'each platform has its own layer');

    const sbom = detail.referrers.find((referrer) => referrer.digest === sbomDigest);
    assert.ok(sbom, `the oras SBOM is a referrer: ${JSON.stringify(detail.referrers)}`);
    assert.equal(sbom.group, 'sbom');
    assert.equal(sbom.artifactType, sbomType);
    if (cosign === undefined) {
      t.diagnostic(`the cosign signature is not checked: ${cosignMissing}`);
      return;
    }
    const signature = detail.referrers.find((referrer) => referrer.group === 'signature');
    assert.ok(signature, `the cosign signature is a referrer: ${JSON.stringify(detail.referrers)}`);
    signatureDigest = signature.digest;
    const stored = await fetch(`${berth.url}/v2/${repository}/manifests/${signature.digest}`, {
      headers: { authorization: basic('admin', adminPassword), accept: signature.mediaType },
    });
    assert.equal(stored.status, 200);
    const bytes = Buffer.from(await stored.arrayBuffer());
    assert.equal(sha256Digest(bytes), signature.digest);
    const manifest = JSON.parse(bytes.toString('utf8')) as { layers: { mediaType: string; annotations?: Record<string, string> }[] };
    assert.equal(manifest.layers[0]?.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json', 'a cosign simple-signing layer');
    assert.ok(manifest.layers[0]?.annotations?.['dev.cosignproject.cosign/signature'], 'with the signature annotation');
  });

  it('opens the index on its artifact page and reads each platform\'s layer and label', { timeout }, async () => {
    const detail = await artifact(tag);
    await page.goto(`${berth.url}/ui/artifact/${repository}:${tag}`);
    await page.getByRole('heading', { name: 'Platforms (2)' }).waitFor();
    const chips = page.getByRole('list', { name: 'Platforms of this index' });
    assert.deepEqual((await chips.getByRole('button').allTextContents()).map((text) => text.trim()).sort(), ['linux/amd64', 'linux/arm64']);
    for (const { architecture, label } of platforms) {
      const platform = detail.platforms.find((entry) => entry.architecture === architecture)!;
      await chips.getByRole('button', { name: `linux/${architecture}` }).click();
      const shown = page.getByRole('region', { name: `Platform linux/${architecture}` });
      await shown.getByRole('table', { name: 'Labels' }).getByRole('cell', { name: label, exact: true }).waitFor();
      await shown.getByRole('table', { name: 'Labels' }).getByRole('rowheader', { name: 'org.example.arch' }).waitFor();
      const layers = shown.getByRole('table', { name: 'Layers' });
      assert.equal(await layers.locator('tbody tr').count(), 1, `${architecture}: one layer`);
      await layers.locator(`code[title="${platform.layers[0]!.digest}"]`).waitFor();
      await layers.getByRole('cell', { name: platform.layers[0]!.mediaType }).waitFor();
    }
    assert.deepEqual(session.errors, []);
  });

  it('lists the oras SBOM among the SBOMs', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/${repository}:${tag}`);
    const sboms = page.getByRole('region', { name: 'SBOMs' });
    await sboms.getByText(sbomType).waitFor();
    await sboms.getByRole('link', { name: sbomDigest.slice(0, 'sha256:'.length + 12) }).waitFor();
    assert.deepEqual(session.errors, []);
  });

  it('lists the cosign signature among the signatures', { timeout, skip: cosignMissing }, async () => {
    assert.ok(signatureDigest, 'the API step found the signature');
    await page.goto(`${berth.url}/ui/artifact/${repository}:${tag}`);
    const signatures = page.getByRole('region', { name: 'Signatures' });
    await signatures.getByRole('heading', { name: 'Signatures (1)' }).waitFor();
    await signatures.getByRole('link', { name: signatureDigest.slice(0, 'sha256:'.length + 12) }).waitFor();
    assert.deepEqual(session.errors, []);
  });
});
