/**
 * The scanner's events reach a real webhook receiver, and a project that asks for it has images quarantined: a scan
 * ends in `scan.completed` (or `scan.failed`) with its counts; a new critical advisory served by the feed reaches
 * the stored image at the next refresh, fires `vulnerability.found` naming it, and quarantines the image, whose pulls
 * are then refused with the reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminPassword, expectStatus, startApiBerth, type ApiBerth } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { eventually } from '../support/registry-client.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { fixtureRecord, ImageTrees, jobFinished, pushTreeImage, reportWhen, startFeedServer, type FeedServer, type RegistryTarget } from '../support/scanning.js';

interface CloudEvent {
  type: string;
  data: { repository: string; digest: string; [key: string]: unknown };
}

// A new advisory for the image's zlib (1.3.1-r1), made from Alpine's real record of CVE-2022-37434 with a new id, a
// fix above the installed version, a CVSS v3.1 vector that rates it CRITICAL, and a modified time after the feed's.
const newId = 'ALPINE-CVE-2026-90002';
function criticalAdvisory(): Record<string, unknown> {
  const record = fixtureRecord('alpine', 'ALPINE-CVE-2022-37434') as { affected: { package: { ecosystem: string }; ranges: { events: object[] }[] }[] };
  for (const entry of record.affected) {
    if (entry.package.ecosystem === 'Alpine:v3.20') entry.ranges[0]!.events = [{ introduced: '0' }, { fixed: '1.3.1-r2' }];
  }
  const modified = new Date(Math.max(Date.now(), Date.parse('2026-12-03T00:00:01Z'))).toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    ...record, id: newId, upstream: ['CVE-2026-90002'], modified,
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  };
}

describe('scan events and auto-quarantine', { timeout: 180_000 }, () => {
  let feed: FeedServer;
  let api: ApiBerth;
  let target: RegistryTarget;
  let receiver: WebhookReceiver<CloudEvent>;
  let digest: string;
  const trees = new ImageTrees();

  before(async () => {
    [feed, receiver] = await Promise.all([startFeedServer({ Alpine: 'alpine' }), startWebhookReceiver<CloudEvent>()]);
    api = await startApiBerth({ scanning: { feed: feed.url }, webhooks: { allowPrivateTargets: true, retryBaseSeconds: 0.05 } });
    target = { url: api.registry.url, authorization: basic('admin', adminPassword) };
    expectStatus(await api.admin.post('/api/v1/projects', { name: 'team', public: false }), 201);
    expectStatus(await api.admin.post('/api/v1/projects/team/webhooks', {
      url: receiver.url, events: ['scan.completed', 'scan.failed', 'vulnerability.found', 'artifact.quarantined'],
    }), 201);
  });
  after(async () => {
    await api?.close();
    await Promise.all([feed?.close(), receiver?.close()]);
    trees.remove();
  });

  it('tells the receiver a scan completed, with its counts, and another failed, with why', async () => {
    digest = (await pushTreeImage(target, 'team/alpine', '3.20', [trees.tree({ '.': 'inventory/alpine/3.20.3' })])).digest;
    await reportWhen(api.admin, 'team/alpine', '3.20', (report) => report.status === 'done');
    const completed = await eventually('scan.completed at the receiver', async () => receiver.events.find((event) => event.type === 'io.berth.scan.completed'));
    assert.equal(completed.data.repository, 'team/alpine');
    assert.equal(completed.data.digest, digest);
    const scan = (completed.data as { scan?: { scanner: string; distro: string; packages: number; summary: Record<string, number> } }).scan;
    assert.deepEqual([scan?.scanner, scan?.distro, scan?.packages], ['berth', 'Alpine:v3.20', 14]);
    assert.deepEqual(Object.keys(scan?.summary ?? {}).sort(), ['critical', 'high', 'low', 'medium', 'other']);

    await pushTreeImage(target, 'team/broken', '1', [Buffer.from('neither gzip nor tar')]);
    const failed = await eventually('scan.failed at the receiver', async () => receiver.events.find((event) => event.type === 'io.berth.scan.failed'));
    assert.equal(failed.data.repository, 'team/broken');
    assert.match(String((failed.data as { reason?: string }).reason), /not a readable tar archive/);
  });

  it('fires vulnerability.found when a refresh brings a critical advisory, and quarantines where the project asks', async () => {
    expectStatus(await api.admin.put('/api/v1/projects/team/vulnerability-policy', { autoQuarantine: true }), 200);
    feed.publish('Alpine', criticalAdvisory());
    const job = expectStatus(await api.admin.post<{ job: number }>('/api/v1/advisory-feeds/refresh'), 202).body.job;
    await jobFinished(api.admin, 'scan.feed', job);

    const found = await eventually('vulnerability.found at the receiver', async () => receiver.events.find((event) => event.type === 'io.berth.vulnerability.found'));
    assert.equal(found.data.repository, 'team/alpine');
    assert.equal(found.data.digest, digest);
    assert.deepEqual((found.data as { advisories?: string[] }).advisories, [newId]);
    await eventually('artifact.quarantined at the receiver', async () => receiver.events.find((event) => event.type === 'io.berth.artifact.quarantined'));

    const pull = await fetch(`${target.url}/v2/team/alpine/manifests/3.20`, { headers: { authorization: target.authorization!, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(pull.status, 403);
    const body = await pull.json() as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.code, 'DENIED');
    assert.match(body.errors[0]!.message, new RegExp(`quarantined: a rescan found critical vulnerabilities \\(${newId}\\)`));
  });
});
