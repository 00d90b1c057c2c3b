import type { Scenario, ScenarioContext } from './scenario.js';
import { pushImageBlobs, scanClient, scansDone, type PushedImage } from './scan-client.js';
import { imageKinds, scanImage, type ScanImage } from './scan-images.js';
import { scanGroup } from './scan-throughput.js';

/** Image `index` of the mixed set: the kinds in turn, each in variants of its own (base layers shared by pairs). */
export const mixedImage = (sharedDir: string, index: number, scale: number, copy = ''): Promise<ScanImage> =>
  scanImage(sharedDir, imageKinds[index % imageKinds.length]!, 100 + Math.floor(index / imageKinds.length), scale, copy);

/**
 * Images per minute on a mixed set (Debian, Alpine, Node.js, Python, distroless, two or three layers each): every
 * blob pushed first (untimed), then every manifest at once, each in its kind's repository; the time runs from the
 * first manifest PUT to the end of the last scan (its report's finishedAt).
 */
export const scanMixed: Scenario = {
  id: 'scan-mixed',
  title: 'scan: images per minute, mixed set',

  async run(context: ScenarioContext) {
    const { images: count, scale } = context.profile.scan.mixed;
    const client = scanClient(context, context.server, 2);
    context.progress(`making (or finding) the layers of ${count} mixed images at scale ${scale}`);
    const images: ScanImage[] = [];
    for (let index = 0; index < count; index++) images.push(await mixedImage(context.sharedDir, index, scale));
    const repositoryOf = (image: ScanImage): string => `bench/scan-mixed/${image.kind}`;
    const pushed = new Set<string>();
    for (const image of images) await pushImageBlobs(client, repositoryOf(image), image, pushed);
    context.syncDisk();
    const start = Date.now();
    const { result: states } = await context.phase(`${count} mixed images pushed and scanned`, async () => {
      const targets: PushedImage[] = [];
      for (const image of images) targets.push({ repository: repositoryOf(image), digest: await client.putManifest(repositoryOf(image), image.name, image.manifest) });
      return scansDone(client, targets);
    });
    const minutes = (Math.max(...states.map((state) => state.finishedAt ?? Date.now())) - start) / 60_000;
    const compressed = images.reduce((sum, image) => sum + image.compressedBytes, 0);
    const packages = states.reduce((sum, state) => sum + state.packages, 0);
    context.metric({
      id: 'scan.mixed.rate', group: scanGroup, unit: 'image/min', better: 'higher',
      label: `images scanned per minute, ${count} mixed images (${(compressed / 1e6).toFixed(0)} MB gzipped, ${packages.toLocaleString('en-US')} packages) pushed at once`,
    }, count / minutes);
    context.progress(`mixed set: ${(count / minutes).toFixed(1)} images/min (${(minutes * 60).toFixed(1)} s for ${count})`);
  },
};
