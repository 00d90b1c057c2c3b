import { formatSize, randomBlob } from '../client/content.js';
import { id } from './blob-push.js';
import { warmUp } from './warm-up.js';
import { GB, MB, type Scenario, type ScenarioContext } from './scenario.js';

const repository = 'bench/pull';

/**
 * Blob pulls, one at a time: each repetition pushes a fresh random blob (untimed), then times one GET of it. The
 * blob has just been written, so it is read from the page cache on both registries.
 */
export const blobPull: Scenario = {
  id: 'pull',
  title: 'blob pull',

  async run(context: ScenarioContext) {
    const { pull } = context.profile;
    const client = context.client(1);
    await warmUp(client);
    let cpuSeconds = 0;
    let bytesPulled = 0;
    let peakRss = 0;
    for (const { bytes, reps } of pull.sizes) {
      let seconds = 0;
      for (let rep = 0; rep < reps; rep++) {
        const blob = randomBlob(bytes);
        await client.pushBlob(repository, blob);
        context.syncDisk();
        const run = await context.phase(`pull ${formatSize(bytes)} #${rep + 1}`,
          () => client.pullBlob(repository, blob.digest, blob.size, pull.verify));
        seconds += run.stats.wallSeconds;
        cpuSeconds += run.stats.serverCpuSeconds;
        bytesPulled += bytes;
        peakRss = Math.max(peakRss, run.stats.peakRssBytes);
      }
      const rate = (bytes * reps) / MB / seconds;
      context.metric({
        id: `pull.${id(bytes)}`, group: 'Blob pull', label: `pull ${formatSize(bytes)}`, unit: 'MB/s', better: 'higher', ceilings: ['loopback'],
      }, rate);
      context.progress(`pull ${formatSize(bytes)}: ${rate.toFixed(0)} MB/s`);
    }
    context.metric({
      id: 'cpu.pull', group: 'Server resources', label: 'server CPU per GB pulled', unit: 'CPU-s/GB', better: 'lower',
    }, cpuSeconds / (bytesPulled / GB));
    context.metric({
      id: 'rss.pull', group: 'Server resources', label: 'peak RSS: blob pulls', unit: 'MiB', better: 'lower',
    }, peakRss / 2 ** 20);
  },
};
