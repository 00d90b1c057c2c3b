/**
 * A project's vulnerability overview (GET /api/v1/projects/{name}/vulnerabilities), with access control on and
 * scans on request: images of npm packages scanned against a feed folder of advisories of known severity come worst
 * first (critical, high, …, then fixable; equal ones by name), unscanned ones included; the figures cover the whole
 * project on every page; pages follow the Link header without repeats or gaps; a private project's overview is
 * hidden from those who may not pull from it, a public one's open to anonymous callers; a bad cursor is refused with
 * the reason; a registry that does not scan says so.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createProject, createUser, expectStatus, setRole, startApiBerth, walk, type ApiBerth, type ApiClient } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { adminPassword } from '../support/api-client.js';
import { expectedCounts, projectScanFeed, seedProjectImages, type SeededImage } from '../support/project-scans.js';

interface ImageScan {
  repository: string; digest: string; tags: string[]; tagCount: number; status: string; reason: string | null;
  summary: { critical: number; high: number; medium: number; low: number; other: number; fixable: number; total: number };
  pushedAt: string; finishedAt: string | null; matchedAt: string | null;
}

describe('a project\'s vulnerability overview', { timeout: 120_000 }, () => {
  let feed: ReturnType<typeof projectScanFeed>;
  let trees: string;
  let api: ApiBerth;
  let images: SeededImage[];
  let outsider: ApiClient;
  let guest: ApiClient;

  before(async () => {
    feed = projectScanFeed();
    trees = mkdtempSync(join(tmpdir(), 'berth-project-trees-'));
    api = await startApiBerth({ scanning: { feed: feed.path, onPush: false } });
    await createProject(api.admin, 'team');
    await createProject(api.admin, 'open', true);
    outsider = await createUser(api.admin, 'olga');
    guest = await createUser(api.admin, 'gus');
    await setRole(api.admin, 'team', 'user', 'gus', 'guest');
    images = await seedProjectImages({ url: api.registry.url, authorization: basic('admin', adminPassword) }, api.admin, 'team', trees);
  });
  after(async () => {
    await api?.close();
    feed?.remove();
    if (trees) rmSync(trees, { recursive: true, force: true });
  });

  it('lists the images worst first, with their tags, scan state and counts, and the project\'s figures', async () => {
    const body = expectStatus(await api.admin.get('/api/v1/projects/team/vulnerabilities'), 200).body;
    assert.deepEqual(body.items.map((image: ImageScan) => `${image.repository}:${image.tags.join(',')}`), images.map((image) => `${image.fullName}:${image.tag}`));
    for (const [index, image] of images.entries()) {
      const row = body.items[index] as ImageScan;
      assert.equal(row.digest, image.digest);
      assert.equal(row.status, image.unscanned ? 'not scanned' : 'done');
      assert.deepEqual(row.summary, image.unscanned ? { critical: 0, high: 0, medium: 0, low: 0, other: 0, fixable: 0, total: 0 } : expectedCounts(image));
      assert.equal(row.finishedAt === null, image.unscanned === true);
      assert.ok(Date.parse(row.pushedAt) > 0);
    }
    assert.deepEqual(body.totals, {
      images: 6,
      byStatus: { queued: 0, scanning: 0, done: 5, failed: 0, unsupported: 0, 'not scanned': 1 },
      byWorstSeverity: { critical: 1, high: 2, medium: 0, low: 1, other: 0, none: 1 },
      findings: { critical: 1, high: 3, medium: 0, low: 2, other: 0, fixable: 4, total: 6 },
    });
    assert.equal(body.next, null);
  });

  it('pages through the Link header in the same order, with the figures of the whole project on each page', async () => {
    const whole = expectStatus(await api.admin.get('/api/v1/projects/team/vulnerabilities'), 200).body;
    const paged = await walk<ImageScan>(api.admin, '/api/v1/projects/team/vulnerabilities?n=2');
    assert.deepEqual(paged.pages, [2, 2, 2]);
    assert.deepEqual(paged.items.map((image) => image.digest), whole.items.map((image: ImageScan) => image.digest));
    const second = expectStatus(await api.admin.get(/^<([^>]+)>/.exec(paged.links[0]!)![1]!), 200).body;
    assert.deepEqual(second.totals, whole.totals);
  });

  it('refuses a cursor it did not make, naming the parameter', async () => {
    const response = expectStatus(await api.admin.get('/api/v1/projects/team/vulnerabilities?last=not-a-cursor'), 400, 'INVALID_REQUEST');
    assert.match(response.body.errors[0].message, /^last: "not-a-cursor" is not a cursor/);
    expectStatus(await api.admin.get('/api/v1/projects/team/vulnerabilities?n=0'), 400, 'INVALID_REQUEST');
  });

  it('shows a private project to its members only, as a project that does not exist to others', async () => {
    assert.equal(expectStatus(await guest.get('/api/v1/projects/team/vulnerabilities'), 200).body.items.length, 6);
    const hidden = expectStatus(await outsider.get('/api/v1/projects/team/vulnerabilities'), 404, 'NOT_FOUND');
    const missing = expectStatus(await outsider.get('/api/v1/projects/nothing/vulnerabilities'), 404, 'NOT_FOUND');
    assert.equal(hidden.body.errors[0].message.replace('team', 'X'), missing.body.errors[0].message.replace('nothing', 'X'));
    expectStatus(await api.anonymous.get('/api/v1/projects/team/vulnerabilities'), 404, 'NOT_FOUND');
    expectStatus(await api.admin.get('/api/v1/projects/nothing/vulnerabilities'), 404, 'NOT_FOUND');
  });

  it('shows a public project to anyone, an empty one with zero figures', async () => {
    const body = expectStatus(await api.anonymous.get('/api/v1/projects/open/vulnerabilities'), 200).body;
    assert.deepEqual([body.project, body.items, body.totals.images, body.next], ['open', [], 0, null]);
  });
});

describe('a project\'s vulnerability overview with scanning off', () => {
  it('answers UNSUPPORTED, naming the setting', async () => {
    const api = await startApiBerth({ scanning: { enabled: false } });
    try {
      await createProject(api.admin, 'team');
      const response = expectStatus(await api.admin.get('/api/v1/projects/team/vulnerabilities'), 405, 'UNSUPPORTED');
      assert.match(response.body.errors[0].message, /scanning\.enabled/);
    } finally {
      await api.close();
    }
  });
});
