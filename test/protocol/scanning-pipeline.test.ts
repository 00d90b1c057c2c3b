/**
 * The scanner end to end in one Berth: an image made from a real Debian 12.15 root is pushed, scanned on push
 * through the job queue, the Debian advisories are read from a feed folder laid out as OSV's bucket (the first
 * scan of a Debian image asks for them), and the findings come out exactly as the shared fixtures expect.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { blobOf, finish, mediaTypes, pushBlob, putManifest } from '../support/image-builder.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

const fixtures = new URL('../fixtures/scanning/', import.meta.url).pathname;
const debianRoot = join(fixtures, 'inventory/debian/bookworm-12.15-minbase');
const expected = JSON.parse(readFileSync(join(fixtures, 'osv/expected/debian-bookworm-12.15-minbase.json'), 'utf8')) as {
  findings: { id: string; binary: string; installed: string; fixed: string | null }[];
};

interface Report {
  status: string;
  summary: { total: number; fixable: number };
  platforms: { status: string; packages: number; distro?: { ecosystem?: string } }[];
  vulnerabilities: { id: string; package: string; version: string; fixedVersion: string | null }[];
}

describe('scanning an image on push', { timeout: 120_000 }, () => {
  let feed: string;
  let berth: InProcessBerth;

  before(async () => {
    // The feed: Debian/all.zip zipped from the committed records, as OSV publishes them.
    feed = mkdtempSync(join(tmpdir(), 'berth-feed-'));
    mkdirSync(join(feed, 'Debian'));
    const records = join(fixtures, 'osv/osv/debian');
    writeFileSync(join(feed, 'Debian', 'all.zip'), zipSync(Object.fromEntries(readdirSync(records).map((file) => [file, readFileSync(join(records, file))]))));
    berth = await startInProcess({ scanning: { feed: { location: feed } } });
  });
  after(async () => {
    await berth?.close();
    rmSync(feed, { recursive: true, force: true });
  });

  async function pushRoot(repository: string, tag: string, root: string): Promise<void> {
    const layer = blobOf(execFileSync('tar', ['-C', root, '-czf', '-', '.']), mediaTypes.ociLayer);
    const config = blobOf(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }), mediaTypes.ociConfig);
    const manifest = finish({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: config.descriptor, layers: [layer.descriptor] }, mediaTypes.ociManifest, [config, layer]);
    for (const blob of [config, layer]) await pushBlob(berth.url, repository, blob);
    assert.equal((await putManifest(berth.url, repository, tag, manifest)).status, 201);
  }

  async function reportWhen(repository: string, reference: string, done: (report: Report) => boolean): Promise<Report> {
    let report: Report | undefined;
    for (let attempt = 0; attempt < 200; attempt++) {
      const response = await fetch(`${berth.url}/api/v1/vulnerabilities?repository=${repository}&reference=${reference}`);
      assert.equal(response.status, 200);
      report = await response.json() as Report;
      if (done(report)) return report;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`the scan of ${repository}:${reference} did not finish: ${JSON.stringify(report)}`);
  }

  it('finds exactly the expected vulnerabilities of a real Debian 12.15 root', async () => {
    await pushRoot('team/debian', '12', debianRoot);
    const report = await reportWhen('team/debian', '12', (seen) => seen.status === 'done' && seen.vulnerabilities.length > 0);
    assert.equal(report.platforms[0]!.packages, 88);
    assert.equal(report.platforms[0]!.distro?.ecosystem, 'Debian:12');
    const found = report.vulnerabilities.map((vulnerability) => `${vulnerability.id} ${vulnerability.package} ${vulnerability.version} ${vulnerability.fixedVersion}`).sort();
    const wanted = expected.findings.map((finding) => `${finding.id} ${finding.binary} ${finding.installed} ${finding.fixed}`).sort();
    assert.deepEqual(found, wanted);
    assert.equal(report.summary.total, wanted.length);
    assert.equal(report.summary.fixable, wanted.length);
  });
});
