import { formatSize } from '../client/content.js';
import { memoryStatus } from '../servers/proc-stats.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { pushImageBlobs, scanClient, scanSeconds, scansDone } from './scan-client.js';
import { largeImage } from './scan-images.js';
import { scanGroup } from './scan-throughput.js';

/**
 * The scanner's memory: a fresh Berth process, one image of one large layer (generated as a stream, never held
 * whole; see largeLayer), pushed untimed, then its manifest PUT and its scan followed while the server's RSS is
 * sampled every 50 ms. The figure is the largest sample during the scan (VmHWM, the process's lifetime peak, is
 * kept beside it in the JSON's phases).
 */
export const scanMemory: Scenario = {
  id: 'scan-memory',
  title: 'scan: memory on a large layer',

  async run(context: ScenarioContext) {
    const bytes = context.profile.scan.largeLayerBytes;
    context.progress(`making (or finding) a layer of ${formatSize(bytes)} of tar`);
    const image = await largeImage(context.sharedDir, bytes);
    const server = await context.startServer();
    const client = scanClient(context, server, 2);
    const repository = 'bench/scan-memory';
    await pushImageBlobs(client, repository, image);
    context.syncDisk();
    const before = memoryStatus(server.pid).rss;
    const { result: [state], stats } = await context.phase(`scan one ${formatSize(bytes)} layer`, async () => {
      const digest = await client.putManifest(repository, 'large', image.manifest);
      return scansDone(client, [{ repository, digest }]);
    }, server);
    const size = `${formatSize(image.tarBytes)} of tar, ${(image.compressedBytes / 1e6).toFixed(0)} MB gzipped, ${image.layers[0]!.entries.toLocaleString('en-US')} entries`;
    context.metric({
      id: 'scan.memory.peak', group: scanGroup, unit: 'MiB', better: 'lower', label: `peak RSS while scanning one layer of ${size} (target < 300 MiB)`,
    }, stats.peakRssBytes / 2 ** 20);
    context.metric({ id: 'scan.memory.before', group: scanGroup, unit: 'MiB', better: 'lower', label: 'RSS of that server before the scan (after the push)' }, before / 2 ** 20);
    context.metric({ id: 'scan.memory.seconds', group: scanGroup, unit: 's', better: 'lower', label: 'time to scan that layer' }, scanSeconds(state!));
    context.progress(`large layer: peak RSS ${(stats.peakRssBytes / 2 ** 20).toFixed(0)} MiB (before ${(before / 2 ** 20).toFixed(0)} MiB), `
      + `scanned in ${scanSeconds(state!).toFixed(1)} s, ${state!.packages} packages`);
    await server.stop();
  },
};
