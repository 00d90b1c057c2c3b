import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventOrigin } from '../../src/events/registry-event.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const bob: EventOrigin = { actor: 'bob', actorKind: 'user', address: '10.0.0.2' };

/** The policy part of the metadata contract: immutable-tag rules, quarantines (with an index's children) and recall. */
export function policyStoreTests(store: () => MetadataStore): void {
  describe('policies', () => {
    it('keeps immutable-tag rules per project', async () => {
      const policies = store().policies();
      const rule = await policies.addImmutableRule({ project: 'team', repositoryPattern: '**', tagPattern: 'v*', createdBy: 'bob', createdAt: 5 });
      await policies.addImmutableRule({ project: 'other', repositoryPattern: 'app', tagPattern: '*', createdBy: 'bob', createdAt: 6 });
      assert.deepEqual(await policies.immutableRules('team'), [rule]);
      assert.deepEqual(rule, { id: rule.id, project: 'team', repositoryPattern: '**', tagPattern: 'v*', createdBy: 'bob', createdAt: 5 });
      assert.ok(!(await policies.deleteImmutableRule('other', rule.id)), 'a rule is removed only through its own project');
      assert.ok(await policies.deleteImmutableRule('team', rule.id));
      assert.deepEqual(await policies.immutableRules('team'), []);
    });

    it('quarantines an index with its children, and releases them together', async () => {
      const s = store();
      const policies = s.policies();
      const version = s.changeVersion();
      assert.ok(await policies.quarantine({ repository: 'team/app', digest: digest(1), children: [digest(2), digest(3)], reason: 'bad', origin: bob, now: 10 }));
      assert.notEqual(s.changeVersion(), version, 'a quarantine moves the change version, so policy caches drop');
      assert.ok(!(await policies.quarantine({ repository: 'team/app', digest: digest(1), children: [], reason: 'again', origin: bob, now: 11 })));
      assert.ok(await policies.quarantine({ repository: 'team/app', digest: digest(3), children: [], reason: 'own', origin: bob, now: 12 }));
      const found = await policies.quarantinesIn('team/app');
      assert.deepEqual([...found.keys()].sort(), [digest(1), digest(2), digest(3)]);
      assert.deepEqual(found.get(digest(2)), { repository: 'team/app', digest: digest(2), via: digest(1), reason: 'bad', createdBy: 'bob', createdAt: 10 });
      assert.equal(found.get(digest(3))?.reason, 'own', 'its own quarantine comes before the one inherited from the index');
      assert.equal((await policies.quarantinesIn('team/other')).size, 0);
      assert.ok(await policies.release('team/app', digest(1), bob, 20));
      assert.deepEqual([...(await policies.quarantinesIn('team/app')).keys()], [digest(3)], 'children go with the index; own quarantines stay');
      assert.ok(!(await policies.release('team/app', digest(2), bob, 21)), 'a child is released through its index only');
    });

    it('lists quarantines of one project or of all', async () => {
      const policies = store().policies();
      await policies.quarantine({ repository: 'team/app', digest: digest(1), children: [], reason: 'a', origin: bob, now: 1 });
      await policies.quarantine({ repository: 'team', digest: digest(2), children: [], reason: 'b', origin: bob, now: 2 });
      await policies.quarantine({ repository: 'teams/app', digest: digest(3), children: [], reason: 'c', origin: bob, now: 3 });
      assert.deepEqual((await policies.listQuarantines('team', 10)).map((q) => q.digest), [digest(2), digest(1)]);
      assert.deepEqual((await policies.listQuarantines(undefined, 10)).map((q) => q.digest), [digest(3), digest(2), digest(1)]);
    });

    it('tells who pulled a digest from the audit log', async () => {
      const s = store();
      const pull = (actor: string, actorKind: 'user' | 'robot', at: number, address: string, d = digest(1), repository = 'team/app') =>
        ({ at, actor, actorKind, action: 'pull', repository, digest: d, tag: 'v1', address, outcome: 'ok' as const });
      await s.access().appendAudit([
        pull('robot$ci', 'robot', 10, '10.0.0.1'), pull('robot$ci', 'robot', 30, '10.0.0.9'), pull('robot$ci', 'robot', 20, '10.0.0.1'),
        pull('robot$deploy', 'robot', 15, '10.0.0.3'),
        pull('alice', 'user', 50, '10.0.0.4', digest(2)), pull('carol', 'user', 60, '10.0.0.5', digest(1), 'team/other'),
        { ...pull('mallory', 'user', 70, '10.6.6.6'), outcome: 'denied' as const },
      ]);
      assert.deepEqual(await s.policies().pullers('team/app', digest(1)), [
        { actor: 'robot$ci', actorKind: 'robot', count: 3, firstPull: 10, lastPull: 30, addresses: ['10.0.0.9', '10.0.0.1'] },
        { actor: 'robot$deploy', actorKind: 'robot', count: 1, firstPull: 15, lastPull: 15, addresses: ['10.0.0.3'] },
      ]);
    });
  });
}
