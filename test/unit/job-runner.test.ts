/*
 * The job runner over a real metadata store: several runners (nodes) share one queue; each job runs once; a job
 * whose node died is taken over when its lease runs out; failures are retried; progress is recorded.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Job } from '../../src/metadata/metadata-store.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import type { SqliteMetadataStore } from '../../src/metadata/sqlite-metadata-store.js';
import { JobRunner, type JobHandler } from '../../src/jobs/job-runner.js';
import { RequestActivity } from '../../src/jobs/request-activity.js';
import { eventually } from '../support/registry-client.js';

const log = pino({ level: 'silent' });

describe('job runner', { timeout: 60_000 }, () => {
  let dir: string;
  let store: SqliteMetadataStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-jobs-'));
    store = await openSqliteMetadataStore(join(dir, 'berth.db'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every queued job exactly once across three runners', async () => {
    const ran: number[] = [];
    const handler: JobHandler = async (job) => { ran.push((job.payload as { n: number }).n); };
    const runners = [1, 2, 3].map(() => new JobRunner(store, [{ kind: 'test.once', run: handler }], log, { pollMs: 20 }));
    for (const runner of runners) await runner.start();
    try {
      for (let n = 0; n < 12; n++) await runners[n % 3]!.enqueue({ kind: 'test.once', payload: { n }, runAfter: 0, maxAttempts: 1 });
      await eventually('every job to run', () => (ran.length >= 12 ? true : undefined));
      assert.deepEqual([...ran].sort((a, b) => a - b), [...Array(12).keys()]);
    } finally {
      await Promise.all(runners.map((runner) => runner.stop()));
    }
  });

  it('paces work that yields to requests while requests are served, runs other work meanwhile, and catches up after', async () => {
    const ran: string[] = [];
    const activity = new RequestActivity(10);
    // Requests arriving at 50 a second, for as long as the test says.
    const traffic = setInterval(activity.begin, 20);
    const slow: JobHandler = async (job) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ran.push(`scan ${(job.payload as { n: number }).n}`);
    };
    const runner = new JobRunner(store, [
      { kind: 'test.scan', run: slow, yieldsToRequests: true },
      { kind: 'test.deliver', run: async () => { ran.push('deliver'); } },
    ], log, { pollMs: 20, activity });
    for (let n = 0; n < 20; n++) activity.begin();
    await runner.start();
    try {
      for (let n = 0; n < 3; n++) await runner.enqueue({ kind: 'test.scan', payload: { n }, runAfter: 0, maxAttempts: 1 });
      await eventually('the first scan to run', () => (ran.length >= 1 ? true : undefined));
      // The first run was followed by a pause nine times as long (about 900 ms): other work is taken in it.
      await runner.enqueue({ kind: 'test.deliver', payload: {}, runAfter: 0, maxAttempts: 1 });
      await eventually('the delivery to run', () => (ran.includes('deliver') ? true : undefined));
      assert.deepEqual(ran, ['scan 0', 'deliver'], 'the delivery went ahead of the paused scans');
      clearInterval(traffic);
      await eventually('the backlog to run once requests stopped', () => (ran.length === 4 ? true : undefined));
      assert.deepEqual(ran.slice(2).sort(), ['scan 1', 'scan 2']);
    } finally {
      clearInterval(traffic);
      await runner.stop();
    }
  });

  it('counts a node busy by the rate requests arrive at, not by one request now and then', () => {
    const activity = new RequestActivity(50);
    for (let n = 0; n < 10; n++) activity.begin(0);
    assert.equal(activity.busy(500), false, '10 requests in a second is a UI or a monitor, not a burst');
    for (let n = 0; n < 60; n++) activity.begin(600);
    assert.equal(activity.busy(900), true);
    assert.equal(activity.busy(1_200), true, 'the last window still counts, by how much it overlaps the last second');
    assert.equal(activity.busy(1_800), false);
    assert.equal(activity.busy(3_500), false, 'two seconds without requests');
  });

  it('takes over the job of a node that died holding it, once the lease runs out', async () => {
    const id = await store.enqueueJob({ kind: 'test.takeover', payload: {}, runAfter: 0, maxAttempts: 3, now: Date.now() });
    // A node claims it with a short lease and dies: it never renews nor finishes.
    assert.equal((await store.claimJob(['test.takeover'], 'dead-node', 200, Date.now()))?.id, id);
    let seen: Job | undefined;
    const runner = new JobRunner(store, [{ kind: 'test.takeover', run: async (job) => { seen = job; } }], log, { pollMs: 20 });
    await runner.start();
    try {
      await eventually('the job to be taken over and done', async () => ((await store.job(id))?.status === 'done' ? true : undefined));
      assert.equal(seen?.attempts, 2, 'the second run of the job');
    } finally {
      await runner.stop();
    }
  });

  it('retries a failing job and records its progress and last error', async () => {
    let runs = 0;
    const runner = new JobRunner(store, [{
      kind: 'test.flaky',
      run: async (_job, context) => {
        runs++;
        await context.progress({ done: runs, total: 2, note: 'working' });
        if (runs === 1) throw new Error('first run fails');
      },
    }], log, { pollMs: 20 });
    await runner.start();
    try {
      // The retry comes 2 s after the failure (the backoff's first step); the bound only stops a broken build.
      const id = await runner.enqueue({ kind: 'test.flaky', payload: {}, runAfter: 0, maxAttempts: 3 });
      await eventually('the retry to succeed', async () => ((await store.job(id))?.status === 'done' ? true : undefined),
        { attempts: 300, intervalMs: 50 });
      const job = await store.job(id);
      assert.equal(job?.attempts, 2);
      assert.equal(job?.lastError, 'first run fails');
      assert.deepEqual(job?.progress, { done: 2, total: 2, note: 'working' });
    } finally {
      await runner.stop();
    }
  });

  it('queues a periodic kind once per interval however many runners start, and again after each run', async () => {
    let runs = 0;
    const every = 300;
    const definition = { kind: 'test.periodic', everyMs: every, run: async () => { runs++; } };
    const runners = [1, 2].map(() => new JobRunner(store, [definition], log, { pollMs: 20 }));
    const started = Date.now();
    for (const runner of runners) await runner.start();
    try {
      await eventually('two intervals to pass', () => (runs >= 2 ? true : undefined), { attempts: 200, intervalMs: 20 });
      const slot = Math.floor(Date.now() / every) + 1;
      const next = await store.enqueueJob({ kind: 'test.periodic', payload: {}, uniqueKey: `test.periodic:${slot}`, runAfter: 0, maxAttempts: 1, now: Date.now() });
      const queued = await store.job(next);
      assert.ok(queued, 'the next interval is queued under its key');
    } finally {
      await Promise.all(runners.map((runner) => runner.stop()));
    }
    const intervals = Math.ceil((Date.now() - started) / every) + 1;
    assert.ok(runs <= intervals, `one run per interval, not one per runner (${runs} runs in ${intervals} intervals)`);
  });

  it('waits as a kind asks between attempts, and refuses two kinds of one name', async () => {
    let runs = 0;
    const runner = new JobRunner(store, [{
      kind: 'test.quick-retry', maxAttempts: 4, backoffMs: () => 10,
      run: async () => { if (++runs < 3) throw new Error('not yet'); },
    }], log, { pollMs: 60_000 });
    await runner.start();
    try {
      const id = await runner.enqueue({ kind: 'test.quick-retry', payload: {}, runAfter: 0, maxAttempts: 4 });
      // The poll is a minute: only the runner waking itself for the retry gets this done.
      await eventually('the third attempt to succeed', async () => ((await store.job(id))?.status === 'done' ? true : undefined));
      assert.equal((await store.job(id))?.attempts, 3);
    } finally {
      await runner.stop();
    }
    assert.throws(() => new JobRunner(store, [{ kind: 'x', run: async () => {} }, { kind: 'x', run: async () => {} }], log), /two features declare the job kind x/);
  });
});
