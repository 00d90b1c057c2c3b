import { sha256 } from '../client/content.js';
import { imageConfig, imageManifest, pushSmallImage, type SmallImage } from '../client/images.js';
import { runLoad } from '../client/load.js';
import { ociConfig, ociLayerGzip } from '../client/registry.js';
import type { RunningServer } from '../servers/server.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { pushImageBlobs, scanClient, scanState, type PushedImage } from './scan-client.js';
import { smallTarGz } from './scan-content.js';
import { npmManifest, alpineOsRelease } from './scan-packages.js';
import { mixedImage } from './scan-mixed.js';
import { scanGroup } from './scan-throughput.js';
import { warmUp } from './warm-up.js';

/** A small image that is a real one: an Alpine release file and one npm package, so its scan (on push) is real too. */
function tinyImage(round: number, index: number): SmallImage {
  const layer = smallTarGz([
    { path: 'etc/os-release', body: Buffer.from(alpineOsRelease) },
    { path: `app/node_modules/tiny-${index}/package.json`, body: Buffer.from(npmManifest({ name: `tiny-${index}`, version: `1.${round}.${index}` })) },
  ]);
  const layerDigest = sha256(layer);
  const config = imageConfig([layerDigest]);
  const configDigest = sha256(config);
  const manifest = imageManifest({ mediaType: ociConfig, digest: configDigest, size: config.length }, [{ mediaType: ociLayerGzip, digest: layerDigest, size: layer.length }]);
  return { config, configDigest, layer, layerDigest, manifest };
}

interface Side {
  readonly perSecond: number;
  /** Scans of the backlog not yet done when the pushes ended; undefined with scanning off. */
  readonly backlogLeft: number | undefined;
}

/**
 * Pushes while scans run: a fresh server with scanning on is given a backlog of mixed images to scan (their blobs
 * uploaded untimed, then their manifests PUT), and at once `count` small images are pushed, `inFlight` at a time
 * (config, layer, manifest; each is scanned on push too); then the same on a fresh server with scanning off
 * (BERTH_SCANNING_ENABLED=false), with the same backlog pushed. On and off alternate (on, off, then off, on), so a
 * drift of the machine's load falls on both; each pair gives a loss, 1 - on / off.
 */
export const scanPushLoad: Scenario = {
  id: 'scan-push-load',
  title: 'scan: pushes while scans run',

  async run(context: ScenarioContext) {
    const { count, inFlight, backlog, abRounds } = context.profile.scan.pushes;
    const mixedScale = context.profile.scan.mixed.scale;
    const side = async (scanning: boolean, pair: number): Promise<Side> => {
      const server = await context.startServer(scanning ? {} : { env: { BERTH_SCANNING_ENABLED: 'false' } });
      try {
        return await pushesOn(context, server, scanning, pair, { count, inFlight, backlog, mixedScale });
      } finally {
        await server.stop();
      }
    };
    // One side untimed first: the first side of a run pays for a cold machine (the page cache, this process's JIT),
    // measured at 40% where the same side a minute later lost 8%; alternating cannot cancel what only the first pays.
    context.progress('warm-up: one side with scanning off, not counted');
    await side(false, abRounds);
    for (let pair = 0; pair < abRounds; pair++) {
      const onFirst = (context.round + pair) % 2 === 1;
      const first = await side(onFirst, pair);
      const second = await side(!onFirst, pair);
      const on = onFirst ? first : second;
      const off = onFirst ? second : first;
      const base = `${count.toLocaleString('en-US')} small images, ${inFlight} in flight`;
      context.metric({ id: 'scan.push.on', group: scanGroup, unit: 'image/s', better: 'higher', label: `${base}, while ${backlog} mixed images are scanned` }, on.perSecond);
      context.metric({ id: 'scan.push.off', group: scanGroup, unit: 'image/s', better: 'higher', label: `${base}, scanning off (same backlog pushed)` }, off.perSecond);
      const loss = (1 - on.perSecond / off.perSecond) * 100;
      context.metric({ id: 'scan.push.loss', group: scanGroup, unit: '%', better: 'lower', label: 'push throughput lost to scanning (target ≤ 10%)' }, loss);
      if (on.backlogLeft === 0) {
        context.note('pushes while scans run', `the scanner finished its backlog before the pushes ended (pair ${pair + 1}): the loss is understated; raise the backlog`);
      }
      context.progress(`pushes: ${on.perSecond.toFixed(0)} image/s scanning (${on.backlogLeft} of ${backlog} backlog scans left at the end), `
        + `${off.perSecond.toFixed(0)} image/s not scanning: ${loss.toFixed(1)}% lost`);
    }
  },
};

async function pushesOn(context: ScenarioContext, server: RunningServer, scanning: boolean, pair: number,
  sizes: { count: number; inFlight: number; backlog: number; mixedScale: number }): Promise<Side> {
  const client = scanClient(context, server, sizes.inFlight);
  await warmUp(client);
  const images = Array.from({ length: sizes.count }, (_, index) => tinyImage(context.round * 10 + pair, index));
  // The same backlog for both sides, under manifests of its own (a new digest, so it is scanned again).
  const backlogImages = [];
  for (let index = 0; index < sizes.backlog; index++) backlogImages.push(await mixedImage(context.sharedDir, index, sizes.mixedScale, `push-load-${context.round}-${pair}`));
  const repository = 'bench/scan-backlog';
  const pushed = new Set<string>();
  for (const image of backlogImages) await pushImageBlobs(client, repository, image, pushed);
  context.syncDisk();
  const targets: PushedImage[] = [];
  for (const image of backlogImages) targets.push({ repository, digest: await client.putManifest(repository, image.name, image.manifest) });
  const { result } = await context.phase(`${sizes.count} small images, scanning ${scanning ? 'on' : 'off'}`, () => runLoad({
    workers: sizes.inFlight,
    count: sizes.count,
    operation: async (index) => { await pushSmallImage(client, `bench/scan-push-${String(index).padStart(5, '0')}`, 'v1', images[index]!); },
  }), server);
  let backlogLeft: number | undefined;
  if (scanning) {
    const states = await Promise.all(targets.map(({ repository: name, digest }) => scanState(client, name, digest)));
    backlogLeft = states.filter((state) => state.status !== 'done').length;
  }
  return { perSecond: result.perSecond, backlogLeft };
}
