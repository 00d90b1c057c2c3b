import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSize } from '../client/content.js';
import { writeOciLayout } from '../client/oci-layout.js';
import { aptInstall, executable } from '../servers/debian-packages.js';
import { warmUp } from './warm-up.js';
import { MB, type Scenario, type ScenarioContext } from './scenario.js';

const skopeo = '/usr/bin/skopeo';
const group = 'End to end (skopeo)';

/**
 * A real client end to end: `skopeo copy` of a multi-layer image from an OCI layout into the registry, and from
 * the registry into a new OCI layout. Each repetition builds a new layout with fresh random layers (untimed).
 */
export const skopeoCopy: Scenario = {
  id: 'skopeo',
  title: 'skopeo copy',

  async prepare() {
    if (await executable(skopeo)) return;
    if (process.getuid?.() !== 0) throw new Error(`${skopeo} is missing: install it with "apt-get install skopeo" as root`);
    process.stderr.write('bench: installing Debian package skopeo\n');
    await aptInstall(['skopeo']);
  },

  async run(context: ScenarioContext) {
    const { layers, layerBytes, reps } = context.profile.skopeo;
    await warmUp(context.client(1));
    let inSeconds = 0;
    let outSeconds = 0;
    let bytes = 0;
    let peakRss = 0;
    for (let rep = 0; rep < reps; rep++) {
      const source = join(context.workDir, `layout-${rep}`);
      const target = join(context.workDir, `copy-${rep}`);
      const image = await writeOciLayout(source, layers, layerBytes);
      const reference = `docker://${context.server.hostPort}/bench/e2e:r${context.round}-${rep}`;
      context.syncDisk();
      const copyIn = await context.phase(`skopeo copy in #${rep + 1}`,
        () => runSkopeo(['copy', '--dest-tls-verify=false', `oci:${source}:${image.tag}`, reference]));
      context.syncDisk();
      const copyOut = await context.phase(`skopeo copy out #${rep + 1}`,
        () => runSkopeo(['copy', '--src-tls-verify=false', reference, `oci:${target}:latest`]));
      const index = JSON.parse(await readFile(join(target, 'index.json'), 'utf8')) as { manifests?: { digest?: string }[] };
      const copied = index.manifests?.[0]?.digest;
      if (copied !== image.manifestDigest) {
        throw new Error(`skopeo copied out manifest ${String(copied)}, but ${image.manifestDigest} was copied in`);
      }
      inSeconds += copyIn.stats.wallSeconds;
      outSeconds += copyOut.stats.wallSeconds;
      bytes += image.totalBytes;
      peakRss = Math.max(peakRss, copyIn.stats.peakRssBytes, copyOut.stats.peakRssBytes);
      await rm(source, { recursive: true, force: true });
      await rm(target, { recursive: true, force: true });
    }
    const what = `${layers}-layer ${formatSize(layers * layerBytes)} image`;
    context.metric({ id: 'skopeo.in', group, label: `skopeo copy in (${what})`, unit: 's', better: 'lower' }, inSeconds / reps);
    context.metric({ id: 'skopeo.out', group, label: `skopeo copy out (${what})`, unit: 's', better: 'lower' }, outSeconds / reps);
    context.metric({
      id: 'rss.skopeo', group: 'Server resources', label: 'peak RSS: skopeo copies', unit: 'MiB', better: 'lower',
    }, peakRss / 2 ** 20);
    context.progress(`skopeo copy in ${(inSeconds / reps).toFixed(2)} s (${(bytes / MB / inSeconds).toFixed(0)} MB/s), out ${(outSeconds / reps).toFixed(2)} s`);
  },
};

/** Runs skopeo with no signature policy (a local benchmark), failing with its output on a non-zero exit. */
function runSkopeo(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(skopeo, ['--insecure-policy', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (data: Buffer) => { output = (output + data.toString()).slice(-8000); });
    child.stderr.on('data', (data: Buffer) => { output = (output + data.toString()).slice(-8000); });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`skopeo ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}
