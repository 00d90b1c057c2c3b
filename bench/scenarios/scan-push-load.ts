import { sha256 } from '../client/content.js';
import { imageConfig, imageManifest, pushSmallImage, type SmallImage } from '../client/images.js';
import { runLoad } from '../client/load.js';
import { ociConfig, ociLayerGzip, type RegistryClient } from '../client/registry.js';
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

/** One registry of the comparison: scanning on or off, paused (SIGSTOP) while the other one is timed. */
interface Side {
  readonly scanning: boolean;
  readonly server: RunningServer;
  readonly client: RegistryClient;
  readonly backlog: PushedImage[];
  images: number;
  seconds: number;
  serverCpuSeconds: number;
}

/**
 * Pushes while scans run: two registries, one scanning (given a backlog of mixed images to scan, and scanning each
 * pushed image too) and one with scanning off (BERTH_SCANNING_ENABLED=false, the same backlog pushed), take `count`
 * small images each, `inFlight` at a time, in `bursts` short alternating bursts (on, off, off, on, …). The registry
 * not being timed is paused with SIGSTOP, so its work cannot fall on the other's burst. Bursts are short because this
 * machine's speed drifts within seconds: whole sides run one after the other measured the same registry anywhere from
 * 147 to 238 images/s in one run, and eight bursts of 500 gave losses from 2% to 18% for the same build; forty bursts
 * of 100 gave 3% to 9%.
 */
export const scanPushLoad: Scenario = {
  id: 'scan-push-load',
  title: 'scan: pushes while scans run',

  async run(context: ScenarioContext) {
    const { count, inFlight, backlog, bursts } = context.profile.scan.pushes;
    const mixedScale = context.profile.scan.mixed.scale;
    const images = Array.from({ length: count }, (_, index) => tinyImage(context.round, index));
    const sides: Side[] = [];
    try {
      for (const scanning of [true, false]) {
        const server = await context.startServer(scanning ? {} : { env: { BERTH_SCANNING_ENABLED: 'false' } });
        const side: Side = { scanning, server, client: scanClient(context, server, inFlight), backlog: [], images: 0, seconds: 0, serverCpuSeconds: 0 };
        sides.push(side);
        await prepare(context, side, { count, inFlight, backlog, mixedScale });
        pause(side);
      }
      const [on, off] = sides as [Side, Side];
      const perBurst = Math.ceil(count / bursts);
      for (let burst = 0; burst < bursts; burst++) {
        // on, off, off, on, on, off, …: neither side is always first after the other.
        const order = (burst + context.round) % 2 === 0 ? [on, off] : [off, on];
        for (const side of order) {
          const from = burst * perBurst;
          await timedBurst(context, side, images.slice(from, Math.min(count, from + perBurst)), from);
        }
      }
      resume(on);
      const states = await Promise.all(on.backlog.map(({ repository, digest }) => scanState(on.client, repository, digest)));
      const backlogLeft = states.filter((state) => state.status !== 'done').length;
      report(context, on, off, { count, inFlight, backlog, bursts, backlogLeft });
    } finally {
      for (const side of sides) {
        resume(side);
        await side.server.stop();
      }
    }
  },
};

/**
 * Warms a registry up with a burst of small images (untimed, scan on push included, so that neither side's first
 * burst is its cold start), then pushes the backlog: its blobs first, then its manifests at once, so that its scans
 * start just before the registry is paused rather than running out while the rest is prepared.
 */
async function prepare(context: ScenarioContext, side: Side, sizes: { count: number; inFlight: number; backlog: number; mixedScale: number }): Promise<void> {
  await warmUp(side.client);
  const warm = Array.from({ length: Math.min(200, sizes.count) }, (_, index) => tinyImage(0, index));
  await runLoad({
    workers: sizes.inFlight,
    count: warm.length,
    operation: async (index) => { await pushSmallImage(side.client, `bench/scan-warm-${String(index).padStart(5, '0')}`, 'v1', warm[index]!); },
  });
  // The same backlog for both sides, under manifests of their own (a new digest, so it is scanned again).
  const repository = 'bench/scan-backlog';
  const backlog = [];
  for (let index = 0; index < sizes.backlog; index++) backlog.push(await mixedImage(context.sharedDir, index, sizes.mixedScale, `push-load-${context.round}`));
  const pushed = new Set<string>();
  for (const image of backlog) await pushImageBlobs(side.client, repository, image, pushed);
  for (const image of backlog) side.backlog.push({ repository, digest: await side.client.putManifest(repository, image.name, image.manifest) });
}

async function timedBurst(context: ScenarioContext, side: Side, images: readonly SmallImage[], from: number): Promise<void> {
  context.syncDisk();
  resume(side);
  try {
    const { result, stats } = await context.phase(`${images.length} small images, scanning ${side.scanning ? 'on' : 'off'}`, () => runLoad({
      workers: context.profile.scan.pushes.inFlight,
      count: images.length,
      operation: async (index) => { await pushSmallImage(side.client, `bench/scan-push-${String(from + index).padStart(5, '0')}`, 'v1', images[index]!); },
    }), side.server);
    side.images += result.operations;
    side.seconds += result.seconds;
    side.serverCpuSeconds += stats.serverCpuSeconds;
  } finally {
    pause(side);
  }
}

function report(context: ScenarioContext, on: Side, off: Side,
  sizes: { count: number; inFlight: number; backlog: number; bursts: number; backlogLeft: number }): void {
  const rate = (side: Side): number => side.images / side.seconds;
  const cpuMs = (side: Side): number => (side.serverCpuSeconds * 1000) / side.images;
  const base = `${sizes.count.toLocaleString('en-US')} small images, ${sizes.inFlight} in flight, ${sizes.bursts} bursts`;
  context.metric({ id: 'scan.push.on', group: scanGroup, unit: 'image/s', better: 'higher', label: `${base}, while ${sizes.backlog} mixed images are scanned` }, rate(on));
  context.metric({ id: 'scan.push.off', group: scanGroup, unit: 'image/s', better: 'higher', label: `${base}, scanning off (same backlog pushed)` }, rate(off));
  const loss = (1 - rate(on) / rate(off)) * 100;
  context.metric({ id: 'scan.push.loss', group: scanGroup, unit: '%', better: 'lower', label: 'push throughput lost to scanning (target ≤ 10%)' }, loss);
  context.metric({ id: 'scan.push.cpu.on', group: scanGroup, unit: 'ms', better: 'lower', label: 'server CPU per pushed image, scanning (all threads)' }, cpuMs(on));
  context.metric({ id: 'scan.push.cpu.off', group: scanGroup, unit: 'ms', better: 'lower', label: 'server CPU per pushed image, scanning off' }, cpuMs(off));
  if (sizes.backlogLeft === 0) {
    context.note('pushes while scans run', 'the scanner finished its backlog before the pushes ended: the loss is understated; raise the backlog');
  }
  context.progress(`pushes: ${rate(on).toFixed(0)} image/s scanning (${sizes.backlogLeft} of ${sizes.backlog} backlog scans left at the end), `
    + `${rate(off).toFixed(0)} image/s not scanning: ${loss.toFixed(1)}% lost; server CPU ${cpuMs(on).toFixed(2)} against ${cpuMs(off).toFixed(2)} ms per image`);
}

/** Stops the registry's process (every thread of it) until resumed: it takes no CPU while the other side is timed. */
function pause(side: Side): void {
  if (side.server.alive()) process.kill(side.server.pid, 'SIGSTOP');
}

function resume(side: Side): void {
  if (side.server.alive()) process.kill(side.server.pid, 'SIGCONT');
}
