import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { startBerthProcess } from '../support/berth-process.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');

describe('berth serve', { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
    dirs.push(dir);
    return dir;
  };
  after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

  it('starts with `npx berth serve --listen HOST:PORT --data DIR` and nothing else', async () => {
    const data = tempDir();
    const port = 20000 + Math.floor(Math.random() * 20000);
    // npx runs berth as its own child: start it in a process group of its own so the whole group gets the signal.
    const child = spawn('npx', ['berth', 'serve', '--listen', `127.0.0.1:${port}`, '--data', data], {
      cwd: repoRoot, stdio: 'ignore', env: { ...process.env, BERTH_LOG_LEVEL: 'warn' }, detached: true,
    });
    try {
      let status = 0;
      for (let i = 0; i < 200 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 200);
      assert.ok(existsSync(join(data, 'berth.db')));
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
      // The group is gone once berth itself has exited: nothing may keep listening.
      for (let i = 0; i < 100 && (await fetch(`http://127.0.0.1:${port}/v2/`).then(() => true, () => false)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(await fetch(`http://127.0.0.1:${port}/v2/`).then(() => 'listening', () => 'gone'), 'gone');
    }
  });

  it('refuses a bad setting with the key named, and exits non-zero', () => {
    let output = '';
    assert.throws(() => {
      try {
        execFileSync(process.execPath, [join(repoRoot, 'bin', 'berth.js'), 'serve', '--listen', 'nowhere'], { stdio: 'pipe' });
      } catch (error) {
        output = String((error as { stderr: Buffer }).stderr);
        assert.equal((error as { status: number }).status, 2);
        throw error;
      }
    });
    assert.match(output, /listen: expected HOST:PORT/);
  });

  it('serves over TLS with a certificate and key', async () => {
    const dir = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const berth = await startBerthProcess({ args: ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')] });
    dirs.push(berth.dataDir);
    try {
      const status = await new Promise<number>((done, fail) => {
        httpsGet(`https://127.0.0.1:${berth.port}/v2/`, { rejectUnauthorized: false }, (res) => { res.resume(); done(res.statusCode!); })
          .on('error', fail);
      });
      assert.equal(status, 200);
    } finally {
      await berth.stop();
    }
  });

  it('lets an in-flight upload finish on SIGTERM, then closes the database cleanly', async () => {
    const berth = await startBerthProcess();
    dirs.push(berth.dataDir);
    const body = randomBytes(8 * 1024 * 1024);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const answered = new Promise<number>((done, fail) => {
      const req = request(`${berth.url}/v2/graceful/app/blobs/uploads/?digest=${digest}`, {
        method: 'POST', headers: { 'content-length': String(body.length) },
      }, (res) => { res.resume(); done(res.statusCode!); });
      req.on('error', fail);
      // Half the body now; SIGTERM; then the rest.
      req.write(body.subarray(0, body.length / 2), () => {
        berth.child.kill('SIGTERM');
        setTimeout(() => req.end(body.subarray(body.length / 2)), 300);
      });
    });
    assert.equal(await answered, 201);
    await berth.stop();
    assert.equal(berth.child.exitCode, 0);
    // A clean close checkpoints SQLite's write-ahead log and removes it.
    assert.ok(!existsSync(join(berth.dataDir, 'berth.db-wal')));
    const again = await startBerthProcess({ dataDir: berth.dataDir });
    try {
      const head = await fetch(`${again.url}/v2/graceful/app/blobs/${digest}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
    } finally {
      await again.stop();
    }
  });
});
