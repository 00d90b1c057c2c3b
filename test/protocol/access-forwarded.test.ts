/**
 * Behind a load balancer, the audit log and the brute-force limits must see each client's own address: from
 * X-Forwarded-For when the request comes from a trusted proxy, and never from a header any client could send.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basic } from '../support/access-fixtures.js';
import { startInProcess } from '../support/in-process.js';

async function auditedAddressOfFailedLogin(trustProxy: boolean | string): Promise<string | undefined> {
  const server = await startInProcess({ auth: { adminPassword: 'admin-password' }, trustProxy });
  try {
    const response = await fetch(`${server.url}/auth/token?service=berth`, {
      headers: { authorization: basic('admin', 'wrong-password'), 'x-forwarded-for': '203.0.113.9' },
    });
    assert.equal(response.status, 401);
    await server.berth.access.audit.flush();
    const [event] = await server.berth.access.store.queryAudit({ limit: 1, action: 'login.failed' });
    return event?.address;
  } finally {
    await server.close();
  }
}

describe('client addresses behind a proxy', () => {
  it('ignores X-Forwarded-For unless the proxy is trusted', async () => {
    assert.equal(await auditedAddressOfFailedLogin(false), '127.0.0.1');
  });

  it('takes the client address from X-Forwarded-For sent by a trusted proxy', async () => {
    assert.equal(await auditedAddressOfFailedLogin('127.0.0.1'), '203.0.113.9');
  });
});
