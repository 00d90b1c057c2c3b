/*
 * The webhook consumer and delivery job over a real SQLite metadata store: deliveries are made once per subscription
 * and event however often the outbox hands an event over, a target that resolves to a private address at delivery
 * time is refused then too, and subscriptions go with their project.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { RegistryEvent } from '../../src/events/registry-event.js';
import { generateSecret } from '../../src/features/webhooks/signature.js';
import { webhookOutboxConsumer, type Enqueue } from '../../src/features/webhooks/webhook-consumer.js';
import { deliveryJob } from '../../src/features/webhooks/webhook-delivery.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import type { SqliteMetadataStore } from '../../src/metadata/sqlite-metadata-store.js';
import type { Webhook } from '../../src/metadata/webhook-store.js';

const log = pino({ level: 'silent' });

describe('webhook deliveries over a real metadata store', { timeout: 60_000 }, () => {
  let dir: string;
  let store: SqliteMetadataStore;
  let subscription: Webhook;
  const enqueue: Enqueue = (job) => store.enqueueJob({ ...job, now: Date.now() });
  const event = (id: number, repository = 'team/app'): RegistryEvent => ({
    id, type: 'artifact.pushed', repository, digest: `sha256:${'a'.repeat(64)}`, tag: 'v1', at: Date.now(),
    origin: { actor: 'alice', actorKind: 'user' }, data: { tags: ['v1'], mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10 },
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-webhooks-'));
    store = await openSqliteMetadataStore(join(dir, 'berth.db'));
    await store.access().createProject({ name: 'team', public: false, createdBy: 'admin', now: Date.now() });
    subscription = (await store.webhooks().createSubscription({
      project: 'team', url: 'https://hooks.example.com/berth', secret: generateSecret(), eventTypes: ['artifact.pushed'],
      repositoryPattern: '**', tagPattern: '**', description: undefined, enabled: true, createdBy: 'admin', createdAt: Date.now(),
    }))!;
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes one delivery and one open job per subscription and event, however often the event comes', async () => {
    const consumer = webhookOutboxConsumer(store, enqueue, { maxAttempts: 3, log });
    await consumer.handle([event(1), event(2, 'other/app')], new AbortController().signal);
    await consumer.handle([event(1)], new AbortController().signal);
    const deliveries = await store.webhooks().deliveries(subscription.id, 10);
    assert.deepEqual(deliveries.map((delivery) => [delivery.eventId, delivery.status]), [[1, 'queued']], 'another project\'s event makes none');
    const job = await store.claimJob(['webhooks.deliver'], 'test', 60_000, Date.now());
    assert.deepEqual(job?.payload, { deliveryId: deliveries[0]!.id });
    assert.equal(job?.maxAttempts, 3);
    assert.equal(await store.claimJob(['webhooks.deliver'], 'test', 60_000, Date.now()), undefined, 'the event handed over again queued no second job');
    await store.finishJob(job!.id, 'test', { ok: true }, Date.now());
  });

  it('refuses at delivery time a target that now resolves to a private address, without retrying', async () => {
    const queued = await store.webhooks().queueDelivery(subscription.id, event(3), Date.now());
    const id = await enqueue({ kind: 'webhooks.deliver', payload: { deliveryId: queued!.delivery.id }, runAfter: 0, maxAttempts: 5 });
    const job = await store.claimJob(['webhooks.deliver'], 'test', 60_000, Date.now());
    assert.equal(job?.id, id);
    // The name resolved to a public address when the webhook was made; now it points inside the network.
    const definition = deliveryJob(store.webhooks(), {
      allowPrivateTargets: false, timeoutMs: 1000, retryBaseMs: 50, externalUrl: undefined, log,
      resolver: async () => [{ address: '10.0.0.7', family: 4 }],
    });
    await definition.run(job!, { signal: new AbortController().signal, progress: async () => undefined });
    const delivery = await store.webhooks().delivery(subscription.id, queued!.delivery.id);
    assert.equal(delivery?.status, 'failed');
    assert.equal(delivery?.attempts.length, 1);
    assert.equal(delivery?.attempts[0]?.status, 'failed');
    assert.equal(delivery?.attempts[0]?.responseCode, undefined);
    assert.match(delivery?.attempts[0]?.error ?? '', /not sent to private addresses such as 10\.0\.0\.7 \(hooks\.example\.com resolves to 10\.0\.0\.7\)/);
  });

  it('deletes a subscription with its delivery log, and subscriptions with their project', async () => {
    await store.access().createProject({ name: 'doomed', public: false, createdBy: 'admin', now: Date.now() });
    const doomed = (await store.webhooks().createSubscription({ ...subscription, project: 'doomed' }))!;
    await store.webhooks().queueDelivery(doomed.id, event(4, 'doomed/app'), Date.now());
    const project = await store.access().projectByName('doomed');
    await store.access().deleteProject(project!.id);
    assert.deepEqual(await store.webhooks().subscriptions('doomed'), []);
    assert.deepEqual(await store.webhooks().deliveries(doomed.id, 10), []);
    assert.equal(await store.webhooks().queueDelivery(doomed.id, event(5, 'doomed/app'), Date.now()), undefined, 'nothing is queued for a deleted subscription');
    // A project made again under the name starts without the old project's receivers.
    await store.access().createProject({ name: 'doomed', public: false, createdBy: 'admin', now: Date.now() });
    assert.deepEqual(await store.webhooks().subscriptions('doomed'), []);

    assert.equal(await store.webhooks().deleteSubscription('team', subscription.id), true);
    assert.deepEqual(await store.webhooks().deliveries(subscription.id, 10), []);
    assert.equal(await store.webhooks().deleteSubscription('team', subscription.id), false);
  });
});
