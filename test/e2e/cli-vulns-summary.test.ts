/*
 * `berth vulns-summary PROJECT`, run as a user would (bin/berth.js in a child process) against a real `berth serve`
 * with access control on and scans on request: a project of npm images scanned against advisories of known severity
 * (test/support/project-scans.ts) is printed worst first with its figures; --json is the API's answer with every
 * page read up to --limit; a private project is hidden from an anonymous caller.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { runBerthCli } from '../support/berth-cli.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { expectedCounts, projectScanFeed, seedProjectImages, type SeededImage } from '../support/project-scans.js';

const adminPassword = 'admin-password-1';
const admin = { BERTH_USERNAME: 'admin', BERTH_PASSWORD: adminPassword };
const timeout = 120_000;

describe('berth CLI: vulns-summary', { timeout: 300_000 }, () => {
  let feed: ReturnType<typeof projectScanFeed>;
  let trees: string;
  let configDir: string;
  let berth: BerthProcess;
  let images: SeededImage[];

  const cli = (args: string[], env: Record<string, string> = {}) => runBerthCli([...args, '--url', berth.url], { configDir, env, timeoutMs: timeout });

  before(async () => {
    feed = projectScanFeed();
    trees = mkdtempSync(join(tmpdir(), 'berth-project-trees-'));
    configDir = mkdtempSync(join(tmpdir(), 'berth-cli-config-'));
    berth = await startBerthProcess({ env: { BERTH_ADMIN_PASSWORD: adminPassword, BERTH_SCAN_FEED: feed.path, BERTH_SCAN_ON_PUSH: 'false' } });
    const client = new ApiClient(berth.url, { username: 'admin', password: adminPassword });
    assert.equal((await client.post('/api/v1/projects', { name: 'team', public: false })).status, 201);
    images = await seedProjectImages({ url: berth.url, authorization: basic('admin', adminPassword) }, client, 'team', trees);
  });
  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    for (const dir of [trees, configDir]) if (dir) rmSync(dir, { recursive: true, force: true });
    feed?.remove();
  });

  it('prints the figures, then one row per image, worst first', { timeout }, async () => {
    const run = await cli(['vulns-summary', 'team'], admin);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines[0], '6 images: 5 done, 1 not scanned');
    assert.equal(lines[1], 'Worst finding per image: critical 1, high 2, medium 0, low 1, other 0, none 1');
    assert.match(lines[3]!, /^IMAGE\s+DIGEST\s+STATUS\s+CRITICAL\s+HIGH\s+MEDIUM\s+LOW\s+OTHER\s+FIXABLE\s+SCANNED$/);
    const rows = lines.slice(4).map((line) => line.split(/\s+/));
    assert.deepEqual(rows.map((cells) => cells[0]), images.map((image) => `${image.fullName}:${image.tag}`));
    for (const [index, image] of images.entries()) {
      const counts = expectedCounts(image);
      const wanted = image.unscanned ? ['not', 'scanned', '0', '0', '0', '0', '0', '0', '-']
        : ['done', ...[counts.critical, counts.high, counts.medium, counts.low, counts.other, counts.fixable].map(String)];
      assert.deepEqual(rows[index]!.slice(2, 2 + wanted.length), wanted, `row of ${image.fullName}:${image.tag}`);
      assert.equal(rows[index]![1], image.digest.slice(0, 19));
    }
  });

  it('--json is the API\'s answer, every page read up to --limit; the text says how many more there are', { timeout }, async () => {
    const run = await cli(['vulns-summary', 'team', '--json', '--limit', '3'], admin);
    assert.equal(run.code, 0, run.stderr);
    const body = JSON.parse(run.stdout) as { project: string; totals: { images: number }; items: { digest: string }[] };
    assert.equal(body.project, 'team');
    assert.equal(body.totals.images, 6);
    assert.deepEqual(body.items.map((item) => item.digest), images.slice(0, 3).map((image) => image.digest));
    const text = await cli(['vulns-summary', 'team', '--limit', '2'], admin);
    assert.match(text.stdout, /\n\(2 of 6: --limit lists more\)\n$/);
  });

  it('hides a private project from an anonymous caller, as one that does not exist', { timeout }, async () => {
    const run = await cli(['vulns-summary', 'team']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /there is no project "team" you may see/);
  });
});
