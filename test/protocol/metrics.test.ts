/*
 * /metrics in Prometheus' text format (issue 12): requests by route template, bytes, pushes and pulls, caches,
 * queues; who may read them on the main listener; the listener of their own (metrics.listen); and a scrape that
 * survives a database gone away.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createBerth, type Berth } from '../../src/app.js';
import { configSchema, type BerthConfigInput } from '../../src/config/config-schema.js';
import { AccessFixtures, basic, pushImage } from '../support/access-fixtures.js';
import { adminPassword, createProject, expectStatus, startApiBerth, type ApiBerth } from '../support/api-client.js';
import { cleanUp } from '../support/cleanup.js';
import { buildImage, getManifest, pushBlob, pushManifest } from '../support/image-builder.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { parseMetrics, samplesOf, sumOf, type ParsedMetrics } from '../support/prometheus.js';
import { assertError, eventually, randomBlob, startUpload, uniqueRepo } from '../support/registry-client.js';

interface Scrape {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  readonly metrics: ParsedMetrics;
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const response = await fetch(`${url}/metrics`, { headers });
  const text = await response.text();
  const metrics = parseMetrics(response.status === 200 ? text : '');
  return { status: response.status, contentType: response.headers.get('content-type'), text, metrics };
}

async function figures(url: string): Promise<ParsedMetrics> {
  const { status, text, metrics } = await scrape(url);
  assert.equal(status, 200, text);
  return metrics;
}

const requests = (metrics: ParsedMetrics, labels: Record<string, string>): number => sumOf(metrics, 'berth_http_requests_total', labels);

describe('metrics in open mode', { timeout: 120_000 }, () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  it('serves Prometheus text that parses, with HELP and TYPE for every family, build info and process metrics', async () => {
    const { status, contentType, metrics } = await scrape(registry.url);
    assert.equal(status, 200);
    assert.equal(contentType, 'text/plain; version=0.0.4; charset=utf-8');
    for (const sample of metrics.samples) {
      const family = sample.name.replace(/_(bucket|sum|count)$/, '');
      assert.ok(metrics.types.has(sample.name) || metrics.types.has(family), `${sample.name} has a TYPE`);
      assert.ok(metrics.helps.has(sample.name) || metrics.helps.has(family), `${sample.name} has a HELP`);
    }
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const [info] = samplesOf(metrics, 'berth_build_info');
    assert.equal(info?.value, 1);
    assert.equal(info?.labels.version, version);
    assert.equal(info?.labels.node_version, process.version);
    assert.match(info?.labels.commit ?? '', /^([0-9a-f]{12}|unknown)$/);
    assert.ok(samplesOf(metrics, 'process_cpu_user_seconds_total').length === 1, 'process metrics are there');
    assert.ok(samplesOf(metrics, 'nodejs_heap_size_used_bytes').length === 1, 'Node.js metrics are there');
    assert.equal(metrics.types.get('berth_http_request_duration_seconds'), 'histogram');
    assert.equal(metrics.types.get('berth_manifest_pulls_total'), 'counter');
    assert.equal(metrics.types.get('berth_uploads_in_progress'), 'gauge');
  });

  it('counts a push and a pull: manifests, blobs, bytes each way and the requests of each route', async () => {
    const repository = uniqueRepo('metrics');
    const image = buildImage({ layers: 2 });
    const before = await figures(registry.url);
    await pushManifest(registry.url, repository, 'v1', image);
    const manifest = await getManifest(registry.url, repository, 'v1');
    assert.equal(manifest.status, 200);
    await manifest.arrayBuffer();
    const head = await getManifest(registry.url, repository, 'v1', undefined, 'HEAD');
    assert.equal(head.status, 200);
    const layer = image.blobs[1]!;
    const blob = await fetch(`${registry.url}/v2/${repository}/blobs/${layer.descriptor.digest}`);
    assert.equal(Buffer.from(await blob.arrayBuffer()).length, layer.bytes.length);
    const ranged = await fetch(`${registry.url}/v2/${repository}/blobs/${layer.descriptor.digest}`, { headers: { range: 'bytes=0-9' } });
    assert.equal(ranged.status, 206);
    await ranged.arrayBuffer();
    const afterwards = await figures(registry.url);

    const moved = (name: string, labels: Record<string, string> = {}) => sumOf(afterwards, name, labels) - sumOf(before, name, labels);
    assert.equal(moved('berth_manifest_pushes_total'), 1);
    assert.equal(moved('berth_manifest_pulls_total'), 1, 'a GET is a pull, a HEAD is not');
    assert.equal(moved('berth_blob_pulls_total'), 1, 'a whole blob is a pull, a range is a part of one');
    const pushedBytes = image.blobs.reduce((sum, each) => sum + each.bytes.length, 0);
    assert.equal(moved('berth_blob_bytes_total', { direction: 'in' }), pushedBytes);
    assert.equal(moved('berth_blob_bytes_total', { direction: 'out' }), layer.bytes.length + 10, 'the whole blob and the range');
    assert.equal(moved('berth_http_requests_total', { route: 'blob_upload', method: 'POST', code: '201' }), image.blobs.length);
    assert.equal(moved('berth_http_requests_total', { route: 'manifest', method: 'PUT', code: '201' }), 1);
    assert.equal(moved('berth_http_requests_total', { route: 'manifest', method: 'HEAD', code: '200' }), 1);
    assert.equal(moved('berth_http_requests_total', { route: 'blob', method: 'GET', code: '206' }), 1);
    assert.equal(moved('berth_http_request_duration_seconds_count', { route: 'manifest', method: 'GET' }), 1);
    const buckets = samplesOf(afterwards, 'berth_http_request_duration_seconds_bucket', { route: 'manifest', method: 'GET' });
    assert.equal(buckets.at(-1)?.labels.le, '+Inf');
    assert.equal(buckets.at(-1)?.value, sumOf(afterwards, 'berth_http_request_duration_seconds_count', { route: 'manifest', method: 'GET' }));
    assert.ok(buckets.every((bucket, index) => index === 0 || bucket.value >= buckets[index - 1]!.value), 'buckets are cumulative');
  });

  it('labels /v2/ requests by endpoint and other routes by template, never by repository, tag or digest', async () => {
    const repository = uniqueRepo('metrics-labels');
    const image = buildImage();
    await pushManifest(registry.url, repository, 'labelled', image);
    const upload = await startUpload(registry.url, repository);
    const paths = [
      '/v2/', '/v2/_catalog', `/v2/${repository}/tags/list`, `/v2/${repository}/referrers/${image.digest}`,
      `/v2/${repository}/manifests/labelled`, `/v2/${repository}/blobs/${image.blobs[0]!.descriptor.digest}`,
      new URL(upload.location).pathname, '/api/v1/groups/some-group',
    ];
    for (const path of paths) await (await fetch(`${registry.url}${path}`)).arrayBuffer();
    const metrics = await figures(registry.url);
    for (const route of ['base', 'catalog', 'tags', 'referrers', 'manifest', 'blob', 'blob_upload']) {
      assert.ok(requests(metrics, { route, method: 'GET' }) >= 1, `a GET labelled ${route}`);
    }
    assert.ok(requests(metrics, { route: '/api/v1/groups/:name', method: 'GET' }) >= 1, 'the API route by its template');
    const routes = new Set(samplesOf(metrics, 'berth_http_requests_total').map((sample) => sample.labels.route));
    for (const route of routes) {
      assert.ok(!route!.includes(repository) && !route!.includes('sha256') && !route!.includes('labelled'), `route label ${route} is a template`);
    }
  });

  it('labels a request no route takes as unmatched, under /v2/ as elsewhere', async () => {
    const before = await figures(registry.url);
    assert.equal((await fetch(`${registry.url}/no/such/page`)).status, 404);
    assert.equal((await fetch(`${registry.url}/v2/team/app/not-an-endpoint`)).status, 404);
    const metrics = await figures(registry.url);
    const unmatched = { route: 'unmatched', method: 'GET', code: '404' };
    assert.equal(requests(metrics, unmatched) - requests(before, unmatched), 2);
  });

  it('counts cache hits, an upload in progress, the job queue and the outbox lag', async () => {
    const repository = uniqueRepo('metrics-cache');
    await pushManifest(registry.url, repository, 'cached', buildImage());
    const before = await figures(registry.url);
    for (let i = 0; i < 3; i++) await (await getManifest(registry.url, repository, 'cached')).arrayBuffer();
    const upload = await startUpload(registry.url, repository);
    const metrics = await figures(registry.url);
    const hits = (parsed: ParsedMetrics) => sumOf(parsed, 'berth_cache_requests_total', { cache: 'manifests', result: 'hit' });
    assert.ok(hits(metrics) - hits(before) >= 2, 'pulls after the first are answered from memory');
    assert.equal(sumOf(metrics, 'berth_uploads_in_progress') - sumOf(before, 'berth_uploads_in_progress'), 1);
    assert.equal(samplesOf(metrics, 'berth_jobs', { kind: 'uploads.sweep', status: 'queued' }).length, 1, 'declared kinds are listed');
    for (const consumer of ['audit', 'webhooks']) {
      assert.equal(samplesOf(metrics, 'berth_outbox_lag_events', { consumer }).length, 1, `the lag of the ${consumer} consumer`);
    }
    assert.equal(samplesOf(metrics, 'berth_webhook_deliveries_total').length, 3, 'delivered, retrying and failed');
    assert.equal(samplesOf(metrics, 'berth_metadata_pool_connections').length, 0, 'SQLite has no pool');
    await fetch(upload.location, { method: 'DELETE' });
  });

  it('counts a request in flight until its response ends, a pull the client cut short included', async () => {
    const repository = uniqueRepo('metrics-abort');
    const digest = (await pushBlob(registry.url, repository, randomBlob(64 * 1024 * 1024))).digest;
    const { port } = new URL(registry.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`GET /v2/${repository}/blobs/${digest} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      });
      // Gone after the first bytes, long before 64 MiB.
      socket.once('data', () => { socket.destroy(); resolve(); });
      socket.once('error', reject);
    });
    await eventually('the cut-short pull to leave the in-flight gauge', async () => {
      const inFlight = sumOf(await figures(registry.url), 'berth_http_in_flight_requests');
      return inFlight === 1 ? true : undefined; // the scrape itself
    });
  });
});

describe('metrics with access control on', { timeout: 120_000 }, () => {
  const adminPassword = 'metrics-admin-password';
  let registry: InProcessBerth;
  let open: InProcessBerth;
  before(async () => {
    registry = await startInProcess({ auth: { adminPassword } });
    const fixtures = new AccessFixtures(registry.berth);
    await fixtures.user('watcher', 'watcher-password');
    open = await startInProcess({ auth: { adminPassword }, metrics: { public: true } });
  });
  after(async () => cleanUp('metrics with access control', [() => registry?.close(), () => open?.close()]));

  it('asks anonymous scrapes for an administrator\'s Basic credentials, without a challenge a browser would prompt for', async () => {
    const response = await fetch(`${registry.url}/metrics`);
    const body = await assertError(response, 401, 'UNAUTHORIZED');
    assert.equal(response.headers.get('www-authenticate'), null);
    assert.match(body.errors[0]?.message ?? '', /system administrator.*basic_auth.*metrics\.public.*metrics\.listen/s);
    const bearer = await fetch(`${registry.url}/metrics`, { headers: { authorization: 'Bearer abc' } });
    await assertError(bearer, 401, 'UNAUTHORIZED');
    const garbled = await fetch(`${registry.url}/metrics`, { headers: { authorization: 'Basic %%%' } });
    await assertError(garbled, 401, 'UNAUTHORIZED');
  });

  it('refuses a wrong password with 401, and a user who is no administrator with 403', async () => {
    const wrong = await fetch(`${registry.url}/metrics`, { headers: { authorization: basic('admin', 'not-the-password') } });
    await assertError(wrong, 401, 'UNAUTHORIZED');
    const refused = await fetch(`${registry.url}/metrics`, { headers: { authorization: basic('watcher', 'watcher-password') } });
    const body = await assertError(refused, 403, 'DENIED');
    assert.match(body.errors[0]?.message ?? '', /system administrators.*watcher/);
  });

  it('serves a system administrator', async () => {
    const { status, metrics } = await scrape(registry.url, { authorization: basic('admin', adminPassword) });
    assert.equal(status, 200);
    assert.equal(samplesOf(metrics, 'berth_build_info').length, 1);
  });

  it('serves anyone with metrics.public', async () => {
    const { status, metrics } = await scrape(open.url);
    assert.equal(status, 200);
    assert.equal(samplesOf(metrics, 'berth_build_info').length, 1);
  });
});

describe('webhook delivery metrics', { timeout: 120_000 }, () => {
  let berth: ApiBerth;
  let receiver: Server;
  before(async () => {
    // A real receiver: /ok takes every delivery, /no refuses them all.
    receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => { response.statusCode = request.url === '/ok' ? 200 : 500; response.end(); });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    berth = await startApiBerth({ webhooks: { allowPrivateTargets: true, retryBaseSeconds: 0.05, maxAttempts: 2 } });
    await createProject(berth.admin, 'hooked');
    const { port } = receiver.address() as AddressInfo;
    for (const path of ['/ok', '/no']) {
      expectStatus(await berth.admin.post('/api/v1/projects/hooked/webhooks', { url: `http://127.0.0.1:${port}${path}` }), 201);
    }
  });
  after(async () => cleanUp('webhook delivery metrics', [
    () => berth?.close(),
    () => new Promise<void>((resolve) => { receiver.closeAllConnections(); receiver.close(() => resolve()); }),
  ]));

  it('counts attempts delivered, to be retried and failed for good', async () => {
    await pushImage(berth.registry.url, 'hooked/app', 'v1', basic('admin', adminPassword));
    const outcomes = await eventually('the deliveries to settle', async () => {
      const { metrics } = await scrape(berth.registry.url, { authorization: basic('admin', adminPassword) });
      const count = (outcome: string) => sumOf(metrics, 'berth_webhook_deliveries_total', { outcome });
      const figures = { delivered: count('delivered'), retrying: count('retrying'), failed: count('failed') };
      return figures.failed >= 1 ? figures : undefined;
    });
    assert.deepEqual(outcomes, { delivered: 1, retrying: 1, failed: 1 }, 'one push: /ok took it, /no refused it twice');
  });
});

describe('metrics on a listener of their own', { timeout: 120_000 }, () => {
  let berth: Berth;
  let dataDir: string;
  let main: string;
  let metricsUrl: string;
  before(async () => {
    ({ berth, dataDir } = await createInProcess({ auth: { adminPassword: 'metrics-admin-password' }, metrics: { listen: '127.0.0.1:0' } }));
    const bound = await berth.listen();
    assert.ok(bound.metrics, 'listen() names the metrics listener');
    main = `http://127.0.0.1:${bound.port}`;
    metricsUrl = `http://127.0.0.1:${bound.metrics.port}`;
  });
  after(async () => {
    await berth?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the metrics there without authentication, and nothing else', async () => {
    const before = await figures(metricsUrl);
    for (const path of ['/v2/', '/healthz', '/api/v1/users', '/metrics/x']) {
      await assertError(await fetch(`${metricsUrl}${path}`), 404, 'UNSUPPORTED');
    }
    assert.equal((await fetch(`${metricsUrl}/metrics`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${main}/v2/`)).status, 401, 'the registry itself still asks for credentials');
    const metrics = await figures(metricsUrl);
    const refusedBase = { route: 'base', method: 'GET', code: '401' };
    assert.equal(requests(metrics, refusedBase) - requests(before, refusedBase), 1, 'requests to the main listener are counted');
    assert.equal(requests(metrics, { route: '/metrics' }), 0, 'scrapes of the metrics listener are not');
  });

  it('no longer serves them on the main listener', async () => {
    await assertError(await fetch(`${main}/metrics`), 404, 'UNSUPPORTED');
  });
});

describe('metrics at another path, or turned off', { timeout: 60_000 }, () => {
  let moved: InProcessBerth;
  let off: InProcessBerth;
  before(async () => {
    moved = await startInProcess({ metrics: { path: '/internal/prometheus' } });
    off = await startInProcess({ metrics: { enabled: false } });
  });
  after(async () => cleanUp('metrics elsewhere or off', [() => moved?.close(), () => off?.close()]));

  it('serves them at metrics.path only', async () => {
    const response = await fetch(`${moved.url}/internal/prometheus`);
    assert.equal(response.status, 200);
    assert.equal(samplesOf(parseMetrics(await response.text()), 'berth_build_info').length, 1);
    await assertError(await fetch(`${moved.url}/metrics`), 404, 'UNSUPPORTED');
  });

  it('answers /metrics like any unknown path once turned off', async () => {
    await assertError(await fetch(`${off.url}/metrics`), 404, 'UNSUPPORTED');
  });
});

describe('metrics on PostgreSQL', { timeout: 120_000 }, () => {
  let server: PostgresServer;
  let serverStopped = false;
  let registry: InProcessBerth;
  before(async () => {
    server = await startPostgres();
    registry = await startInProcess({ database: { url: await server.createDatabase(), poolSize: 7 } });
  });
  after(async () => cleanUp('metrics on PostgreSQL', [() => registry?.close(), () => (serverStopped ? undefined : server?.stop())]));

  it('reports the connection pool', async () => {
    const metrics = await figures(registry.url);
    assert.equal(sumOf(metrics, 'berth_metadata_pool_max_connections'), 7);
    assert.equal(samplesOf(metrics, 'berth_metadata_pool_connections').length, 2, 'idle and in_use');
    assert.ok(sumOf(metrics, 'berth_metadata_pool_connections') >= 1);
    assert.equal(sumOf(metrics, 'berth_metadata_pool_waiting_queries'), 0);
    assert.ok(samplesOf(metrics, 'berth_jobs').length > 0);
  });

  it('still answers a scrape once the database is gone, leaving out what it could not read', async () => {
    await server.stop();
    serverStopped = true;
    const metrics = await figures(registry.url);
    assert.equal(samplesOf(metrics, 'berth_jobs').length, 0, 'the job queue could not be counted');
    assert.equal(samplesOf(metrics, 'berth_outbox_lag_events').length, 0, 'the outbox could not be read');
    assert.ok(sumOf(metrics, 'berth_metrics_collect_errors_total', { collector: 'berth_jobs' }) >= 1);
    assert.ok(sumOf(metrics, 'berth_metrics_collect_errors_total', { collector: 'berth_outbox_lag_events' }) >= 1);
    assert.equal(samplesOf(metrics, 'berth_build_info').length, 1, 'the rest is served');
    assert.equal(samplesOf(metrics, 'process_cpu_user_seconds_total').length, 1);
  });
});

/** A Berth in this process, not yet listening: for a test that needs what listen() answers. */
async function createInProcess(config: Partial<BerthConfigInput>): Promise<{ berth: Berth; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-proto-'));
  const berth = await createBerth(configSchema.parse({ listen: '127.0.0.1:0', dataDir, ...config }), pino({ level: 'silent' }));
  return { berth, dataDir };
}
