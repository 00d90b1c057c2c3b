/*
 * `berth latest`, `berth query`, `berth usage`, `berth tags` and `berth inspect`, run as a user would (bin/berth.js in
 * a child process) against a real `berth serve`: without any login on an open registry, and with and without
 * credentials on one with access control on.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { basic, pushImage } from '../support/access-fixtures.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { runBerthCli } from '../support/berth-cli.js';
import { blobOf, buildIndex, finish, mediaTypes, pushIndex, pushManifest, type BuiltManifest } from '../support/image-builder.js';

const adminPassword = 'admin-password-1';
const timeout = 60_000;

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

/** An OCI image whose config carries labels and a platform. */
function image(labels: Record<string, string>, architecture = 'amd64', variant?: string): BuiltManifest {
  const layer = blobOf(randomBytes(2048), mediaTypes.ociLayer);
  const config = blobOf(JSON.stringify({
    architecture, os: 'linux', ...(variant && { variant }), created: '2024-01-01T00:00:00Z', config: { Labels: labels },
    rootfs: { type: 'layers', diff_ids: [layer.descriptor.digest] },
  }), mediaTypes.ociConfig);
  const json = { schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: config.descriptor, layers: [layer.descriptor] };
  return finish(json, mediaTypes.ociManifest, [config, layer]);
}

describe('berth CLI: latest, query, usage, tags and inspect', { timeout: 600_000 }, () => {
  let open: BerthProcess;
  let guarded: BerthProcess;
  let configDir: string;
  const digests: Record<string, string> = {};
  let index: BuiltManifest;

  const berth = (args: string[], env: Record<string, string> = {}): Promise<Run> => runBerthCli(args, { configDir, env, timeoutMs: timeout });
  const ok = (run: Run): Run => {
    assert.equal(run.code, 0, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
    return run;
  };
  const json = <T>(run: Run): T => JSON.parse(ok(run).stdout) as T;
  const fails = (run: Run, message: RegExp): void => {
    assert.equal(run.code, 1, `expected exit 1\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
    assert.match(run.stderr, /^berth: /);
    assert.match(run.stderr, message);
  };

  before(async () => {
    [open, guarded] = await Promise.all([startBerthProcess(), startBerthProcess({ env: { BERTH_ADMIN_PASSWORD: adminPassword } })]);
    configDir = mkdtempSync(join(tmpdir(), 'berth-cli-config-'));
    const web = [['1.0.0', { tier: 'web' }], ['1.10.0', { tier: 'web', team: 'a' }], ['1.2.0', { tier: 'db' }], ['2.0.0-rc.1', { tier: 'web' }]] as const;
    for (const [tag, labels] of web) {
      const built = image(labels);
      await pushManifest(open.url, 'team/web', tag, built);
      digests[tag] = built.digest;
    }
    const amd = image({ tier: 'multi' });
    const arm = image({ tier: 'multi' }, 'arm64', 'v8');
    index = buildIndex([amd, arm]);
    await pushIndex(open.url, 'team/multi', '3.0.0', index, [amd, arm]);
    digests.arm = arm.digest;
    await pushManifest(open.url, 'team/copy', '1.0.0', image({ tier: 'copy' }));

    const admin = basic('admin', adminPassword);
    for (const [name, isPublic] of [['pub', true], ['priv', false]] as const) {
      const created = await fetch(`${guarded.url}/api/v1/projects`, {
        method: 'POST', headers: { authorization: admin, 'content-type': 'application/json' }, body: JSON.stringify({ name, public: isPublic }),
      });
      assert.equal(created.status, 201, await created.text());
      digests[name] = await pushImage(guarded.url, `${name}/app`, '1.0.0', admin);
    }
  });
  after(async () => {
    for (const server of [open, guarded]) {
      await server?.stop();
      if (server) removeDataDir(server.dataDir);
    }
    rmSync(configDir, { recursive: true, force: true });
  });

  it('berth latest prints repository:tag@digest without any login, and JSON with --json', async () => {
    assert.equal(ok(await berth(['latest', 'team/web', '--url', open.url])).stdout, `team/web:1.10.0@${digests['1.10.0']}\n`);
    const latest = json<{ repository: string; tag: string; digest: string; by: string }>(await berth(['latest', 'team/web', '--json', '--url', open.url]));
    assert.deepEqual([latest.repository, latest.tag, latest.digest, latest.by], ['team/web', '1.10.0', digests['1.10.0'], 'semver']);
  });

  it('berth latest takes --by, --platform, --range and --prerelease', async () => {
    const url = ['--url', open.url];
    assert.equal(ok(await berth(['latest', 'team/web', '--prerelease', ...url])).stdout, `team/web:2.0.0-rc.1@${digests['2.0.0-rc.1']}\n`);
    assert.equal(ok(await berth(['latest', 'team/web', '--range', '~1.2.0', ...url])).stdout, `team/web:1.2.0@${digests['1.2.0']}\n`);
    assert.equal(ok(await berth(['latest', 'team/web', '--by', 'pushed', ...url])).stdout, `team/web:2.0.0-rc.1@${digests['2.0.0-rc.1']}\n`);
    const arm = json<{ tag: string; digest: string; platformDigest: string }>(
      await berth(['latest', 'team/multi', '--platform', 'linux/arm64/v8', '--json', ...url]));
    assert.deepEqual([arm.tag, arm.digest, arm.platformDigest], ['3.0.0', index.digest, digests.arm]);
  });

  it('berth latest exits 1 with the API\'s message when nothing matches', async () => {
    fails(await berth(['latest', 'team/web', '--range', '>=5', '--url', open.url]), /team\/web has no tag that answers "latest" by semver in the range >=5/);
    fails(await berth(['latest', 'team/multi', '--platform', 'linux/s390x', '--url', open.url]), /for linux\/s390x/);
    fails(await berth(['latest', 'team/web', '--range', 'not a range', '--url', open.url]), /is not a version range/);
    const refused = await berth(['latest', 'team/web', '--by', 'newest', '--url', open.url]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Allowed choices are semver, pushed, created/);
  });

  it('berth query --label prints JSON rows with repository, tag, digest and pushedAt, or a table', async () => {
    const url = ['--url', open.url];
    const rows = json<{ repository: string; tag: string; digest: string; pushedAt: string; labels: Record<string, string> }[]>(
      await berth(['query', '--label', 'tier=web', '--json', ...url]));
    assert.deepEqual(rows.map((row) => `${row.repository}:${row.tag}`), ['team/web:1.0.0', 'team/web:1.10.0', 'team/web:2.0.0-rc.1']);
    for (const row of rows) {
      assert.equal(row.digest, digests[row.tag]);
      assert.ok(!Number.isNaN(Date.parse(row.pushedAt)), row.pushedAt);
    }
    const both = json<{ tag: string }[]>(await berth(['query', '--label', 'tier=web', '--label', 'team=a', '--json', ...url]));
    assert.deepEqual(both.map((row) => row.tag), ['1.10.0']);
    const globbed = json<{ repository: string; tag: string }[]>(await berth(['query', '--repository', 'team/**', '--tag', '1.*', '--json', ...url]));
    assert.deepEqual(globbed.map((row) => `${row.repository}:${row.tag}`), ['team/copy:1.0.0', 'team/web:1.0.0', 'team/web:1.10.0', 'team/web:1.2.0']);
    const arm = json<{ tag: string }[]>(await berth(['query', '--platform', 'linux/arm64', '--json', ...url]));
    assert.deepEqual(arm.map((row) => row.tag), ['3.0.0']);
    assert.equal(json<unknown[]>(await berth(['query', '--limit', '2', '--sort', 'pushed', '--json', ...url])).length, 2);
    const table = ok(await berth(['query', '--label', 'tier', ...url])).stdout.split('\n');
    assert.match(table[0]!, /^REPOSITORY\s+TAG\s+DIGEST\s+SIZE\s+PLATFORMS\s+PUSHED\s+LAST PULLED\s+PULLS$/);
    assert.ok(table.some((line) => /^team\/web\s+1\.10\.0\s+sha256:[0-9a-f]{12}\s+[\d.]+ KiB\s+linux\/amd64\s/.test(line)), table.join('\n'));
    fails(await berth(['query', '--platform', 'linux', ...url]), /query\.platform: send a platform as os\/architecture/);
  });

  it('berth usage --json answers storedBytes and pulls; humanised sizes otherwise', async () => {
    const pull = await fetch(`${open.url}/v2/team/web/manifests/1.0.0`, { headers: { accept: mediaTypes.ociManifest } });
    assert.equal(pull.status, 200);
    await pull.arrayBuffer();
    const usage = json<{ project: string; storedBytes: number; logicalBytes: number; pulls: number }>(
      await berth(['usage', 'team', '--json', '--url', open.url]));
    assert.equal(usage.project, 'team');
    assert.equal(typeof usage.storedBytes, 'number');
    assert.equal(typeof usage.pulls, 'number');
    assert.ok(usage.storedBytes > 6 * 2048, `${usage.storedBytes} bytes for seven images`);
    const text = ok(await berth(['usage', 'team', '--url', open.url])).stdout;
    assert.match(text, /^stored\s+\d+(\.\d+)? KiB \(blobs shared between repositories counted once\)$/m);
    assert.match(text, /^repositories\s+3$/m);
  });

  it('berth tags sorts by version and prints a table or JSON', async () => {
    const tags = json<{ tag: string }[]>(await berth(['tags', 'team/web', '--sort', 'version', '--order', 'asc', '--json', '--url', open.url]));
    assert.deepEqual(tags.map((row) => row.tag), ['1.0.0', '1.2.0', '1.10.0', '2.0.0-rc.1']);
    const table = ok(await berth(['tags', 'team/web', '--pattern', '1.1*', '--url', open.url])).stdout.split('\n');
    assert.match(table[0]!, /^TAG\s+DIGEST/);
    assert.match(table[1]!, /^1\.10\.0\s/);
    assert.equal(table.filter((line) => line !== '').length, 2);
  });

  it('berth inspect shows an index\'s platforms with their labels, by tag or by digest', async () => {
    const text = ok(await berth(['inspect', 'team/multi:3.0.0', '--url', open.url])).stdout;
    assert.match(text, new RegExp(`^team/multi@${index.digest}$`, 'm'));
    assert.match(text, /^linux\/amd64\s+sha256:[0-9a-f]{12}\s.*tier=multi$/m);
    assert.match(text, /^linux\/arm64\/v8\s+/m);
    const detail = json<{ digest: string; platforms: { architecture: string }[] }>(
      await berth(['inspect', `team/multi@${index.digest}`, '--json', '--url', open.url]));
    assert.equal(detail.digest, index.digest);
    assert.deepEqual(detail.platforms.map((platform) => platform.architecture), ['amd64', 'arm64']);
    fails(await berth(['inspect', 'team/multi:9.9.9', '--url', open.url]), /team\/multi has no manifest 9\.9\.9/);
  });

  it('reads public projects only without credentials when access control is on, and what the user may see with them', async () => {
    const url = ['--url', guarded.url];
    const anonymous = json<{ repository: string }[]>(await berth(['query', '--json', ...url]));
    assert.deepEqual(anonymous.map((row) => row.repository), ['pub/app']);
    fails(await berth(['latest', 'priv/app', ...url]), /there is no repository "priv\/app" you may see/);
    const admin = { BERTH_USERNAME: 'admin', BERTH_PASSWORD: adminPassword };
    const all = json<{ repository: string }[]>(await berth(['query', '--json', ...url], admin));
    assert.deepEqual(all.map((row) => row.repository), ['priv/app', 'pub/app']);
    assert.equal(ok(await berth(['latest', 'priv/app', ...url], admin)).stdout, `priv/app:1.0.0@${digests.priv}\n`);
    fails(await berth(['query', ...url], { BERTH_USERNAME: 'admin', BERTH_PASSWORD: 'wrong-password' }), /./);
  });
});
