import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import type { RegistryClient } from '../client/registry.js';
import { settle } from './scale.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { scanClient } from './scan-client.js';
import { feedCopy, newAdvisories, writeAdvisories } from './scan-feed.js';
import { seedInventories, seededRepository } from './scan-seed.js';
import { scanGroup } from './scan-throughput.js';

interface JobView {
  readonly id: number;
  readonly status: string;
  readonly lastError: string | null;
  readonly updatedAt: string;
}

/** The feed refresh job `id`, once it has ended (or undefined at `deadline`). */
async function refreshEnded(client: RegistryClient, id: number, deadline: number): Promise<JobView | undefined> {
  while (Date.now() < deadline) {
    const response = await client.http.request({ method: 'GET', target: '/api/v1/jobs?kind=scan.feed&n=20', expect: 200 });
    const job = (JSON.parse(response.body.toString('utf8')) as { items: JobView[] }).items.find((candidate) => candidate.id === id);
    if (job === undefined) throw new Error(`GET /api/v1/jobs does not list the feed refresh job ${id}`);
    if (job.status === 'done') return job;
    if (job.status === 'failed') throw new Error(`the feed refresh job ${id} failed: ${job.lastError}`);
    await sleep(50);
  }
  return undefined;
}

/** How many images hold a finding of the new advisories, read from the data directory's SQLite (untimed). */
function imagesReached(dataDir: string, ids: readonly string[]): number {
  const db = new SqliteDatabase(join(dataDir, 'berth.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare(`SELECT count(DISTINCT image_id) AS n FROM scan_findings WHERE advisory_id IN (${ids.map(() => '?').join(', ')})`).get(...ids) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

/**
 * A new advisory reaching the stored inventories: Berth starts on a data directory seeded with `inventories`
 * scanned images (scan-seed.ts), whose feed is a folder; once it is idle, a new CVE's Debian and Alpine records are
 * written into the folder and a refresh is asked for (POST /api/v1/advisory-feeds/refresh, as an administrator).
 * The time runs from that request to the refresh job's end (its updatedAt); the findings stored then are counted.
 */
export const scanRescan: Scenario = {
  id: 'scan-rescan',
  title: 'scan: a new advisory reaching stored inventories',

  async run(context: ScenarioContext) {
    const { inventories, rescanTimeoutSeconds } = context.profile.scan;
    const feed = await feedCopy(context.sharedDir, join(context.workDir, 'rescan-feed'));
    context.progress(`seeding ${inventories.toLocaleString('en-US')} stored inventories`);
    let seeded: Awaited<ReturnType<typeof seedInventories>> | undefined;
    let dataDir = '';
    const server = await context.startServer({
      env: { BERTH_SCAN_FEED: feed },
      seed: async (dir) => {
        dataDir = dir;
        seeded = await seedInventories(dir, inventories, feed);
      },
    });
    const seed = seeded!;
    context.metric({
      id: 'scan.rescan.seed', group: scanGroup, unit: 's', better: 'lower',
      label: `seeding ${inventories.toLocaleString('en-US')} stored inventories into SQLite (${seed.packages.toLocaleString('en-US')} packages; bench's own work)`,
    }, seed.seconds);
    context.progress(`seeded in ${seed.seconds.toFixed(1)} s (${seed.packages.toLocaleString('en-US')} packages, ${seed.findings.toLocaleString('en-US')} findings); `
      + `server idle after ${(await settle(server.pid)).toFixed(1)} s`);
    context.syncDisk();

    const client = scanClient(context, server, 2);
    const advisories = newAdvisories(new Date());
    const ids = advisories.map((record) => String(record.id));
    await writeAdvisories(feed, advisories);
    const deadline = Date.now() + rescanTimeoutSeconds * 1000;
    const { result } = await context.phase(`refresh: ${ids.join(' + ')} against ${inventories} inventories`, async () => {
      const asked = Date.now();
      const response = await client.http.request({ method: 'POST', target: '/api/v1/advisory-feeds/refresh', expect: 202 });
      const { job } = JSON.parse(response.body.toString('utf8')) as { job: number };
      const ended = await refreshEnded(client, job, deadline);
      return { seconds: ((ended ? Date.parse(ended.updatedAt) : Date.now()) - asked) / 1000, finished: ended !== undefined };
    }, server);
    const reached = imagesReached(dataDir, ids);
    const label = `a new advisory (one CVE: a Debian and an Alpine record) reaching ${inventories.toLocaleString('en-US')} stored inventories`
      + ' (target < 5 s)';
    context.metric({ id: 'scan.rescan.seconds', group: scanGroup, unit: 's', better: 'lower', label }, result.seconds);
    context.metric({ id: 'scan.rescan.reached', group: scanGroup, unit: 'images', better: 'higher', label: 'images holding a finding of it when the refresh ended' }, reached);
    if (!result.finished) {
      context.note('rescan', `the refresh had not ended after ${rescanTimeoutSeconds} s, when the bench stopped waiting (${reached.toLocaleString('en-US')} of `
        + `${inventories.toLocaleString('en-US')} images reached by then): its time is that lower bound`);
    } else if (reached !== inventories) {
      context.note('rescan', `the refresh ended with ${reached.toLocaleString('en-US')} of ${inventories.toLocaleString('en-US')} images holding a finding of the new advisory`);
    }
    // A finding the API shows, not only rows: the first seeded image's report names the new advisory.
    const query = new URLSearchParams({ repository: seededRepository(0), reference: 'v1', severity: 'CRITICAL' });
    const report = await client.http.request({ method: 'GET', target: `/api/v1/vulnerabilities?${query}`, expect: 200 });
    const named = ids.some((id) => report.body.toString('utf8').includes(id));
    context.progress(`new advisory: ${result.finished ? '' : 'unfinished after '}${result.seconds.toFixed(1)} s, ${reached.toLocaleString('en-US')} of `
      + `${inventories.toLocaleString('en-US')} images reached; the API ${named ? 'shows' : 'does NOT show'} it for ${seededRepository(0)}:v1`);
    await server.stop();
    if (result.finished && !named) throw new Error(`the refresh ended but ${seededRepository(0)}:v1's report does not name ${ids.join(' or ')}`);
  },
};
