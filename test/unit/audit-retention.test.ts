import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { pino } from 'pino';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import { AuditRetention, auditPurgeKind } from '../../src/registry/audit-retention.js';

const day = 24 * 60 * 60 * 1000;

it('deletes audit events past their retention, a slice at a time, and queues the next day\'s purge', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-audit-retention-'));
  const store = await openSqliteMetadataStore(join(dir, 'berth.db'));
  try {
    const now = Date.now();
    const event = (at: number, actor: string) => ({ at, actor, actorKind: 'user' as const, action: 'pull', outcome: 'ok' as const });
    await store.access().appendAudit([
      ...Array.from({ length: 25 }, (_, i) => event(now - 40 * day - i, 'old')),
      event(now - 29 * day, 'recent'),
      event(now, 'new'),
    ]);
    const progress: number[] = [];
    const retention = new AuditRetention(store, 30, pino({ level: 'silent' }), day, 10);
    assert.equal(await retention.purge(now, (done) => { progress.push(done); }), 25);
    assert.deepEqual(progress, [10, 20]);
    assert.deepEqual((await store.access().queryAudit({ limit: 10 })).map((e) => e.actor), ['new', 'recent']);
    await retention.start();
    const job = await store.claimJob([auditPurgeKind], 'test', 1000, now + 2 * day);
    assert.equal(job?.kind, auditPurgeKind);
    assert.equal(await new AuditRetention(store, 0, pino({ level: 'silent' })).purge(now + 400 * day), 0, '0 keeps everything');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
