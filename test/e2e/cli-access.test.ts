/**
 * Secure by default, as an operator meets it: `berth serve` without access control refuses a non-loopback address
 * (and says how to turn access control on); BERTH_ADMIN_PASSWORD turns it on with the user admin; `auth.enabled`
 * without a password generates one and prints it once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { basic } from '../support/access-fixtures.js';
import { startBerthProcess } from '../support/berth-process.js';

const cli = join(resolve(import.meta.dirname, '..', '..'), 'bin', 'berth.js');

describe('access control from the command line', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-cli-access-'));
    dirs.push(dir);
    return dir;
  };

  it('refuses to listen on every interface without access control, saying how to turn it on', () => {
    const run = spawnSync(process.execPath, [cli, 'serve', '--listen', '0.0.0.0:0', '--data', tempDir()], {
      encoding: 'utf8', env: { ...process.env, BERTH_LOG_LEVEL: 'warn', BERTH_ADMIN_PASSWORD: '', BERTH_ALLOW_OPEN: '' }, timeout: 60_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /refusing to listen on 0\.0\.0\.0 without access control/);
    assert.match(run.stderr, /BERTH_ADMIN_PASSWORD/);
    assert.match(run.stderr, /BERTH_ALLOW_OPEN=true/);
  });

  it('listens on every interface when an open registry is asked for, and warns', async () => {
    const berth = await startBerthProcess({ args: ['--listen', '0.0.0.0:0'], env: { BERTH_ALLOW_OPEN: 'true' } });
    dirs.push(berth.dataDir);
    try {
      assert.equal((await fetch(`${berth.url}/v2/`)).status, 200);
      assert.ok(berth.logs.some((line) => line.includes('access control is off')));
    } finally {
      await berth.stop();
    }
  });

  it('turns access control on with BERTH_ADMIN_PASSWORD and the user admin, on any address', async () => {
    const berth = await startBerthProcess({ args: ['--listen', '0.0.0.0:0'], env: { BERTH_ADMIN_PASSWORD: 'first-admin-password' } });
    dirs.push(berth.dataDir);
    try {
      assert.equal((await fetch(`${berth.url}/v2/`)).status, 401);
      assert.equal((await fetch(`${berth.url}/v2/`, { headers: { authorization: basic('admin', 'first-admin-password') } })).status, 200);
      assert.ok(berth.logs.some((line) => line.includes('"access":"on"')));
      assert.ok(!berth.logs.some((line) => line.includes('first-admin-password')), 'the password is never logged');
    } finally {
      await berth.stop();
    }
  });

  it('generates the first administrator\'s password when none is given, prints it once, and keeps it', async () => {
    const data = tempDir();
    const first = await startBerthProcess({ dataDir: data, env: { BERTH_AUTH_ENABLED: 'true' } });
    let password: string;
    try {
      const line = first.logs.find((entry) => entry.startsWith('berth: created the administrator "admin" with the password '));
      assert.ok(line, first.logs.join('\n'));
      password = line.split(' ').at(-1)!;
      assert.ok(password.length >= 20);
      assert.equal((await fetch(`${first.url}/v2/`, { headers: { authorization: basic('admin', password) } })).status, 200);
    } finally {
      await first.stop();
    }
    const second = await startBerthProcess({ dataDir: data, env: { BERTH_AUTH_ENABLED: 'true', BERTH_ADMIN_PASSWORD: 'a-different-password' } });
    try {
      assert.ok(!second.logs.some((entry) => entry.includes('created the administrator')), 'printed once only');
      assert.ok(second.logs.some((entry) => entry.includes('BERTH_ADMIN_PASSWORD differs')), 'a changed variable is reported, not applied');
      assert.equal((await fetch(`${second.url}/v2/`, { headers: { authorization: basic('admin', password) } })).status, 200);
      assert.equal((await fetch(`${second.url}/v2/`, { headers: { authorization: basic('admin', 'a-different-password') } })).status, 401);
    } finally {
      await second.stop();
    }
  });
});
