import { formatSize, randomBlob } from '../client/content.js';
import { id } from './blob-push.js';
import { warmUp } from './warm-up.js';
import { GB, MB, type Scenario, type ScenarioContext } from './scenario.js';

const repository = 'bench/fanout';

/** Many clients pulling the same blob at once (each on its own connection), received bytes discarded. */
export const fanOut: Scenario = {
  id: 'fanout',
  title: 'fan-out pull',

  async run(context: ScenarioContext) {
    const { clients, bytes, reps, verify } = context.profile.fanOut;
    const client = context.client(clients);
    await warmUp(client);
    let seconds = 0;
    let cpuSeconds = 0;
    let peakRss = 0;
    for (let rep = 0; rep < reps; rep++) {
      const blob = randomBlob(bytes);
      await client.pushBlob(repository, blob);
      context.syncDisk();
      const run = await context.phase(`${clients} clients pull ${formatSize(bytes)} #${rep + 1}`, () => Promise.all(
        Array.from({ length: clients }, () => client.pullBlob(repository, blob.digest, blob.size, verify))));
      seconds += run.stats.wallSeconds;
      cpuSeconds += run.stats.serverCpuSeconds;
      peakRss = Math.max(peakRss, run.stats.peakRssBytes);
    }
    const rate = (clients * bytes * reps) / MB / seconds;
    const what = `${clients} clients pulling one ${formatSize(bytes)} blob`;
    context.metric({
      id: `fanout.${clients}x${id(bytes)}`, group: 'Fan-out pull', label: `${what}: aggregate`, unit: 'MB/s', better: 'higher', ceilings: ['loopback'],
    }, rate);
    context.metric({
      id: `fanout.${clients}x${id(bytes)}.rss`, group: 'Fan-out pull', label: `${what}: server peak RSS`, unit: 'MiB', better: 'lower',
    }, peakRss / 2 ** 20);
    context.metric({
      id: 'cpu.fanout', group: 'Server resources', label: `server CPU per GB sent, ${clients} clients at once`, unit: 'CPU-s/GB', better: 'lower',
    }, cpuSeconds / ((clients * bytes * reps) / GB));
    context.progress(`${what}: ${rate.toFixed(0)} MB/s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  },
};
