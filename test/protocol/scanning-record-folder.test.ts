/**
 * A feed that is a plain folder of OSV JSON records (in subfolders, as advisory databases publish them), on an open
 * registry: the first image of an ecosystem is matched only once that ecosystem's advisories are read, so the first
 * report that says "done" already holds every finding; anyone may ask for a scan when anyone may push.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient, expectStatus } from '../support/api-client.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { findingLines, pushTreeImage, readReport, scanFixtures } from '../support/scanning.js';

const expected = (await import('node:fs')).readFileSync(join(scanFixtures, 'osv/expected/debian-bookworm-12.15-minbase.json'), 'utf8');

describe('a feed folder of OSV JSON records', { timeout: 120_000 }, () => {
  let folder: string;
  let berth: InProcessBerth;
  let api: ApiClient;

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'berth-records-'));
    // The records as published, one file each, in nested folders; other ecosystems' records beside them are not Debian's.
    cpSync(join(scanFixtures, 'osv/osv/debian'), join(folder, 'advisories/debian'), { recursive: true });
    cpSync(join(scanFixtures, 'osv/osv/npm'), join(folder, 'advisories/npm'), { recursive: true });
    berth = await startInProcess({ scanning: { feed: folder } });
    api = new ApiClient(berth.url, undefined);
  });
  after(async () => {
    await berth?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('reads the records, and the first finished report already holds every finding', async () => {
    await pushTreeImage({ url: berth.url }, 'team/debian', '12', [join(scanFixtures, 'inventory/debian/bookworm-12.15-minbase')]);
    let report = await readReport(api, 'team/debian', '12');
    for (let attempt = 0; attempt < 600 && report.status !== 'done'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      report = await readReport(api, 'team/debian', '12');
    }
    assert.equal(report.status, 'done');
    const wanted = (JSON.parse(expected) as { findings: { id: string; binary: string; installed: string; fixed: string | null }[] }).findings
      .map((finding) => `${finding.id} ${finding.binary} ${finding.installed} ${finding.fixed}`).sort();
    assert.deepEqual(findingLines(report), wanted, 'the first "done" is the whole answer');
    const feeds = expectStatus(await api.get('/api/v1/advisory-feeds'), 200).body.items;
    assert.deepEqual(feeds.map((feed: { source: string; error: string | null }) => [feed.source, feed.error]), [['Debian', null]]);
    assert.equal(feeds[0].location, folder);
  });

  it('lets anyone ask for a scan on an open registry', async () => {
    const queued = expectStatus(await api.post('/api/v1/scans', { repository: 'team/debian', reference: '12' }), 202).body;
    assert.ok(['queued', 'scanning', 'done'].includes(queued.status), queued.status);
  });
});
