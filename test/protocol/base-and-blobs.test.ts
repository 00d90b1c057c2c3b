import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('base endpoint and monolithic blob push', () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  it('answers GET /v2/ with 200 and the API version header', async () => {
    const response = await fetch(`${registry.url}/v2/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  it('stores a blob pushed in one POST and serves it back', async () => {
    const body = Buffer.from('a first blob');
    const digest = sha256(body);
    const push = await fetch(`${registry.url}/v2/team/app/blobs/uploads/?digest=${digest}`, { method: 'POST', body });
    assert.equal(push.status, 201);
    assert.equal(push.headers.get('docker-content-digest'), digest);
    assert.equal(push.headers.get('location'), `/v2/team/app/blobs/${digest}`);

    const pull = await fetch(`${registry.url}/v2/team/app/blobs/${digest}`);
    assert.equal(pull.status, 200);
    assert.deepEqual(Buffer.from(await pull.arrayBuffer()), body);
    assert.equal(pull.headers.get('docker-content-digest'), digest);
  });

  it('refuses a blob whose content does not match its digest, and keeps nothing', async () => {
    const claimed = sha256('something else');
    const push = await fetch(`${registry.url}/v2/team/app/blobs/uploads/?digest=${claimed}`, { method: 'POST', body: 'actual bytes' });
    assert.equal(push.status, 400);
    assert.equal((await push.json()).errors[0].code, 'DIGEST_INVALID');
    const head = await fetch(`${registry.url}/v2/team/app/blobs/${claimed}`, { method: 'HEAD' });
    assert.equal(head.status, 404);
  });
});
