/**
 * The scanner end to end in one Berth: an image made from a real Debian 12.15 root is pushed, scanned on push
 * through the job queue, the Debian advisories are read from a feed folder laid out as OSV's bucket (the first
 * scan of a Debian image asks for them), and the findings come out exactly as the shared fixtures expect.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../support/api-client.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { expectedFindings, feedFolder, findingLines, pushTreeImage, reportWhen, scanFixtures } from '../support/scanning.js';

const debianRoot = join(scanFixtures, 'inventory/debian/bookworm-12.15-minbase');
const expected = expectedFindings<{ findings: { id: string; binary: string; installed: string; fixed: string | null }[] }>('debian-bookworm-12.15-minbase');

describe('scanning an image on push', { timeout: 120_000 }, () => {
  let feed: ReturnType<typeof feedFolder>;
  let berth: InProcessBerth;
  let api: ApiClient;

  before(async () => {
    // The feed: Debian/all.zip zipped from the committed records, as OSV publishes them.
    feed = feedFolder({ Debian: 'debian' });
    berth = await startInProcess({ scanning: { feed: feed.path } });
    api = new ApiClient(berth.url, undefined);
  });
  after(async () => {
    await berth?.close();
    feed?.remove();
  });

  it('finds exactly the expected vulnerabilities of a real Debian 12.15 root', async () => {
    await pushTreeImage({ url: berth.url }, 'team/debian', '12', [debianRoot]);
    const report = await reportWhen(api, 'team/debian', '12', (seen) => seen.status === 'done' && seen.vulnerabilities.length > 0);
    assert.equal(report.platforms[0]!.packages, 88);
    assert.equal(report.platforms[0]!.distro?.ecosystem, 'Debian:12');
    const wanted = expected.findings.map((finding) => `${finding.id} ${finding.binary} ${finding.installed} ${finding.fixed}`).sort();
    assert.deepEqual(findingLines(report), wanted);
    assert.equal(report.summary.total, wanted.length);
    assert.equal(report.summary.fixable, wanted.length);
  });
});
