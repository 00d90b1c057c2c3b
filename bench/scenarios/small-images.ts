import { pushSmallImage, smallImage } from '../client/images.js';
import { runLoad } from '../client/load.js';
import { formatSize } from '../client/content.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { warmUp } from './warm-up.js';

const group = 'Small images';

/** The repository of small image `index`: one image per repository, so the catalog grows with them. */
export const smallImageRepository = (index: number): string => `bench/small-${String(index).padStart(5, '0')}`;

/** Many small images (config, one small layer, manifest: five requests each), several in flight. */
export const smallImages: Scenario = {
  id: 'small-images',
  title: 'small images',

  async run(context: ScenarioContext) {
    const { count, inFlight, layerBytes } = context.profile.images;
    const client = context.client(inFlight);
    await warmUp(client);
    const images = Array.from({ length: count }, () => smallImage(layerBytes));
    context.syncDisk();
    const { result, stats } = await context.phase(`${count} small images`, () => runLoad({
      workers: inFlight,
      count,
      operation: async (index) => { await pushSmallImage(client, smallImageRepository(index), 'v1', images[index]!); },
    }));
    const base = `${count.toLocaleString('en-US')} images (${formatSize(layerBytes)} layer), ${inFlight} in flight`;
    context.metric({ id: 'images.rate', group, label: `${base}: images`, unit: 'image/s', better: 'higher' }, result.perSecond);
    context.metric({ id: 'images.p99', group, label: `${base}: p99 per image`, unit: 'ms', better: 'lower' }, result.latency.percentile(99));
    context.metric({
      id: 'rss.images', group: 'Server resources', label: 'peak RSS: small images', unit: 'MiB', better: 'lower',
    }, stats.peakRssBytes / 2 ** 20);
    context.progress(`small images: ${result.perSecond.toFixed(0)} image/s, p99 ${result.latency.percentile(99).toFixed(1)} ms`);
  },
};
