import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Scenario, ScenarioContext } from './scenario.js';
import { pushImageBlobs, scanClient, scanSeconds, scansDone, scanWarmUp, type PushedImage } from './scan-client.js';
import { imageKinds, scanImage, type ScanImage } from './scan-images.js';

const run = promisify(execFile);

export const scanGroup = 'Vulnerability scanning (Berth only: Distribution has no scanner)';

/** The scanner's first images: one of each kind, tiny, so every ecosystem's advisories are read before timing. */
export const warmUpImages = (sharedDir: string): Promise<ScanImage[]> =>
  Promise.all(imageKinds.map((kind) => scanImage(sharedDir, kind, 999, 0.01)));

/**
 * The machine's own read of the same layers, one after another as the scanner reads them: `gzip -dc | tar -t`.
 * tar reads every byte from the pipe (it cannot seek in one) and parses every header, but writes no file: what the
 * scanner does, less picking out the package databases. Extracting instead would time writing files, which the
 * scanner never does.
 */
export async function gunzipTarSeconds(images: readonly ScanImage[]): Promise<number> {
  const start = performance.now();
  for (const image of images) {
    for (const layer of image.layers) await run('sh', ['-c', 'gzip -dc "$1" | tar -t >/dev/null', 'sh', layer.path]);
  }
  return (performance.now() - start) / 1000;
}

/**
 * Layer throughput: images of every kind pushed (blobs first, untimed), then their manifests, scanned one after
 * another by the server's job runner; each scan's time is its report's finishedAt - startedAt, and the throughput
 * is the compressed bytes of all their layers over the sum of those times. The ceiling is gunzip + tar of the same
 * layer files.
 */
export const scanThroughput: Scenario = {
  id: 'scan-throughput',
  title: 'scan: layer throughput',

  async run(context: ScenarioContext) {
    const { variants, scale } = context.profile.scan.throughput;
    const client = scanClient(context, context.server, 2);
    context.progress(`making (or finding) the layers of ${variants * imageKinds.length} images at scale ${scale}`);
    const images: ScanImage[] = [];
    for (let variant = 0; variant < variants; variant++) for (const kind of imageKinds) images.push(await scanImage(context.sharedDir, kind, variant, scale));
    const compressed = images.reduce((sum, image) => sum + image.compressedBytes, 0);
    const tar = images.reduce((sum, image) => sum + image.tarBytes, 0);
    await scanWarmUp(client, await warmUpImages(context.sharedDir));

    const repository = 'bench/scan-throughput';
    const pushed = new Set<string>();
    for (const image of images) await pushImageBlobs(client, repository, image, pushed);
    context.syncDisk();
    const { result: states } = await context.phase(`scan ${images.length} images`, async () => {
      const targets: PushedImage[] = [];
      for (const image of images) targets.push({ repository, digest: await client.putManifest(repository, image.name, image.manifest) });
      return scansDone(client, targets);
    });
    const seconds = states.reduce((sum, state) => sum + scanSeconds(state), 0);
    const rate = compressed / 1e6 / seconds;
    const ceilingSeconds = await gunzipTarSeconds(images);
    const ceiling = compressed / 1e6 / ceilingSeconds;
    const base = `${images.length} images (${(compressed / 1e6).toFixed(0)} MB gzipped, ${(tar / 1e6).toFixed(0)} MB of tar), one at a time`;
    context.metric({ id: 'scan.layers.rate', group: scanGroup, label: `scan throughput, ${base}`, unit: 'MB/s', better: 'higher' }, rate);
    context.metric({ id: 'scan.layers.tarRate', group: scanGroup, label: 'scan throughput in tar bytes (decompressed)', unit: 'MB/s', better: 'higher' }, tar / 1e6 / seconds);
    context.metric({
      id: 'scan.layers.ceiling', group: scanGroup, label: 'the machine: gzip -dc | tar -t of the same layers, one at a time (the ceiling)', unit: 'MB/s', better: 'higher',
    }, ceiling);
    context.metric({ id: 'scan.layers.share', group: scanGroup, label: 'scan throughput as a share of that ceiling (target ≥ 0.8)', unit: '×', better: 'higher' }, rate / ceiling);
    const slowest = states.map((state, index) => ({ name: images[index]!.name, rate: images[index]!.compressedBytes / 1e6 / scanSeconds(state) }))
      .sort((a, b) => a.rate - b.rate).slice(0, 3).map((image) => `${image.name} ${image.rate.toFixed(0)} MB/s`).join(', ');
    context.progress(`scanned ${rate.toFixed(1)} MB/s of gzipped layers (${seconds.toFixed(1)} s); gzip -dc | tar -t: ${ceiling.toFixed(1)} MB/s; `
      + `share ${(rate / ceiling).toFixed(2)}; slowest: ${slowest}`);
  },
};
