import { randomBytes } from 'node:crypto';
import { KiB, sha256 } from '../client/content.js';
import { imageConfig, imageManifest } from '../client/images.js';
import { runLoad } from '../client/load.js';
import { ociConfig, ociLayerGzip } from '../client/registry.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { warmUp } from './warm-up.js';

const group = 'Tags and catalog';
const repository = 'bench/tags';

/**
 * Many manifest PUTs to distinct tags of one repository (each manifest distinct, all naming the same config and
 * layer), several in flight; then complete listings of that repository's tags and of the catalog, each following
 * Link headers to the end, from a few concurrent clients for a fixed time.
 */
export const tagsAndCatalog: Scenario = {
  id: 'tags-catalog',
  title: 'manifest PUTs, tags/list, _catalog',

  async run(context: ScenarioContext) {
    const { count, inFlight, listClients, listSeconds } = context.profile.tags;
    const client = context.client(Math.max(inFlight, listClients));
    await warmUp(client);

    const layer = randomBytes(4 * KiB);
    const layerDigest = sha256(layer);
    const config = imageConfig([layerDigest]);
    const configDigest = sha256(config);
    await client.pushSmallBlob(repository, config, configDigest);
    await client.pushSmallBlob(repository, layer, layerDigest);
    const tags = Array.from({ length: count }, (_, index) => `t${String(index).padStart(6, '0')}`);
    const manifests = tags.map((tag) => imageManifest(
      { mediaType: ociConfig, digest: configDigest, size: config.length },
      [{ mediaType: ociLayerGzip, digest: layerDigest, size: layer.length }],
      { 'org.berth.bench.tag': tag },
    ));
    context.syncDisk();

    const puts = await context.phase(`${count} manifest PUTs`, () => runLoad({
      workers: inFlight,
      count,
      operation: async (index) => { await client.putManifest(repository, tags[index]!, manifests[index]!); },
    }));
    const putLabel = `${count.toLocaleString('en-US')} manifest PUTs to distinct tags, ${inFlight} in flight`;
    context.metric({ id: 'tags.put.rate', group, label: `${putLabel}: requests`, unit: 'req/s', better: 'higher' }, puts.result.perSecond);
    context.metric({ id: 'tags.put.p99', group, label: `${putLabel}: p99`, unit: 'ms', better: 'lower' }, puts.result.latency.percentile(99));
    context.progress(`manifest PUTs: ${puts.result.perSecond.toFixed(0)} req/s, p99 ${puts.result.latency.percentile(99).toFixed(1)} ms`);
    context.syncDisk();
    let peakRss = puts.stats.peakRssBytes;

    const listings = [
      { key: 'tags' as const, path: `/v2/${repository}/tags/list`, id: 'tags.list', what: 'tags/list', of: 'tags' },
      { key: 'repositories' as const, path: '/v2/_catalog', id: 'catalog', what: '_catalog', of: 'repositories' },
    ];
    for (const listing of listings) {
      // One untimed listing checks the content and tells the label how much it holds.
      const first = await client.listAll(listing.path, listing.key);
      if (listing.key === 'tags') {
        const seen = new Set(first.items);
        const missing = tags.filter((tag) => !seen.has(tag));
        if (first.items.length !== count || missing.length > 0) {
          throw new Error(`tags/list of ${repository} gave ${first.items.length} tags (${missing.length} pushed ones missing, e.g. ${missing.slice(0, 3).join(', ')}), expected ${count}`);
        }
      } else if (!first.items.includes(repository)) {
        throw new Error(`_catalog (${first.items.length} repositories in ${first.pages} pages) does not list ${repository}`);
      }
      const pages = `${first.pages} page${first.pages === 1 ? '' : 's'} per listing`;
      context.note(`${listing.what} of ${first.items.length.toLocaleString('en-US')} ${listing.of}, following Link`, pages);
      const run = await context.phase(`${listing.what} ×${listClients} clients (${pages})`, () => runLoad({
        workers: listClients,
        seconds: listSeconds,
        operation: async () => {
          const { items } = await client.listAll(listing.path, listing.key);
          if (items.length !== first.items.length) throw new Error(`${listing.what} gave ${items.length} entries, then ${first.items.length}`);
        },
      }));
      peakRss = Math.max(peakRss, run.stats.peakRssBytes);
      const label = `${listing.what}, all ${first.items.length.toLocaleString('en-US')} ${listing.of}, ${listClients} clients`;
      context.metric({ id: `${listing.id}.rate`, group, label: `${label}: listings`, unit: 'list/s', better: 'higher' }, run.result.perSecond);
      context.metric({ id: `${listing.id}.p99`, group, label: `${label}: p99`, unit: 'ms', better: 'lower' }, run.result.latency.percentile(99));
      context.progress(`${listing.what} (${first.items.length} in ${first.pages} pages): ${run.result.perSecond.toFixed(1)} list/s, p99 ${run.result.latency.percentile(99).toFixed(1)} ms`);
    }
    context.metric({
      id: 'rss.tags', group: 'Server resources', label: 'peak RSS: manifest PUTs and listings', unit: 'MiB', better: 'lower',
    }, peakRss / 2 ** 20);
  },
};
