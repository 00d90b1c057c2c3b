/**
 * The advisory feed over real HTTP: a loopback server laid out as OSV's bucket (all.zip, modified_id.csv newest first,
 * one JSON file per record) that logs what it is asked for. The first refresh reads all.zip; later ones read the list
 * and fetch only the records it names as changed, and the images those touch are matched again without a layer
 * being read (finishedAt stays, matchedAt moves). A withdrawn record takes its findings away; a server answering 500
 * or an archive cut short is recorded as the source's error while the advisories held stay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminPassword, expectStatus, startApiBerth, type ApiBerth } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { eventually } from '../support/registry-client.js';
import {
  expectedFindings, findingLines, fixtureRecord, ImageTrees, jobFinished, pushTreeImage, readReport, reportWhen, startFeedServer,
  type FeedServer, type RegistryTarget, type VulnerabilityReport,
} from '../support/scanning.js';

const alpine = expectedFindings<{ findings: { id: string; package: string; installed: string; fixed: string | null }[] }>('alpine-3.20.3');
const npm = expectedFindings<{ findings: { id: string; name: string; installed: string; fixed: string | null }[] }>('npm');
const alpineLines = alpine.findings.map((finding) => `${finding.id} ${finding.package} ${finding.installed} ${finding.fixed}`).sort();
const npmLines = npm.findings.map((finding) => `${finding.id} ${finding.name} ${finding.installed} ${finding.fixed}`).sort();

// A new advisory for the image's zlib (1.3.1-r1), made from Alpine's real record of CVE-2022-37434 with a new id, a
// fixed version above the one installed, and a modified time after every record the feed held.
const newId = 'ALPINE-CVE-2026-90001';
const newModified = new Date(Math.max(Date.now(), Date.parse('2026-12-03T00:00:01Z'))).toISOString().replace(/\.\d+Z$/, 'Z');
function newAdvisory(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const record = fixtureRecord('alpine', 'ALPINE-CVE-2022-37434') as { affected: { package: { ecosystem: string }; ranges: { events: object[] }[] }[] };
  for (const entry of record.affected) {
    if (entry.package.ecosystem === 'Alpine:v3.20') entry.ranges[0]!.events = [{ introduced: '0' }, { fixed: '1.3.1-r2' }];
  }
  return { ...record, id: newId, upstream: ['CVE-2026-90001'], modified: newModified, ...changes };
}

interface FeedView {
  source: string;
  location: string;
  records: number;
  newestModified: string | null;
  error: string | null;
}

describe('the advisory feed over HTTP', { timeout: 180_000 }, () => {
  let feed: FeedServer;
  let api: ApiBerth;
  let target: RegistryTarget;
  const trees = new ImageTrees();

  before(async () => {
    feed = await startFeedServer({ Alpine: 'alpine', npm: 'npm' });
    api = await startApiBerth({ scanning: { feed: feed.url } });
    target = { url: api.registry.url, authorization: basic('admin', adminPassword) };
  });
  after(async () => {
    await api?.close();
    await feed?.close();
    trees.remove();
  });

  const feeds = async (): Promise<Map<string, FeedView>> =>
    new Map(expectStatus(await api.admin.get<{ items: FeedView[] }>('/api/v1/advisory-feeds'), 200).body.items.map((item) => [item.source, item]));

  /** Asks for a refresh, waits for its job, and answers the paths the feed server was asked for meanwhile. */
  async function refresh(): Promise<string[]> {
    const before = feed.requests.length;
    const job = expectStatus(await api.admin.post<{ job: number }>('/api/v1/advisory-feeds/refresh'), 202).body.job;
    await jobFinished(api.admin, 'scan.feed', job);
    return feed.requests.slice(before);
  }

  const scansCompleted = async (): Promise<number> => {
    const response = await fetch(`${target.url}/metrics`, { headers: { authorization: target.authorization! } });
    return Number(/^berth_scans_total\{outcome="completed"\} (\d+)$/m.exec(await response.text())?.[1] ?? 0);
  };

  let scanned: VulnerabilityReport;

  it('reads all.zip whole the first time an image needs the source, and finds exactly the expected vulnerabilities', async () => {
    await pushTreeImage(target, 'team/alpine', '3.20', [trees.tree({ '.': 'inventory/alpine/3.20.3' })]);
    scanned = await reportWhen(api.admin, 'team/alpine', '3.20', (report) => report.status === 'done' && report.vulnerabilities.length >= alpineLines.length);
    assert.deepEqual(findingLines(scanned), alpineLines);
    const state = await eventually('the Alpine source to be recorded', async () => (await feeds()).get('Alpine'));
    assert.equal(state.location, feed.url);
    assert.equal(state.records, 113);
    assert.equal(state.error, null);
    assert.deepEqual(feed.requests, ['/Alpine/all.zip'], 'the first read takes the archive and nothing else');
  });

  it('reaches an already-scanned image with a new advisory, fetching only that record and reading no layer', async () => {
    const completed = await scansCompleted();
    feed.publish('Alpine', newAdvisory());
    assert.deepEqual(await refresh(), ['/Alpine/modified_id.csv', `/Alpine/${newId}.json`]);
    const report = await readReport(api.admin, 'team/alpine', '3.20');
    assert.deepEqual(findingLines(report), [...alpineLines, `${newId} zlib 1.3.1-r1 1.3.1-r2`].sort());
    const [was, now] = [scanned.platforms[0]!, report.platforms[0]!];
    assert.equal(now.finishedAt, was.finishedAt, 'the image was not read again');
    assert.ok(now.matchedAt! > was.matchedAt!, `matched again: ${was.matchedAt} → ${now.matchedAt}`);
    assert.equal(await scansCompleted(), completed, 'no scan ran');
    const state = (await feeds()).get('Alpine')!;
    assert.equal(state.newestModified, new Date(newModified).toISOString());
    assert.equal(state.records, 114);
    scanned = report;
  });

  it('takes the findings of a withdrawn advisory away, again fetching only that record', async () => {
    const withdrawnAt = new Date(Date.parse(newModified) + 60_000).toISOString();
    feed.publish('Alpine', newAdvisory({ modified: withdrawnAt, withdrawn: withdrawnAt }));
    assert.deepEqual(await refresh(), ['/Alpine/modified_id.csv', `/Alpine/${newId}.json`]);
    const report = await readReport(api.admin, 'team/alpine', '3.20');
    assert.deepEqual(findingLines(report), alpineLines);
    assert.equal(report.platforms[0]!.finishedAt, scanned.platforms[0]!.finishedAt);
    assert.equal((await feeds()).get('Alpine')!.records, 113);
    assert.equal((await feeds()).get('Alpine')!.newestModified, withdrawnAt, 'the withdrawal counts as read');
  });

  it('records a server answering 500 as the source\'s error and keeps the advisories it holds', async () => {
    const held = (await feeds()).get('Alpine')!;
    feed.override('/Alpine/', { status: 500 });
    try {
      assert.deepEqual(await refresh(), ['/Alpine/modified_id.csv']);
    } finally {
      feed.restore();
    }
    const failed = (await feeds()).get('Alpine')!;
    assert.match(failed.error ?? '', /modified_id\.csv answered 500/);
    assert.deepEqual([failed.records, failed.newestModified], [held.records, held.newestModified]);
    assert.deepEqual(findingLines(await readReport(api.admin, 'team/alpine', '3.20')), alpineLines);
    await refresh();
    assert.equal((await feeds()).get('Alpine')!.error, null, 'the next refresh that works clears the error');
  });

  it('records an archive cut short as the source\'s error and keeps the advisories it holds', async () => {
    const held = (await feeds()).get('Alpine')!;
    // Without a list the source is read whole again, and the archive ends half way.
    const zip = feed.allZip('Alpine');
    feed.override('/Alpine/modified_id.csv', { status: 404 });
    feed.override('/Alpine/all.zip', { body: zip.subarray(0, zip.length >> 1) });
    try {
      assert.deepEqual(await refresh(), ['/Alpine/modified_id.csv', '/Alpine/all.zip']);
    } finally {
      feed.restore();
    }
    const failed = (await feeds()).get('Alpine')!;
    assert.match(failed.error ?? '', /all\.zip could not be read to its end/);
    assert.deepEqual([failed.records, failed.newestModified], [held.records, held.newestModified]);
    assert.deepEqual(findingLines(await readReport(api.admin, 'team/alpine', '3.20')), alpineLines);
  });

  it('reads a source whole again after its first archive was cut short, rather than going on from the records it got', async () => {
    // 600 advisories newer than the real npm ones, for packages no image holds (made from a real record): the archive
    // lists them first, so a read cut short stores a full batch of them and stops before the real records.
    const base = fixtureRecord('npm', 'GHSA-27h2-hvpr-p74q') as { affected: { package: { name: string } }[] };
    for (let n = 0; n < 600; n++) {
      feed.publish('npm', {
        ...base, id: `BERTH-PAD-${n}`, modified: new Date(Date.parse('2025-01-01T00:00:00Z') + n * 1000).toISOString(),
        affected: base.affected.map((entry) => ({ ...entry, package: { ...entry.package, name: `berth-padding-${n}` } })),
      });
    }
    const zip = feed.allZip('npm');
    feed.override('/npm/all.zip', { body: zip.subarray(0, Math.floor(zip.length * 0.9)) });
    try {
      await pushTreeImage(target, 'team/app', '1', [trees.tree({ 'usr/src/app': 'inventory/npm/app' })]);
      await reportWhen(api.admin, 'team/app', '1', (report) => report.status === 'done');
      await eventually('the npm source to be recorded', async () => (await feeds()).get('npm'));
    } finally {
      feed.restore();
    }
    const failed = (await feeds()).get('npm')!;
    assert.match(failed.error ?? '', /all\.zip could not be read to its end/);
    assert.equal(failed.newestModified, null, 'a read cut short has not got anywhere');
    assert.deepEqual(findingLines(await readReport(api.admin, 'team/app', '1')), [], 'the records read were all padding');
    const asked = await refresh();
    assert.ok(asked.includes('/npm/all.zip'), `the archive is read again: ${asked.join(' ')}`);
    assert.deepEqual(findingLines(await readReport(api.admin, 'team/app', '1')), npmLines);
    const state = (await feeds()).get('npm')!;
    assert.equal(state.error, null);
    assert.equal(state.newestModified, '2025-01-01T00:09:59.000Z');
  });
});
