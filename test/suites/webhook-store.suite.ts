import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RegistryEvent } from '../../src/events/registry-event.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import type { NewWebhook } from '../../src/metadata/webhook-store.js';
import type { MetadataStoreHarness } from './metadata-store.suite.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function event(id: number, repository = 'team/app'): RegistryEvent {
  return {
    id, type: 'artifact.pushed', repository, digest: digest(id), tag: 'v1', at: 1_000 + id,
    origin: { actor: 'bob', actorKind: 'user', address: '10.0.0.2' }, data: { tags: ['v1'], size: 7 },
  };
}

function subscription(overrides: Partial<NewWebhook> = {}): NewWebhook {
  return {
    project: 'team', url: 'https://hooks.example.com/a', secret: 'whsec_AAAA', eventTypes: ['artifact.pushed', 'tag.deleted'],
    repositoryPattern: '**', tagPattern: 'v*', description: 'ci', enabled: true, createdBy: 'bob', createdAt: 5, ...overrides,
  };
}

/** The webhook part of the metadata contract: subscriptions per project, and delivery logs with their attempts. */
export function webhookStoreSuite(name: string, harness: MetadataStoreHarness): void {
  describe(`webhook store contract: ${name}`, () => {
    let store: MetadataStore;
    beforeEach(async () => {
      store = await harness.create();
      for (const project of ['team', 'other']) await store.access().createProject({ name: project, public: false, createdBy: 'bob', now: 1 });
    });
    afterEach(async () => { await (harness.dispose ? harness.dispose(store) : store.close()); });

    it('keeps subscriptions per project, secret included, and moves the change version with each write', async () => {
      const webhooks = store.webhooks();
      const version = store.changeVersion();
      const made = (await webhooks.createSubscription(subscription()))!;
      assert.notEqual(store.changeVersion(), version, 'a subscription write moves the change version, so caches drop');
      assert.deepEqual(made, { id: made.id, ...subscription(), updatedAt: 5 });
      await webhooks.createSubscription(subscription({ project: 'other', url: 'https://hooks.example.com/b' }));
      assert.deepEqual(await webhooks.subscriptions('team'), [made]);
      assert.deepEqual(await webhooks.subscription('team', made.id), made);
      assert.equal(await webhooks.subscription('other', made.id), undefined, 'a subscription is found through its own project only');
      assert.equal(await webhooks.createSubscription(subscription({ project: 'nowhere' })), undefined);

      const changed = await webhooks.updateSubscription('team', made.id, { url: 'https://x.example.com/', enabled: false, description: null, eventTypes: ['artifact.pulled'] }, 9);
      assert.deepEqual(changed, { ...made, url: 'https://x.example.com/', enabled: false, description: undefined, eventTypes: ['artifact.pulled'], updatedAt: 9 });
      assert.equal(await webhooks.updateSubscription('other', made.id, { enabled: true }, 10), undefined);
      assert.equal((await webhooks.updateSubscription('team', made.id, { secret: 'whsec_BBBB' }, 11))?.secret, 'whsec_BBBB');

      assert.equal(await webhooks.deleteSubscription('other', made.id), false);
      assert.equal(await webhooks.deleteSubscription('team', made.id), true);
      assert.deepEqual(await webhooks.subscriptions('team'), []);
    });

    it('makes one delivery per subscription and event, keeping a copy of the event', async () => {
      const webhooks = store.webhooks();
      const { id } = (await webhooks.createSubscription(subscription()))!;
      const first = await webhooks.queueDelivery(id, event(1), 20);
      assert.equal(first?.created, true);
      assert.deepEqual({ ...first!.delivery, id: 0 }, {
        id: 0, subscriptionId: id, eventId: 1, eventType: 'artifact.pushed', repository: 'team/app', digest: digest(1), tag: 'v1',
        status: 'queued', error: undefined, createdAt: 20, updatedAt: 20, attempts: [],
      });
      const again = await webhooks.queueDelivery(id, event(1), 30);
      assert.equal(again?.created, false);
      assert.equal(again?.delivery.id, first!.delivery.id);
      const sending = await webhooks.deliveryToSend(first!.delivery.id);
      assert.deepEqual(sending?.event, event(1));
      assert.equal(sending?.subscription.secret, 'whsec_AAAA');
      assert.equal(sending?.status, 'queued');
      assert.equal(await webhooks.queueDelivery(id + 1000, event(2), 30), undefined, 'nothing is queued for a subscription that is gone');
    });

    it('logs attempts in order and pages deliveries newest first', async () => {
      const webhooks = store.webhooks();
      const { id } = (await webhooks.createSubscription(subscription()))!;
      const ids: number[] = [];
      for (let n = 1; n <= 5; n++) ids.push((await webhooks.queueDelivery(id, event(n), 100 + n))!.delivery.id);
      assert.equal(await webhooks.recordAttempt(ids[0]!, { status: 'retrying', responseCode: 500, durationMs: 12.4, error: 'answered 500', at: 200 }), 1);
      assert.equal(await webhooks.recordAttempt(ids[0]!, { status: 'delivered', responseCode: 204, durationMs: 3, error: undefined, at: 300 }), 2);
      const delivered = await webhooks.delivery(id, ids[0]!);
      assert.equal(delivered?.status, 'delivered');
      assert.equal(delivered?.updatedAt, 300);
      assert.deepEqual(delivered?.attempts, [
        { attempt: 1, status: 'retrying', responseCode: 500, durationMs: 12, error: 'answered 500', at: 200 },
        { attempt: 2, status: 'delivered', responseCode: 204, durationMs: 3, error: undefined, at: 300 },
      ]);
      await webhooks.recordAttempt(ids[1]!, { status: 'failed', responseCode: undefined, durationMs: 10, error: 'refused', at: 400 });

      const page = await webhooks.deliveries(id, 2);
      assert.deepEqual(page.map((d) => d.eventId), [5, 4]);
      assert.deepEqual((await webhooks.deliveries(id, 10, ids[2])).map((d) => [d.eventId, d.attempts.length, d.status, d.error]),
        [[2, 1, 'failed', 'refused'], [1, 2, 'delivered', undefined]]);
      assert.equal(await webhooks.delivery(id + 1000, ids[0]!), undefined, 'a delivery is found through its own subscription only');

      assert.equal(await webhooks.setDeliveryStatus(ids[2]!, 'queued', ['delivered', 'failed'], 500), false, 'a queued delivery is not replayed over itself');
      assert.equal(await webhooks.setDeliveryStatus(ids[1]!, 'queued', ['delivered', 'failed'], 500), true);
      assert.equal((await webhooks.delivery(id, ids[1]!))?.status, 'queued');
      assert.equal(await webhooks.recordAttempt(ids[1]!, { status: 'delivered', responseCode: 200, durationMs: 1, error: undefined, at: 600 }), 2,
        'a replay goes on counting attempts');
    });

    it('trims old finished deliveries, and deletes logs with their subscription and subscriptions with their project', async () => {
      const webhooks = store.webhooks();
      const { id } = (await webhooks.createSubscription(subscription()))!;
      const old = (await webhooks.queueDelivery(id, event(1), 10))!.delivery.id;
      await webhooks.recordAttempt(old, { status: 'delivered', responseCode: 200, durationMs: 1, error: undefined, at: 10 });
      await webhooks.queueDelivery(id, event(2), 10); // old but still queued: kept
      const recent = (await webhooks.queueDelivery(id, event(3), 1_000))!.delivery.id;
      await webhooks.recordAttempt(recent, { status: 'failed', responseCode: 500, durationMs: 1, error: 'x', at: 1_000 });
      assert.equal(await webhooks.trimDeliveries(500, 100), 1);
      assert.deepEqual((await webhooks.deliveries(id, 10)).map((d) => d.eventId), [3, 2]);

      const other = (await webhooks.createSubscription(subscription({ project: 'other' })))!;
      await webhooks.queueDelivery(other.id, event(4, 'other/app'), 10);
      assert.equal(await webhooks.deleteSubscription('team', id), true);
      assert.deepEqual(await webhooks.deliveries(id, 10), []);
      const project = await store.access().projectByName('other');
      await store.access().deleteProject(project!.id);
      assert.deepEqual(await webhooks.subscriptions('other'), []);
      assert.deepEqual(await webhooks.deliveries(other.id, 10), []);
    });
  });
}
