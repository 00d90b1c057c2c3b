import { formatSize, randomBlob, type Blob } from '../client/content.js';
import { warmUp } from './warm-up.js';
import { GB, MB, type MetricSpec, type Scenario, type ScenarioContext } from './scenario.js';

const group = 'Blob push';
const repository = 'bench/push';

/**
 * Monolithic pushes (POST, then PUT ?digest= with the whole blob) of small and large blobs, and chunked pushes in
 * PATCHes; one push at a time. Each repetition pushes fresh random content, hashed before the timed push.
 */
export const blobPush: Scenario = {
  id: 'push',
  title: 'blob push',

  async run(context: ScenarioContext) {
    const { push } = context.profile;
    const client = context.client(1);
    await warmUp(client);
    let cpuSeconds = 0;
    let bytesPushed = 0;
    let peakRss = 0;

    // Many small blobs back to back: one phase for them all.
    const small = Array.from({ length: push.small.reps }, () => randomBlob(push.small.bytes));
    context.syncDisk();
    const smallRun = await context.phase(`push ${formatSize(push.small.bytes)} ×${small.length}`, async () => {
      for (const blob of small) await client.pushBlob(repository, blob);
    });
    const smallBytes = push.small.bytes * small.length;
    cpuSeconds += smallRun.stats.serverCpuSeconds;
    bytesPushed += smallBytes;
    peakRss = Math.max(peakRss, smallRun.stats.peakRssBytes);
    const smallSize = formatSize(push.small.bytes);
    context.metric(throughput(`push.monolithic.${id(push.small.bytes)}`, `monolithic push ${smallSize}`), smallBytes / MB / smallRun.stats.wallSeconds);
    context.metric({
      id: `push.monolithic.${id(push.small.bytes)}.rate`, group, label: `monolithic push ${smallSize}: pushes`, unit: 'push/s', better: 'higher',
    }, small.length / smallRun.stats.wallSeconds);

    const timed = async (label: string, size: number, reps: number, send: (blob: Blob) => Promise<unknown>): Promise<number> => {
      let seconds = 0;
      for (let rep = 0; rep < reps; rep++) {
        const blob = randomBlob(size);
        context.syncDisk();
        const run = await context.phase(`${label} ${formatSize(size)} #${rep + 1}`, () => send(blob));
        seconds += run.stats.wallSeconds;
        cpuSeconds += run.stats.serverCpuSeconds;
        bytesPushed += size;
        peakRss = Math.max(peakRss, run.stats.peakRssBytes);
      }
      return (size * reps) / MB / seconds;
    };

    for (const { bytes, reps } of push.large) {
      const rate = await timed('push', bytes, reps, (blob) => client.pushBlob(repository, blob));
      context.metric(throughput(`push.monolithic.${id(bytes)}`, `monolithic push ${formatSize(bytes)}`), rate);
      context.progress(`monolithic push ${formatSize(bytes)}: ${rate.toFixed(0)} MB/s`);
    }

    const { chunked } = push;
    const chunkedRate = await timed('chunked push', chunked.bytes, chunked.reps,
      (blob) => client.pushBlobChunked(repository, blob, chunked.chunkBytes));
    context.metric(throughput(`push.chunked.${id(chunked.bytes)}`,
      `chunked push ${formatSize(chunked.bytes)} in ${formatSize(chunked.chunkBytes)} PATCHes`), chunkedRate);
    context.progress(`chunked push ${formatSize(chunked.bytes)}: ${chunkedRate.toFixed(0)} MB/s`);

    context.metric({
      id: 'cpu.push', group: 'Server resources', label: 'server CPU per GB pushed', unit: 'CPU-s/GB', better: 'lower',
    }, cpuSeconds / (bytesPushed / GB));
    context.metric({
      id: 'rss.push', group: 'Server resources', label: 'peak RSS: blob pushes', unit: 'MiB', better: 'lower',
    }, peakRss / 2 ** 20);
  },
};

function throughput(metricId: string, label: string): MetricSpec {
  return { id: metricId, group, label, unit: 'MB/s', better: 'higher', ceilings: ['sha256', 'fsyncWrite', 'loopback'] };
}

/** "1GiB", "64MiB": sizes as they appear in metric ids. */
export function id(bytes: number): string {
  return formatSize(bytes).replace(/[ ,]/g, '');
}
