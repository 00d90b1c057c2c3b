/*
 * The SBOM Berth attaches to a scanned image, as oras sees it: a real `berth serve` scans an image made from the real
 * Debian 12.15 root of the fixtures (advisories from a feed folder), attaches its inventory as a CycloneDX referrer,
 * and `oras discover` lists it under the image while `oras pull` of it writes the SBOM JSON, byte for byte.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../support/api-client.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { parseJson } from '../support/clients/oci-layout.js';
import { makeTempDir, removeDir, run, sha256Digest, type RunResult } from '../support/clients/run.js';
import { orasPath } from '../support/clients/tools.js';
import { schemaErrors } from '../support/sbom-schemas.js';
import { feedFolder, pushTreeImage, reportWhen, scanFixtures } from '../support/scanning.js';

const timeout = 180_000;
const cyclonedx = 'application/vnd.cyclonedx+json';
const debianRoot = join(scanFixtures, 'inventory/debian/bookworm-12.15-minbase');

interface Discovered {
  readonly manifests: { readonly digest: string; readonly artifactType?: string; readonly annotations?: Record<string, string> }[] | null;
}

describe('oras and the SBOM Berth attaches', { timeout }, () => {
  let feed: ReturnType<typeof feedFolder>;
  let berth: BerthProcess;
  let work: string;
  let image: string;
  let sbom: string;
  const target = (reference: string): string => `${berth.hostPort}/e2e/debian${reference}`;
  // oras reads credentials from a docker config; an empty one keeps the user's out of the test.
  const oras = (args: readonly string[]): Promise<RunResult> => run(orasPath(), args, { cwd: work, env: { DOCKER_CONFIG: work } });

  before(async () => {
    feed = feedFolder({ Debian: 'debian' });
    berth = await startBerthProcess({ env: { BERTH_SCAN_FEED: feed.path, BERTH_SCAN_SBOM_ATTACH: 'true', BERTH_SCAN_SBOM_FORMAT: 'cyclonedx' } });
    work = makeTempDir('oras-sbom');
    writeFileSync(join(work, 'config.json'), '{}\n');
    image = (await pushTreeImage({ url: berth.url }, 'e2e/debian', '12', [debianRoot])).digest;
    const report = await reportWhen(new ApiClient(berth.url, undefined), 'e2e/debian', '12', (seen) => seen.platforms[0]?.sbom !== null && seen.platforms[0]?.sbom !== undefined);
    sbom = report.platforms[0]!.sbom!.digest;
  });
  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    if (work) removeDir(work);
    feed?.remove();
  });

  it('oras discover lists the SBOM under the image', { timeout }, async () => {
    for (const extra of [[], ['--distribution-spec', 'v1.1-referrers-api'], ['--artifact-type', cyclonedx]]) {
      const found = parseJson<Discovered>((await oras(['discover', '--plain-http', '--format', 'json', ...extra, target(':12')])).stdout);
      assert.deepEqual(found.manifests?.map((entry) => [entry.digest, entry.artifactType]), [[sbom, cyclonedx]], `oras discover ${extra.join(' ')}: ${JSON.stringify(found)}`);
      assert.equal(found.manifests?.[0]?.annotations?.['dev.berth.sbom.scanner'], 'berth');
    }
  });

  it('oras pull of the SBOM writes the CycloneDX JSON', { timeout }, async () => {
    const out = join(work, 'pulled');
    await oras(['pull', '--plain-http', '--output', out, target(`@${sbom}`)]);
    const bytes = readFileSync(join(out, 'sbom.cyclonedx.json'));
    const manifest = parseJson<{ layers: { digest: string }[]; subject: { digest: string } }>((await oras(['manifest', 'fetch', '--plain-http', target(`@${sbom}`)])).stdout);
    assert.equal(manifest.subject.digest, image);
    assert.equal(sha256Digest(bytes), manifest.layers[0]!.digest, 'the file is the layer, byte for byte');
    const document = JSON.parse(bytes.toString('utf8')) as { bomFormat: string; specVersion: string; metadata: { component: { version: string } } };
    assert.deepEqual(schemaErrors('bom-1.6.schema.json', document), []);
    assert.equal(document.bomFormat, 'CycloneDX');
    assert.equal(document.metadata.component.version, image);
  });
});
