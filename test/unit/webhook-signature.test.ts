import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { toCloudEvent } from '../../src/features/webhooks/cloud-event.js';
import { generateSecret, sign, signatureHeaders } from '../../src/features/webhooks/signature.js';
import { retryDelayMs } from '../../src/features/webhooks/webhook-delivery.js';
import { compileFilter } from '../../src/features/webhooks/webhook-filter.js';
import type { RegistryEvent } from '../../src/events/registry-event.js';

describe('webhook signatures (Standard Webhooks)', () => {
  it('matches the specification\'s example signature', () => {
    // The example of the Standard Webhooks specification and its reference libraries.
    const signature = sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs "<id>.<timestamp>.<body>" with the base64-decoded key after whsec_', () => {
    const secret = generateSecret();
    const headers = signatureHeaders(secret, '42', 1700000000, '{"a":1}');
    const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update('42.1700000000.{"a":1}').digest('base64');
    assert.deepEqual(headers, { 'webhook-id': '42', 'webhook-timestamp': '1700000000', 'webhook-signature': `v1,${expected}` });
  });

  it('makes secrets of 32 random bytes behind whsec_, different each time', () => {
    const a = generateSecret();
    const b = generateSecret();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(a.slice(6), 'base64').length, 32);
    assert.notEqual(a, b);
  });
});

describe('webhook events and retries', () => {
  const pushed: RegistryEvent = {
    id: 17, type: 'artifact.pushed', repository: 'team/app', digest: 'sha256:abc', tag: 'v1', at: Date.UTC(2025, 0, 31, 12),
    origin: { actor: 'alice', actorKind: 'user', address: '203.0.113.9' },
    data: { tags: ['v1', 'latest'], mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 512 },
  };

  it('builds a CloudEvent 1.0 with a stable id, the io.berth type, the subject and the data receivers need', () => {
    assert.deepEqual(toCloudEvent(pushed, undefined), {
      specversion: '1.0', id: '17', source: '/berth/team/app', type: 'io.berth.artifact.pushed', subject: 'team/app:v1@sha256:abc',
      time: '2025-01-31T12:00:00.000Z', datacontenttype: 'application/json',
      data: {
        project: 'team', repository: 'team/app', digest: 'sha256:abc', tags: ['v1', 'latest'],
        mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 512, actor: { name: 'alice', kind: 'user' }, address: '203.0.113.9',
      },
    });
    assert.equal(toCloudEvent(pushed, 'https://registry.example.com/').source, 'https://registry.example.com/team/app');
  });

  it('carries a quarantine\'s reason and names the artifact by digest alone when no tag is involved', () => {
    const event = toCloudEvent({ ...pushed, type: 'artifact.quarantined', tag: undefined, data: { reason: 'CVE-2025-1', children: 0 } }, undefined);
    assert.equal(event.subject, 'team/app@sha256:abc');
    assert.equal(event.data.reason, 'CVE-2025-1');
    assert.equal(event.data.tags, undefined);
  });

  it('filters by event type, repository below the project and tag', () => {
    const wants = compileFilter({ eventTypes: ['artifact.pushed', 'tag.deleted'], repositoryPattern: 'app*', tagPattern: 'v*' });
    assert.equal(wants(pushed), true);
    assert.equal(wants({ ...pushed, repository: 'team/web' }), false);
    assert.equal(wants({ ...pushed, repository: 'team/app/sub' }), false, '* stays within one component');
    assert.equal(wants({ ...pushed, tag: 'latest', data: { tags: ['latest'] } }), false);
    assert.equal(wants({ ...pushed, type: 'artifact.pulled' }), false);
    assert.equal(wants({ ...pushed, type: 'tag.deleted', tag: 'v2', data: undefined }), true);
    const everything = compileFilter({ eventTypes: ['artifact.quarantined'], repositoryPattern: '**', tagPattern: '**' });
    assert.equal(everything({ ...pushed, type: 'artifact.quarantined', tag: undefined, data: {} }), true, 'no tag filter: untagged events pass');
  });

  it('waits base, 2 base, 4 base … between attempts, at most an hour', () => {
    assert.deepEqual([1, 2, 3, 4].map((attempts) => retryDelayMs(5000, attempts)), [5000, 10000, 20000, 40000]);
    assert.equal(retryDelayMs(5000, 30), 3_600_000);
  });
});
