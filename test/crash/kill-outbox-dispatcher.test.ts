import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import { eventually } from '../support/registry-client.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function startRecorder(database: string, output: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../support/outbox-recorder.ts'), database, output],
    { stdio: ['ignore', 'pipe', 'inherit'] });
}

function handled(output: string): number[] {
  return existsSync(output) ? readFileSync(output, 'utf8').split('\n').filter(Boolean).map(Number) : [];
}

it('delivers every event in order, at least once, when the node feeding a consumer is killed with SIGKILL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-outbox-kill-'));
  const database = join(dir, 'berth.db');
  const output = join(dir, 'handled.txt');
  writeFileSync(output, '');
  const store = await openSqliteMetadataStore(database);
  const children: ChildProcess[] = [];
  try {
    await store.outbox().ensureCursors(['recorder'], Date.now());
    for (let n = 1; n <= 150; n++) await store.linkBlob('team/app', digest(n), n);
    const ids = (await store.outbox().read(0, 1_000)).map((event) => event.id);
    assert.equal(ids.length, 150);

    const first = startRecorder(database, output);
    children.push(first);
    await eventually('the first node to handle some events', () => (handled(output).length >= 40 ? true : undefined), { attempts: 600, intervalMs: 20 });
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const beforeKill = handled(output).length;
    assert.ok(beforeKill < 150, 'killed before it was done');

    // Events written while no node feeds the consumer wait for the next one.
    for (let n = 151; n <= 160; n++) await store.linkBlob('team/app', digest(n), n);
    const all = (await store.outbox().read(0, 1_000)).map((event) => event.id);

    children.push(startRecorder(database, output));
    await eventually('a second node to take over once the lease ran out and finish', () =>
      (handled(output).at(-1) === all.at(-1) ? true : undefined), { attempts: 600, intervalMs: 25 });

    const seen = handled(output);
    const firstSeen = seen.filter((id, index) => seen.indexOf(id) === index);
    assert.deepEqual(firstSeen, all, 'every event, none skipped, in order');
    // At least once: only events of the batch the first node was in when it died may come twice.
    assert.ok(seen.length - all.length <= 25, `at most one batch again (${seen.length - all.length} repeated)`);
    // The recorder writes what it handled before its cursor moves past it, so the cursor may follow a moment later.
    await eventually('the cursor to pass everything', async () =>
      ((await store.outbox().cursor('recorder'))?.position === all.at(-1) ? true : undefined), { attempts: 600, intervalMs: 25 });
    assert.ok(await store.outbox().trim(1_000, 0) >= all.length, 'and everything it passed can be trimmed');
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
