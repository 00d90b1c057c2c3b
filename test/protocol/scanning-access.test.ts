/**
 * Who may read vulnerabilities and ask for scans, with access control on: reports go to whoever may pull the
 * repository (anonymous callers in public projects; a private project is not there for anyone else), scans to those
 * who may push to it, and a refresh of the advisory feed to system administrators.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminPassword, createProject, createUser, expectStatus, setRole, startApiBerth, type ApiBerth, type ApiClient } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import {
  feedFolder, ImageTrees, jobFinished, pushTreeImage, readReport, reportWhen, type VulnerabilityReport,
} from '../support/scanning.js';

const scanned = (report: VulnerabilityReport) => report.status === 'done' && report.vulnerabilities.length > 0;

describe('access to vulnerabilities and scans', { timeout: 120_000 }, () => {
  let feed: ReturnType<typeof feedFolder>;
  let api: ApiBerth;
  let guest: ApiClient;
  let developer: ApiClient;
  let outsider: ApiClient;
  const trees = new ImageTrees();

  before(async () => {
    feed = feedFolder({ Alpine: 'alpine' });
    api = await startApiBerth({ scanning: { feed: feed.path } });
    await createProject(api.admin, 'open', true);
    await createProject(api.admin, 'closed', false);
    guest = await createUser(api.admin, 'gail');
    developer = await createUser(api.admin, 'dev');
    outsider = await createUser(api.admin, 'otto');
    await setRole(api.admin, 'closed', 'user', 'gail', 'guest');
    await setRole(api.admin, 'closed', 'user', 'dev', 'developer');
    const target = { url: api.registry.url, authorization: basic('admin', adminPassword) };
    const root = trees.tree({ '.': 'inventory/alpine/3.20.3' });
    for (const repository of ['open/alpine', 'closed/alpine']) await pushTreeImage(target, repository, '1', [root]);
    for (const repository of ['open/alpine', 'closed/alpine']) await reportWhen(api.admin, repository, '1', scanned);
  });
  after(async () => {
    await api?.close();
    feed?.remove();
    trees.remove();
  });

  it('shows anonymous callers the vulnerabilities of public projects only', async () => {
    const open = await readReport(api.anonymous, 'open/alpine', '1');
    assert.deepEqual(open.vulnerabilities, (await readReport(api.admin, 'open/alpine', '1')).vulnerabilities);
    for (const reference of ['1', open.digest]) {
      expectStatus(await api.anonymous.get(`/api/v1/vulnerabilities?repository=closed/alpine&reference=${reference}`), 404, 'NAME_UNKNOWN');
    }
    // The same answer as for a repository that does not exist: a private project is not there for those outside it.
    expectStatus(await api.anonymous.get('/api/v1/vulnerabilities?repository=closed/nothing&reference=1'), 404, 'NAME_UNKNOWN');
    expectStatus(await outsider.get('/api/v1/vulnerabilities?repository=closed/alpine&reference=1'), 404, 'NAME_UNKNOWN');
    expectStatus(await api.anonymous.post('/api/v1/scans', { repository: 'open/alpine', reference: '1' }), 401);
  });

  it('lets a guest read but not ask for a scan', async () => {
    const report = await readReport(guest, 'closed/alpine', '1');
    assert.ok(scanned(report));
    const refused = expectStatus(await guest.post('/api/v1/scans', { repository: 'closed/alpine', reference: '1' }), 403, 'DENIED');
    assert.match(refused.text, /push/);
    // Outside the project, the image is not there to scan.
    expectStatus(await outsider.post('/api/v1/scans', { repository: 'closed/alpine', reference: '1' }), 404, 'NAME_UNKNOWN');
    assert.equal((await readReport(api.admin, 'closed/alpine', '1')).platforms[0]!.queuedAt, report.platforms[0]!.queuedAt, 'nothing was queued');
  });

  it('lets a developer ask for a scan, which reads the image again', async () => {
    const before = (await readReport(developer, 'closed/alpine', '1')).platforms[0]!;
    const queued = expectStatus(await developer.post<VulnerabilityReport>('/api/v1/scans', { repository: 'closed/alpine', reference: '1' }), 202).body;
    assert.equal(queued.digest, before.digest);
    const report = await reportWhen(developer, 'closed/alpine', '1', (seen) => scanned(seen) && seen.platforms[0]!.finishedAt! > before.finishedAt!);
    assert.equal(report.vulnerabilities.length, (await readReport(api.admin, 'open/alpine', '1')).vulnerabilities.length);
  });

  it('lets only system administrators refresh the advisory feed', async () => {
    expectStatus(await api.anonymous.post('/api/v1/advisory-feeds/refresh'), 401);
    expectStatus(await developer.post('/api/v1/advisory-feeds/refresh'), 403, 'DENIED');
    const job = expectStatus(await api.admin.post<{ job: number }>('/api/v1/advisory-feeds/refresh'), 202).body.job;
    await jobFinished(api.admin, 'scan.feed', job);
    // The feed's state is as readable as the reports.
    const feeds = expectStatus(await api.anonymous.get<{ items: { source: string; error: string | null }[] }>('/api/v1/advisory-feeds'), 200).body.items;
    assert.deepEqual(feeds.map((item) => [item.source, item.error]), [['Alpine', null]]);
  });
});
