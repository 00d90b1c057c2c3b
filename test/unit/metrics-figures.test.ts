import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { cacheLookups, VersionedCache } from '../../src/metadata/versioned-cache.js';
import { gitCommit } from '../../src/metrics/build-info.js';
import { durationBuckets, HttpMetrics } from '../../src/metrics/http-metrics.js';
import { PrecountedHistogram } from '../../src/metrics/precounted-histogram.js';
import { CollectorFailures, jobFigures, outboxLag, poolConnections, withDeadline } from '../../src/metrics/scrape-collectors.js';
import { parseMetrics, samplesOf } from '../support/prometheus.js';

describe('request figures', () => {
  it('counts requests by route, method and status, and their durations into buckets', () => {
    const http = new HttpMetrics();
    http.record('manifest', 'GET', 200, 0.0002);
    http.record('manifest', 'GET', 200, 0.003);
    http.record('manifest', 'GET', 404, 1000);
    http.record('blob', 'GET', 307, 0.02);
    const manifest = [...http.series()].find((series) => series.route === 'manifest' && series.method === 'GET')!;
    assert.deepEqual([...manifest.codes], [[200, 2], [404, 1]]);
    assert.equal(manifest.count, 3);
    assert.equal(manifest.buckets[0], 1, 'up to half a millisecond');
    assert.equal(manifest.buckets[durationBuckets.indexOf(0.005)], 1);
    assert.equal([...manifest.buckets].reduce((sum, count) => sum + count, 0), 2, 'past the last bound: only in the count');
    assert.equal(http.answered('manifest', 'GET', [200]), 2);
    assert.equal(http.answered('blob', 'GET', [200, 307]), 1);
    assert.equal(http.answered('tags', 'GET', [200]), 0);
  });

  it('tracks requests in flight', () => {
    const http = new HttpMetrics();
    http.started();
    http.started();
    http.ended();
    assert.equal(http.inFlight, 1);
  });

  it('writes a precounted histogram as Prometheus does: cumulative buckets, +Inf, sum and count per label set', async () => {
    const registry = new Registry();
    new PrecountedHistogram('test_duration_seconds', 'A test.', [0.1, 1], () => [
      { labels: { route: 'a' }, buckets: [2, 1], sum: 1.5, count: 4 },
    ]).registerIn(registry);
    const metrics = parseMetrics(await registry.metrics());
    assert.equal(metrics.types.get('test_duration_seconds'), 'histogram');
    assert.deepEqual(samplesOf(metrics, 'test_duration_seconds_bucket').map((sample) => [sample.labels.le, sample.value]),
      [['0.1', 2], ['1', 3], ['+Inf', 4]]);
    assert.deepEqual(samplesOf(metrics, 'test_duration_seconds_sum', { route: 'a' }).map((sample) => sample.value), [1.5]);
    assert.deepEqual(samplesOf(metrics, 'test_duration_seconds_count', { route: 'a' }).map((sample) => sample.value), [4]);
  });
});

describe('scrape-time collectors', () => {
  it('leave a failed figure out of the scrape, count the failure, and serve the rest', async () => {
    const registry = new Registry();
    const failures = new CollectorFailures(pino({ level: 'silent' }));
    new Gauge({
      name: 'test_sync', help: 'Throws.', registers: [registry], collect: failures.guard('test_sync', () => { throw new Error('broken'); }),
    });
    new Gauge({
      name: 'test_async', help: 'Rejects.', registers: [registry],
      collect: failures.guard('test_async', async () => { throw new Error('database gone'); }),
    });
    new Gauge({ name: 'test_fine', help: 'Works.', registers: [registry], collect: failures.guard('test_fine', (metric: Gauge) => metric.set(3)) });
    const metrics = parseMetrics(await registry.metrics());
    assert.equal(samplesOf(metrics, 'test_sync').length, 0);
    assert.equal(samplesOf(metrics, 'test_async').length, 0);
    assert.deepEqual(samplesOf(metrics, 'test_fine').map((sample) => sample.value), [3]);
    assert.deepEqual([...failures.counts], [['test_sync', 1], ['test_async', 1]]);
  });

  it('give up on a query that does not answer in time', async () => {
    // The deadline's timer is unref'd (a scrape must not hold a closing process open); in a real scrape the pending
    // query's socket keeps the event loop alive, here this interval stands in for it.
    const alive = setInterval(() => {}, 1000);
    try {
      await assert.rejects(withDeadline(new Promise(() => {}), 'counting the jobs', 10), /counting the jobs took longer than 10 ms/);
      assert.equal(await withDeadline(Promise.resolve(5), 'a quick query', 10), 5);
    } finally {
      clearInterval(alive);
    }
  });

  it('list every declared job kind, zero when none is open, with kinds only other nodes know', () => {
    const figures = jobFigures(['uploads.sweep', 'webhooks.deliver'], [
      { kind: 'webhooks.deliver', status: 'queued', count: 4 }, { kind: 'scan.image', status: 'running', count: 1 },
    ]);
    assert.deepEqual(figures, [
      { kind: 'uploads.sweep', status: 'queued', count: 0 }, { kind: 'uploads.sweep', status: 'running', count: 0 },
      { kind: 'webhooks.deliver', status: 'queued', count: 4 }, { kind: 'webhooks.deliver', status: 'running', count: 0 },
      { kind: 'scan.image', status: 'running', count: 1 },
    ]);
  });

  it('measure the outbox lag from the head, leaving out consumers that have not started', () => {
    const cursor = (consumer: string, position: number) => ({ consumer, position, leaseOwner: undefined, leaseUntil: undefined });
    assert.deepEqual(outboxLag(10, [cursor('audit', 4), undefined, cursor('webhooks', 12)]),
      [{ consumer: 'audit', events: 6 }, { consumer: 'webhooks', events: 0 }]);
  });

  it('split the pool into idle connections and those in use', () => {
    assert.deepEqual(poolConnections({ total: 5, idle: 2, waiting: 1, max: 10 }), [{ state: 'idle', count: 2 }, { state: 'in_use', count: 3 }]);
  });
});

describe('cache lookups', () => {
  it('count hits and misses by cache name, a version change included', () => {
    const cache = new VersionedCache<string>(100, () => 1, 'test_lookups');
    const lookups = () => ({ ...cacheLookups().get('test_lookups') });
    assert.equal(cache.get('a', 1), undefined);
    cache.set('a', 'value', 1);
    assert.equal(cache.get('a', 1), 'value');
    assert.equal(cache.get('b', 1), undefined);
    assert.equal(cache.get('a', 2), undefined, 'a new version empties the cache');
    assert.deepEqual(lookups(), { hits: 1, misses: 3 });
  });
});

describe('build info', () => {
  const commit = 'a'.repeat(40);
  const gitDir = (): string => {
    const dir = join(mkdtempSync(join(tmpdir(), 'berth-git-')), '.git');
    mkdirSync(join(dir, 'refs', 'heads'), { recursive: true });
    return dir;
  };

  it('reads the commit of a branch, loose or packed, or of a detached HEAD', () => {
    const loose = gitDir();
    writeFileSync(join(loose, 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(loose, 'refs', 'heads', 'main'), `${commit}\n`);
    assert.equal(gitCommit(loose), 'aaaaaaaaaaaa');
    const packed = gitDir();
    writeFileSync(join(packed, 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(packed, 'packed-refs'), `# pack-refs with: peeled fully-peeled sorted\n${'b'.repeat(40)} refs/heads/main\n`);
    assert.equal(gitCommit(packed), 'bbbbbbbbbbbb');
    const detached = gitDir();
    writeFileSync(join(detached, 'HEAD'), `${'c'.repeat(40)}\n`);
    assert.equal(gitCommit(detached), 'cccccccccccc');
  });

  it('answers nothing without a readable commit', () => {
    assert.equal(gitCommit(join(tmpdir(), 'no-such-folder', '.git')), undefined);
    const dangling = gitDir();
    writeFileSync(join(dangling, 'HEAD'), 'ref: refs/heads/gone\n');
    assert.equal(gitCommit(dangling), undefined);
    const garbage = gitDir();
    writeFileSync(join(garbage, 'HEAD'), 'not a commit\n');
    assert.equal(gitCommit(garbage), undefined);
  });
});
