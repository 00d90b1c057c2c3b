/*
 * /healthz and /readyz, what a load balancer in front of several nodes asks (issue 5): liveness always, readiness
 * only while the database and the blob store answer and the node is not shutting down.
 */
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';

async function readiness(url: string): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: await response.json() as { status: string; checks: Record<string, string> } };
}

describe('health endpoints', { timeout: 60_000 }, () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  it('answers /healthz with 200 while the process serves, GET and HEAD', async () => {
    const response = await fetch(`${registry.url}/healthz`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await response.json(), { status: 'ok' });
    assert.equal((await fetch(`${registry.url}/healthz`, { method: 'HEAD' })).status, 200);
  });

  it('answers /readyz with 200 and each check when the database and the blob store answer', async () => {
    assert.deepEqual(await readiness(registry.url), { status: 200, body: { status: 'ready', checks: { metadata: 'ok', storage: 'ok' } } });
  });

  it('answers 503 naming the blob store while its folder is gone, and 200 again once it is back', async () => {
    const uploads = join(registry.dataDir, 'storage', 'uploads');
    renameSync(uploads, `${uploads}.away`);
    try {
      const { status, body } = await readiness(registry.url);
      assert.equal(status, 503);
      assert.equal(body.status, 'unavailable');
      assert.equal(body.checks.metadata, 'ok');
      assert.match(body.checks.storage!, /^failing: /);
    } finally {
      renameSync(`${uploads}.away`, uploads);
    }
    assert.equal((await readiness(registry.url)).status, 200);
  });
});

describe('health endpoints on PostgreSQL', { timeout: 60_000 }, () => {
  let server: PostgresServer;
  let registry: InProcessBerth;
  before(async () => {
    server = await startPostgres();
    registry = await startInProcess({ database: { url: await server.createDatabase() } });
  });
  after(async () => {
    await registry?.close();
  });

  it('answers 503 naming the database once PostgreSQL is down, while /healthz stays 200', async () => {
    assert.equal((await readiness(registry.url)).status, 200);
    await server.stop();
    const { status, body } = await readiness(registry.url);
    assert.equal(status, 503);
    assert.match(body.checks.metadata!, /^failing: /);
    assert.equal(body.checks.storage, 'ok');
    assert.equal((await fetch(`${registry.url}/healthz`)).status, 200);
  });
});

describe('readiness during shutdown', { timeout: 60_000 }, () => {
  it('stops being ready as soon as shutdown begins', async () => {
    const registry = await startInProcess();
    const closing = registry.close();
    const { status } = await fetch(`${registry.url}/readyz`).then((r) => ({ status: r.status }), () => ({ status: 0 }));
    assert.notEqual(status, 200, 'not ready once close() has begun (503, or the connection refused)');
    await closing;
  });
});
