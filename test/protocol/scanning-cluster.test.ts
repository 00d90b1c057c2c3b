/**
 * Scanning in a cluster: two Berth nodes on one PostgreSQL database and one blob folder. An image pushed through
 * both nodes at once (into two repositories) is scanned exactly once, by one node's job, and its report reads the
 * same from either node.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminPassword, ApiClient } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { cleanUp } from '../support/cleanup.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import {
  expectedFindings, feedFolder, findingLines, ImageTrees, jobsOf, layerOf, pushTreeImage, readReport, reportWhen,
} from '../support/scanning.js';

const alpine = expectedFindings<{ findings: { id: string; package: string; installed: string; fixed: string | null }[] }>('alpine-3.20.3');
const alpineLines = alpine.findings.map((finding) => `${finding.id} ${finding.package} ${finding.installed} ${finding.fixed}`).sort();

describe('scanning on two nodes sharing PostgreSQL', { timeout: 180_000 }, () => {
  let server: PostgresServer;
  let database: string;
  let a: InProcessBerth;
  let b: InProcessBerth;
  let blobs: string;
  let feed: ReturnType<typeof feedFolder>;
  const trees = new ImageTrees();
  const admin = (node: InProcessBerth) => new ApiClient(node.url, { username: 'admin', password: adminPassword });

  before(async () => {
    server = await startPostgres();
    const url = await server.createDatabase();
    database = new URL(url).pathname.slice(1);
    blobs = mkdtempSync(join(tmpdir(), 'berth-shared-scans-'));
    feed = feedFolder({ Alpine: 'alpine' });
    const config = { dataDir: blobs, database: { url }, auth: { adminPassword }, scanning: { feed: feed.path } };
    [a, b] = await Promise.all([startInProcess(config), startInProcess(config)]);
  });
  after(async () => {
    await cleanUp('the scanning cluster test', [
      () => a?.close(), () => b?.close(), () => rmSync(blobs, { recursive: true, force: true }), () => feed?.remove(), () => trees.remove(),
      () => server?.stop(),
    ]);
  });

  it('scans an image pushed through both nodes once, and reports it alike on both', async () => {
    // The same layer bytes through both nodes, so the two pushes are one image (one digest).
    const layer = layerOf(trees.tree({ '.': 'inventory/alpine/3.20.3' }));
    const authorization = basic('admin', adminPassword);
    const [first, second] = await Promise.all([
      pushTreeImage({ url: a.url, authorization }, 'team/alpine', '3.20', [layer]),
      pushTreeImage({ url: b.url, authorization }, 'mirror/alpine', '3.20', [layer]),
    ]);
    assert.equal(first.digest, second.digest);
    const done = await reportWhen(admin(a), 'team/alpine', '3.20', (report) => report.status === 'done' && report.vulnerabilities.length >= alpineLines.length);
    assert.deepEqual(findingLines(done), alpineLines);

    const jobs = await jobsOf(admin(b), 'scan.artifact');
    assert.deepEqual(jobs.map((job) => job.status), ['done'], 'one scan job, finished');
    const rows = await server.query(database, 'SELECT payload FROM jobs WHERE kind = $1', ['scan.artifact']);
    assert.deepEqual(rows.rows.map((row) => JSON.parse(row.payload as string).digest), [first.digest]);

    // Each repository has an SBOM of its own (attached once the scan is done): the scan itself reads alike.
    const alike = (report: typeof done) => ({ ...report, repository: 'team/alpine', platforms: report.platforms.map(({ sbom: _sbom, ...platform }) => platform) });
    for (const [repository, node] of [['team/alpine', b], ['mirror/alpine', a], ['mirror/alpine', b]] as const) {
      const report = await readReport(admin(node), repository, '3.20');
      assert.deepEqual(alike(report), alike(done), `${repository} on ${node === a ? 'a' : 'b'}`);
    }
  });
});
