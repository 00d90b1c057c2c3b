import { pushSmallImage, smallImage } from '../client/images.js';
import { runLoad } from '../client/load.js';
import { KiB } from '../client/content.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { warmUp } from './warm-up.js';

const group = 'Manifest reads';
const repository = 'bench/manifests';
const tag = 'latest';

/** GET, then HEAD, of one manifest by tag from many concurrent clients for a fixed time. */
export const manifestRead: Scenario = {
  id: 'manifests',
  title: 'manifest GET/HEAD',

  async run(context: ScenarioContext) {
    const { clients, seconds } = context.profile.manifests;
    const client = context.client(clients);
    await warmUp(client);
    const image = smallImage(4 * KiB);
    const digest = await pushSmallImage(client, repository, tag, image);
    const check = await client.manifest(repository, tag);
    if (!check.body.equals(image.manifest) || check.headers['docker-content-digest'] !== digest) {
      throw new Error(`GET ${repository}:${tag} answered other bytes than were pushed (digest ${String(check.headers['docker-content-digest'])})`);
    }
    // Warm-up, untimed: opens every connection and lets both servers reach a steady state.
    await runLoad({ workers: clients, count: clients * 20, operation: async () => { await client.manifest(repository, tag); } });

    let peakRss = 0;
    for (const method of ['GET', 'HEAD'] as const) {
      const expected = image.manifest.length;
      const { result, stats } = await context.phase(`manifest ${method} ×${clients} clients`, () => runLoad({
        workers: clients,
        seconds,
        operation: async () => {
          const response = await client.manifest(repository, tag, method);
          if (method === 'GET' && response.bytes !== expected) throw new Error(`GET manifest gave ${response.bytes} bytes, expected ${expected}`);
        },
      }));
      peakRss = Math.max(peakRss, stats.peakRssBytes);
      const base = `manifest ${method} by tag, ${clients} clients`;
      const key = method.toLowerCase();
      context.metric({ id: `manifest.${key}.rate`, group, label: `${base}: requests`, unit: 'req/s', better: 'higher' }, result.perSecond);
      context.metric({ id: `manifest.${key}.p50`, group, label: `${base}: p50`, unit: 'ms', better: 'lower' }, result.latency.percentile(50));
      context.metric({ id: `manifest.${key}.p99`, group, label: `${base}: p99`, unit: 'ms', better: 'lower' }, result.latency.percentile(99));
      if (method === 'GET') {
        context.metric({
          id: 'cpu.manifest-get', group: 'Server resources', label: 'server CPU per 1,000 manifest GETs', unit: 'CPU-s', better: 'lower',
        }, stats.serverCpuSeconds / (result.operations / 1000));
      }
      context.progress(`manifest ${method}: ${result.perSecond.toFixed(0)} req/s, p99 ${result.latency.percentile(99).toFixed(2)} ms`);
    }
    context.metric({
      id: 'rss.manifests', group: 'Server resources', label: 'peak RSS: manifest GET/HEAD', unit: 'MiB', better: 'lower',
    }, peakRss / 2 ** 20);
  },
};
