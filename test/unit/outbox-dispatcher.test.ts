import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Sqlite from 'better-sqlite3';
import { pino } from 'pino';
import type { Job } from '../../src/metadata/metadata-store.js';
import { OutboxDispatcher } from '../../src/events/outbox-dispatcher.js';
import type { OutboxConsumer } from '../../src/events/outbox-consumer.js';
import type { RegistryEvent } from '../../src/events/registry-event.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import type { SqliteMetadataStore } from '../../src/metadata/sqlite-metadata-store.js';
import { eventually } from '../support/registry-client.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const log = pino({ level: 'silent' });

function recorder(name: string, types?: RegistryEvent['type'][]): OutboxConsumer & { seen: RegistryEvent[] } {
  const seen: RegistryEvent[] = [];
  return { name, seen, ...(types && { types: new Set(types) }), async handle(events) { seen.push(...events); } };
}

describe('outbox dispatcher', () => {
  let dir: string;
  let store: SqliteMetadataStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-dispatcher-'));
    store = await openSqliteMetadataStore(join(dir, 'berth.db'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('feeds two consumers in order from their own cursors, each only the types it wants', async () => {
    await store.linkBlob('early/app', digest(1), 1);
    const all = recorder('all');
    const manifests = recorder('manifests', ['artifact.pushed', 'artifact.deleted']);
    const dispatcher = new OutboxDispatcher(store.outbox(), [all, manifests], 'node-a', log, { pollMs: 10 });
    await dispatcher.start();
    try {
      await store.linkBlob('team/app', digest(2), 2);
      await store.putManifest({
        repository: 'team/app', digest: digest(100), mediaType: 'application/vnd.oci.image.manifest.v1+json', content: Buffer.from('{}'),
        artifactType: undefined, subjectDigest: undefined, annotations: undefined, references: [], tags: ['v1'], now: 1,
      });
      await store.deleteManifest('team/app', digest(100));
      await eventually('both consumers to catch up', () => (all.seen.length === 3 && manifests.seen.length === 2 ? true : undefined));
      assert.deepEqual(all.seen.map((event) => event.type), ['blob.pushed', 'artifact.pushed', 'artifact.deleted'],
        'a new consumer starts at the head: the blob linked before it existed is not replayed');
      assert.deepEqual(manifests.seen.map((event) => event.type), ['artifact.pushed', 'artifact.deleted']);
      const head = await store.outbox().head();
      assert.equal((await store.outbox().cursor('manifests'))?.position, head, 'a cursor passes the types its consumer skips');
    } finally {
      await dispatcher.stop();
    }
    assert.equal((await store.outbox().cursor('all'))?.leaseOwner, undefined, 'stopping hands the consumers back');
  });

  it('gives a failing consumer the same events again until it succeeds, without holding back the others', async () => {
    let failures = 2;
    const flaky: OutboxConsumer & { seen: number[] } = {
      name: 'flaky', seen: [],
      async handle(events) {
        if (failures-- > 0) throw new Error('receiver down');
        this.seen.push(...events.map((event) => event.id));
      },
    };
    const steady = recorder('steady');
    const dispatcher = new OutboxDispatcher(store.outbox(), [flaky, steady], 'node-a', log, { pollMs: 10 });
    await dispatcher.start();
    try {
      for (let n = 10; n < 13; n++) await store.linkBlob('team/app', digest(n), n);
      await eventually('the steady consumer to see all three', () => (steady.seen.length === 3 ? true : undefined));
      await eventually('the flaky one after its failures', () => (flaky.seen.length === 3 ? true : undefined));
      assert.deepEqual(flaky.seen, steady.seen.map((event) => event.id));
    } finally {
      await dispatcher.stop();
    }
  });

  it('lets a reader wait until a consumer has handled everything written before it asked', async () => {
    const slow: OutboxConsumer & { seen: number } = {
      name: 'slow', seen: 0,
      async handle(events) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        this.seen += events.length;
      },
    };
    // A poll of a minute: only the catch-up can get the events through in time.
    const dispatcher = new OutboxDispatcher(store.outbox(), [slow], 'node-a', log, { pollMs: 60_000 });
    await dispatcher.start();
    try {
      for (let n = 20; n < 25; n++) await store.linkBlob('team/app', digest(n), n);
      await dispatcher.catchUp('slow');
      assert.equal(slow.seen, 5);
    } finally {
      await dispatcher.stop();
    }
  });

  it('waits at a hole in the ids (a transaction not yet committed) until it is older than the grace', async () => {
    const consumer = recorder('holes');
    const outbox = store.outbox();
    const dispatcher = new OutboxDispatcher(outbox, [consumer], 'node-a', log, { pollMs: 10, gapGraceMs: 300 });
    await dispatcher.start();
    try {
      const head = await outbox.head();
      // An id skipped as PostgreSQL skips one for a transaction that commits later (or never): written with a gap.
      const origin = { actor: 'x', actorKind: 'user' as const };
      await outbox.append([{ type: 'artifact.pulled', repository: 'team/app', digest: digest(1), origin, at: Date.now() }]);
      const skipped = head + 2;
      await store.outbox().append([{ type: 'artifact.pulled', repository: 'team/app', digest: digest(3), origin, at: Date.now() }]);
      // Move the second event to leave a hole at `skipped`.
      moveEvent(join(dir, 'berth.db'), head + 2, head + 3);
      await eventually('the event before the hole', () => (consumer.seen.length === 1 ? true : undefined));
      assert.equal(consumer.seen.length, 1, 'stopped at the hole');
      await eventually('the event after the hole once the grace has passed', () => (consumer.seen.length === 2 ? true : undefined));
      assert.deepEqual(consumer.seen.map((event) => event.id), [head + 1, skipped + 1]);
    } finally {
      await dispatcher.stop();
    }
  });

  it('trims what every consumer has passed as a periodic job', async () => {
    // A database of its own: the consumers of the tests above keep cursors that hold their events.
    const own = await openSqliteMetadataStore(join(dir, 'trim.db'));
    const a = recorder('trim-a');
    const dispatcher = new OutboxDispatcher(own.outbox(), [a], 'node-a', log, { pollMs: 10 });
    await dispatcher.start();
    try {
      for (let n = 30; n < 33; n++) await own.linkBlob('team/app', digest(n), n);
      await dispatcher.catchUp('trim-a');
      const job = dispatcher.trimJob;
      assert.deepEqual([job.kind, job.everyMs], ['outbox.trim', 60_000]);
      await job.run({} as Job, { progress: async () => {}, signal: new AbortController().signal });
      assert.deepEqual(await own.outbox().read(0, 100), [], 'the only consumer passed everything');
    } finally {
      await dispatcher.stop();
      await own.close();
    }
  });
});

/** Renumbers an event, leaving a hole where it was (what a reader sees before a slower transaction commits). */
function moveEvent(database: string, from: number, to: number): void {
  const db = new Sqlite(database);
  try {
    db.prepare('UPDATE events SET id = ? WHERE id = ?').run(to, from);
  } finally {
    db.close();
  }
}
