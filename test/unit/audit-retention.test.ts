import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { pino } from 'pino';
import { auditRetention, purgeAudit } from '../../src/features/audit-retention/audit-retention.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';

const day = 24 * 60 * 60 * 1000;

it('deletes audit events past their retention, a slice at a time, as a daily job', async () => {
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
    assert.equal(await purgeAudit(store.access(), 30, now, 10, (done) => { progress.push(done); }), 25);
    assert.deepEqual(progress, [10, 20]);
    assert.deepEqual((await store.access().queryAudit({ limit: 10 })).map((e) => e.actor), ['new', 'recent']);
    const feature = auditRetention(store.access(), { keepDays: 30, log: pino({ level: 'silent' }) });
    assert.deepEqual(feature.jobs?.map((job) => [job.kind, job.everyMs]), [['audit.purge', day]]);
    assert.equal(await purgeAudit(store.access(), 0, now + 400 * day, 10), 0, '0 keeps everything');
    assert.deepEqual(auditRetention(store.access(), { keepDays: 0, log: pino({ level: 'silent' }) }).jobs, undefined, 'and queues nothing');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
