import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventOrigin, RegistryEvent } from '../../src/events/registry-event.js';
import type { MetadataStore, NewManifest } from '../../src/metadata/metadata-store.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const alice: EventOrigin = { actor: 'alice', actorKind: 'user', address: '10.0.0.7' };

function manifest(overrides: Partial<NewManifest> = {}): NewManifest {
  return {
    repository: 'team/app', digest: digest(100), mediaType: 'application/vnd.oci.image.manifest.v1+json',
    content: Buffer.from('{"schemaVersion":2}'), artifactType: undefined, subjectDigest: undefined, annotations: undefined,
    references: [{ digest: digest(1), kind: 'blob' }], tags: ['v1'], origin: alice, now: 1_000, ...overrides,
  };
}

/** What a consumer sees of an event, without the parts that vary (id, time). */
const seen = (event: RegistryEvent) => ({
  type: event.type, repository: event.repository, digest: event.digest, tag: event.tag, actor: event.origin.actor,
  actorKind: event.origin.actorKind, address: event.origin.address, data: event.data,
});

/**
 * The outbox part of the metadata contract: every kind of change writes its events in its own transaction, with
 * who caused it; consumers read them in order from cursors of their own, under leases, and the events every consumer
 * has passed can be trimmed.
 */
export function outboxStoreTests(store: () => MetadataStore): void {
  describe('outbox', () => {
    it('records every kind of change with its actor, in order', async () => {
      const s = store();
      const start = await s.outbox().head();
      await s.linkBlob('team/app', digest(1), 10, undefined, { origin: alice });
      await s.linkBlob('team/copy', digest(1), 10, undefined, { origin: alice, from: 'team/app' });
      await s.putManifest(manifest({ tags: ['v1', 'latest'] }));
      await s.putManifest(manifest({ digest: digest(101), tags: ['latest'] }));
      await s.deleteTag('team/app', 'v1', alice);
      await s.deleteManifest('team/app', digest(101), alice);
      await s.unlinkBlob('team/copy', digest(1), alice);
      await s.policies().quarantine({ repository: 'team/app', digest: digest(100), children: [], reason: 'CVE-2024-3094', origin: alice, now: 2_000 });
      await s.policies().release('team/app', digest(100), alice, 3_000);
      const events = await s.outbox().read(start, 100);
      const person = { actor: 'alice', actorKind: 'user', address: '10.0.0.7' };
      const size = manifest().content.length;
      const mediaType = 'application/vnd.oci.image.manifest.v1+json';
      assert.deepEqual(events.map(seen), [
        { type: 'blob.pushed', repository: 'team/app', digest: digest(1), tag: undefined, ...person, data: { size: 10 } },
        { type: 'blob.mounted', repository: 'team/copy', digest: digest(1), tag: undefined, ...person, data: { size: 10, from: 'team/app' } },
        { type: 'artifact.pushed', repository: 'team/app', digest: digest(100), tag: 'v1', ...person, data: { tags: ['v1', 'latest'], mediaType, size } },
        { type: 'artifact.pushed', repository: 'team/app', digest: digest(101), tag: 'latest', ...person, data: { tags: ['latest'], mediaType, size } },
        { type: 'tag.moved', repository: 'team/app', digest: digest(101), tag: 'latest', ...person, data: { from: digest(100) } },
        { type: 'tag.deleted', repository: 'team/app', digest: digest(100), tag: 'v1', ...person, data: undefined },
        { type: 'artifact.deleted', repository: 'team/app', digest: digest(101), tag: 'latest', ...person, data: { tags: ['latest'] } },
        { type: 'blob.deleted', repository: 'team/copy', digest: digest(1), tag: undefined, ...person, data: undefined },
        { type: 'artifact.quarantined', repository: 'team/app', digest: digest(100), tag: undefined, ...person, data: { reason: 'CVE-2024-3094', children: 0 } },
        { type: 'artifact.released', repository: 'team/app', digest: digest(100), tag: undefined, ...person, data: { children: 0 } },
      ]);
      const ids = events.map((event) => event.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ids grow with each change');
      assert.equal(await s.outbox().head(), ids.at(-1));
    });

    it('records nothing for changes that did not happen', async () => {
      const s = store();
      const start = await s.outbox().head();
      assert.equal(await s.deleteTag('team/app', 'nope', alice), undefined);
      assert.equal(await s.deleteManifest('team/app', digest(5), alice), false);
      assert.equal(await s.unlinkBlob('team/app', digest(5), alice), false);
      assert.equal(await s.policies().release('team/app', digest(5), alice, 1), false);
      assert.deepEqual(await s.outbox().read(start, 10), []);
    });

    it('appends batches of events that go with no change (pulls), read back as written', async () => {
      const s = store();
      const start = await s.outbox().head();
      await s.outbox().append([1, 2, 3].map((n) => ({
        type: 'artifact.pulled' as const, repository: 'team/app', digest: digest(n), tag: 'v1', origin: alice, at: n, data: { mediaType: 'x' },
      })));
      const events = await s.outbox().read(start, 2);
      assert.deepEqual(events.map((event) => [event.type, event.digest, event.at]), [['artifact.pulled', digest(1), 1], ['artifact.pulled', digest(2), 2]]);
      assert.deepEqual((await s.outbox().read(events[1]!.id, 10)).map((event) => event.digest), [digest(3)]);
    });

    it('starts a new consumer at the head, keeps an existing cursor, and leases it to one owner at a time', async () => {
      const s = store();
      const outbox = s.outbox();
      await s.linkBlob('team/app', digest(1), 1);
      const head = await outbox.head();
      await outbox.ensureCursors(['audit', 'hooks'], 1);
      assert.equal((await outbox.cursor('audit'))?.position, head);
      assert.equal(await outbox.claimCursor('audit', 'node-a', 10_000, 1_000), head);
      assert.equal(await outbox.claimCursor('audit', 'node-b', 10_000, 2_000), undefined, 'held by node-a');
      assert.equal(await outbox.claimCursor('hooks', 'node-b', 10_000, 2_000), head, 'each consumer has its own lease');
      assert.ok(await outbox.advanceCursor('audit', 'node-a', head + 5, 3_000));
      assert.ok(!(await outbox.advanceCursor('audit', 'node-b', head + 9, 3_000)), 'only the holder moves it');
      await outbox.ensureCursors(['audit'], 4_000);
      assert.equal((await outbox.cursor('audit'))?.position, head + 5, 'an existing cursor is kept');
      assert.equal(await outbox.claimCursor('audit', 'node-b', 30_000, 20_000), head + 5, 'taken over once the lease ran out');
      await outbox.releaseCursor('audit', 'node-b');
      assert.equal(await outbox.claimCursor('audit', 'node-a', 30_000, 20_001), head + 5, 'released at once');
      assert.equal(await outbox.claimCursor('missing', 'node-a', 30_000, 20_001), undefined);
    });

    it('trims only what every consumer has passed, leaving out cursors nobody has touched for long', async () => {
      const s = store();
      const outbox = s.outbox();
      await outbox.ensureCursors(['audit', 'hooks', 'gone'], 1);
      const start = await outbox.head();
      for (let n = 1; n <= 5; n++) await s.linkBlob('team/app', digest(n), n);
      const ids = (await outbox.read(start, 10)).map((event) => event.id);
      await outbox.claimCursor('audit', 'a', 1e15, 1);
      await outbox.claimCursor('hooks', 'a', 1e15, 1);
      await outbox.advanceCursor('audit', 'a', ids[3]!, 2);
      await outbox.advanceCursor('hooks', 'a', ids[1]!, 2);
      assert.equal(await outbox.trim(100, 0), await countBefore(s, start), 'a consumer that never moved holds the rest back');
      await outbox.touchCursors(['gone'], 5);
      assert.equal(await outbox.trim(100, 2), 0, 'a touched cursor counts, however far behind');
      await outbox.touchCursors(['gone'], 1);
      assert.equal(await outbox.trim(100, 2), 2, 'one untouched past the staleness bound does not');
      assert.deepEqual((await outbox.read(0, 10)).map((event) => event.id), ids.slice(2));
      await outbox.advanceCursor('hooks', 'a', ids[4]!, 3);
      assert.equal(await outbox.trim(1, 2), 1, 'at most the limit');
      assert.equal(await outbox.trim(100, 2), 1);
      assert.deepEqual((await outbox.read(0, 10)).map((event) => event.id), [ids[4]]);
    });
  });
}

/** Events from before a test's start that a trim may also remove (none on a fresh store). */
async function countBefore(s: MetadataStore, start: number): Promise<number> {
  return (await s.outbox().read(0, 10_000)).filter((event) => event.id <= start).length;
}
