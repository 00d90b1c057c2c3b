/*
 * A real Prometheus (Debian's package, started by the test) scrapes `berth serve` on its metrics listener
 * (metrics.listen), and PromQL through Prometheus' HTTP API sees the pushes the test made (issue 12). promtool
 * accepts the page, and every query of the Grafana dashboard shipped in docs/grafana/ is valid PromQL. Berth runs
 * with the sendfile helper off, so that the bytes of a streamed pull are counted too (the protocol test covers
 * sendfile).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startBerthProcess, removeDataDir, type BerthProcess } from '../support/berth-process.js';
import { cleanUp } from '../support/cleanup.js';
import { freePort } from '../support/free-port.js';
import { buildImage, getManifest, pushManifest } from '../support/image-builder.js';
import { parseMetrics, promtoolCheckMetrics, startPrometheus, sumOf, type PrometheusServer } from '../support/prometheus.js';
import { eventually, uniqueRepo } from '../support/registry-client.js';

interface DashboardPanel {
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

describe('Prometheus scraping Berth', { timeout: 300_000 }, () => {
  let berth: BerthProcess | undefined;
  let prometheus: PrometheusServer | undefined;
  let metricsUrl: string;

  before(async () => {
    const metricsPort = await freePort();
    berth = await startBerthProcess({ env: { BERTH_METRICS_LISTEN: `127.0.0.1:${metricsPort}`, BERTH_SENDFILE: '0' } });
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    prometheus = await startPrometheus({ address: `127.0.0.1:${metricsPort}`, metricsPath: '/metrics' });
  });
  // Prometheus first: whatever failed before, no Prometheus outlives the test file.
  after(async () => cleanUp('the Prometheus test', [
    () => prometheus?.stop(),
    () => berth?.stop(),
    () => (berth ? removeDataDir(berth.dataDir) : undefined),
  ]));

  it('sees the pushes the test made through a PromQL query', async () => {
    const repository = uniqueRepo('prometheus');
    for (const tag of ['v1', 'v2', 'v3']) await pushManifest(berth!.url, repository, tag, buildImage({ layers: 2 }));
    const pulled = await getManifest(berth!.url, repository, 'v1');
    assert.equal(pulled.status, 200);
    await pulled.arrayBuffer();

    const pushes = await eventually('Prometheus to scrape the three pushes', async () => {
      const [sample] = await prometheus!.query('berth_manifest_pushes_total');
      return sample && Number(sample.value[1]) >= 3 ? Number(sample.value[1]) : undefined;
    }, { attempts: 600, intervalMs: 200 }).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}; targets: ${JSON.stringify(await prometheus!.targets())}`);
    });
    assert.equal(pushes, 3);
    const [up] = await prometheus!.query('up{job="berth"}');
    assert.equal(up?.value[1], '1');
    const byRoute = await prometheus!.query('sum by (route, method) (berth_http_requests_total{route="manifest"})');
    assert.deepEqual(byRoute.map((sample) => sample.metric.method).sort(), ['GET', 'PUT']);
  });

  it('has promtool accept the metrics page without a single complaint', async () => {
    const response = await fetch(`${metricsUrl}/metrics`);
    assert.equal(response.status, 200);
    const { status, output } = promtoolCheckMetrics(await response.text());
    assert.equal(output, '', 'promtool printed no lint problem');
    assert.equal(status, 0);
  });

  it('counts the bytes of a streamed pull', async () => {
    const repository = uniqueRepo('prometheus-bytes');
    const image = buildImage();
    await pushManifest(berth!.url, repository, 'v1', image);
    const before = parseMetrics(await (await fetch(`${metricsUrl}/metrics`)).text());
    const layer = image.blobs[1]!;
    const pull = await fetch(`${berth!.url}/v2/${repository}/blobs/${layer.descriptor.digest}`);
    assert.equal(Buffer.from(await pull.arrayBuffer()).length, layer.bytes.length);
    const out = (metrics: ReturnType<typeof parseMetrics>) => sumOf(metrics, 'berth_blob_bytes_total', { direction: 'out' });
    // Counted once the server has handed the last byte to its socket, which may be just after the client has it.
    const sent = await eventually('the pull\'s bytes to be counted', async () => {
      const moved = out(parseMetrics(await (await fetch(`${metricsUrl}/metrics`)).text())) - out(before);
      return moved > 0 ? moved : undefined;
    });
    assert.equal(sent, layer.bytes.length);
  });

  it('answers every query of the Grafana dashboard', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana/berth-dashboard.json', import.meta.url), 'utf8')) as {
      panels: DashboardPanel[];
    };
    const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));
    assert.ok(queries.length >= 20, 'the dashboard has its panels');
    for (const { panel, expr } of queries) {
      // As Grafana would send it with every job and instance selected.
      const promql = expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.+').replaceAll('$instance', '.+');
      await assert.doesNotReject(prometheus!.query(promql), `the query of "${panel}": ${promql}`);
    }
  });
});
