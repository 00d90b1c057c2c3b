/**
 * Berth vs CNCF Distribution 2.8, side by side: `npm run bench` (full profile), `npm run bench -- --quick`, or
 * `npm run bench -- --smoke` to check that everything works. See the "Benchmarks" section of README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { measureCeilings, type Ceilings } from './ceilings.js';
import { formatNumber, formatReport, Results, writeJson } from './report.js';
import { profiles, type Profile, type ProfileName } from './profiles.js';
import { authManifestRead, authSmallImages } from './scenarios/auth.js';
import { blobPull } from './scenarios/blob-pull.js';
import { blobPush } from './scenarios/blob-push.js';
import { fanOut } from './scenarios/fan-out.js';
import { manifestRead } from './scenarios/manifest-read.js';
import { skopeoCopy } from './scenarios/skopeo-copy.js';
import { smallImages } from './scenarios/small-images.js';
import { tagsAndCatalog } from './scenarios/tags-catalog.js';
import { scale } from './scenarios/scale.js';
import { scaleDiskNeed, scaleShape } from './scenarios/scale-dataset.js';
import { formatScaleTargets, scaleVerdicts } from './scenarios/scale-targets.js';
import { scanSession, scanDiskNeed } from './scenarios/scan-session.js';
import { formatScanTargets, scanTargets } from './scenarios/scan-targets.js';
import { berth, berthOnObjectStorage } from './servers/berth.js';
import { distribution, distributionOnObjectStorage } from './servers/distribution.js';
import { startObjectStorageBackends } from './servers/object-storage.js';
import { killAllServers, type ServerLauncher } from './servers/server.js';
import { runSession, runsOn, syncFileSystem, type Session } from './session.js';

/** A session may run its own number of rounds (the profile's otherwise; --rounds sets both). */
type BenchSession = Session & { readonly rounds?: (profile: Profile) => number };

const sessions: BenchSession[] = [
  { id: 'push', scenarios: [blobPush] },
  { id: 'pull', scenarios: [blobPull] },
  { id: 'fanout', scenarios: [fanOut] },
  { id: 'manifests', scenarios: [manifestRead] },
  // The catalog is listed after the small images, each in its own repository, so it has some size.
  { id: 'images', scenarios: [smallImages, tagsAndCatalog] },
  { id: 'skopeo', scenarios: [skopeoCopy] },
  // Both registries with access control on: Berth with BERTH_ADMIN_PASSWORD, Distribution with htpasswd (bcrypt).
  { id: 'auth', auth: true, scenarios: [authManifestRead, authSmallImages] },
  // A registry shaped like Harbor's performance dataset "small", seeded once per round: long at full size.
  { id: 'scale', scenarios: [scale], rounds: (profile) => profile.scale.rounds },
  // Berth's vulnerability scanner (Distribution has none): last, so its Berth-only figures pair with nothing.
  { ...scanSession, rounds: (profile) => profile.scan.rounds },
];

/** A and B of every round, in this order. */

const usage = `Usage: npm run bench [-- OPTIONS]

Runs Berth and CNCF Distribution 2.8 side by side (rounds A B A B) and prints one table of both and their ratio.

  --full             the full profile (default; about 15–20 minutes, and about an hour more for the scale session)
  --quick            the quick profile (under 5 minutes)
  --smoke            tiny sizes and durations, to check that everything works (about a minute; figures mean little)
  --rounds N         rounds per registry (default: the profile's; the scale and scan sessions have their own: scale 1 in
                     full and quick, scan 2 in full and 1 in quick)
  --only LIST        sessions to run, comma-separated: ${sessions.map((session) => session.id).join(', ')}
  --scenarios LIST   only these scenarios of the sessions chosen, comma-separated (ids as the results name them, such
                     as scan-rescan): to measure one figure again without the rest of its session
  --backends KIND    files (default): both on local disk, Berth on SQLite; s3: both registries' blobs in a real S3
                     server (OpenStack Swift, started for the run) and Berth's metadata in a real PostgreSQL
  --scale-factor F   the scale session's dataset: Harbor's "small" (100 projects × 100 repositories × 10 artifacts ×
                     5 tags) × F, by the number of repositories (0.01: 1 project of 100 repositories; default: 1 in
                     full, 0.02 in quick, 0.002 in smoke)
  --data-root DIR    where the registries' data directories go (default: the system's temporary directory)
  --no-ceilings      skip measuring the machine's limits
  --out FILE         where to write the JSON (default: bench/results/<timestamp>.json)
  --help             this text`;

const argumentOptions = {
  full: { type: 'boolean' },
  quick: { type: 'boolean' },
  smoke: { type: 'boolean' },
  rounds: { type: 'string' },
  'scale-factor': { type: 'string' },
  only: { type: 'string' },
  scenarios: { type: 'string' },
  backends: { type: 'string' },
  'data-root': { type: 'string' },
  'no-ceilings': { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean' },
} as const;

async function main(): Promise<number> {
  const parse = () => {
    try {
      return parseArgs({ options: argumentOptions });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  const { values } = parse();
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const chosen = (['smoke', 'quick', 'full'] as const).filter((name) => values[name]);
  if (chosen.length > 1) throw new UsageError(`choose one profile, not ${chosen.map((name) => `--${name}`).join(' and ')}`);
  const base = profiles[(chosen[0] ?? 'full') as ProfileName];
  let profile: Profile = base;
  if (values.rounds !== undefined) {
    const rounds = Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds ${values.rounds}: expected a whole number of 1 or more`);
    profile = { ...base, rounds, scale: { ...base.scale, rounds }, scan: { ...base.scan, rounds } };
  }
  if (values['scale-factor'] !== undefined) {
    const factor = Number(values['scale-factor']);
    if (!Number.isFinite(factor) || factor <= 0 || factor > 10) {
      throw new UsageError(`--scale-factor ${values['scale-factor']}: expected a number above 0 and at most 10`);
    }
    profile = { ...profile, scale: { ...profile.scale, factor } };
  }
  let selected = sessions;
  if (values.only !== undefined) {
    const wanted = values.only.split(',').map((id) => id.trim()).filter((id) => id !== '');
    const unknown = wanted.filter((id) => !sessions.some((session) => session.id === id));
    if (unknown.length > 0) throw new UsageError(`--only: no session ${unknown.join(', ')}; choose from ${sessions.map((s) => s.id).join(', ')}`);
    selected = sessions.filter((session) => wanted.includes(session.id));
  }
  if (values.scenarios !== undefined) {
    const wanted = values.scenarios.split(',').map((id) => id.trim()).filter((id) => id !== '');
    const known = selected.flatMap((session) => session.scenarios.map((scenario) => scenario.id));
    const unknown = wanted.filter((id) => !known.includes(id));
    if (unknown.length > 0) throw new UsageError(`--scenarios: no scenario ${unknown.join(', ')} in the sessions chosen; choose from ${known.join(', ')}`);
    selected = selected.map((session) => ({ ...session, scenarios: session.scenarios.filter((scenario) => wanted.includes(scenario.id)) }))
      .filter((session) => session.scenarios.length > 0);
  }

  const backendsKind = values.backends ?? 'files';
  if (backendsKind !== 'files' && backendsKind !== 's3') throw new UsageError(`--backends ${backendsKind}: choose files or s3`);
  const objectStorage = backendsKind === 's3' ? await startObjectStorageBackends() : undefined;
  const launchers: ServerLauncher[] = objectStorage
    ? [berthOnObjectStorage(objectStorage), distributionOnObjectStorage(objectStorage)]
    : [berth, distribution];
  // Only the registries some chosen session runs on: `--only scan` needs no Distribution.
  const used = launchers.filter((launcher) => selected.some((session) => runsOn(session, launcher.name)));
  for (const launcher of used) await launcher.ensureInstalled();
  for (const session of selected) for (const scenario of session.scenarios) await scenario.prepare?.();

  const dataRoot = resolve(values['data-root'] ?? tmpdir());
  const space = await statfs(dataRoot);
  const freeGiB = (space.bavail * space.bsize) / 2 ** 30;
  const needGiB = profile.name === 'smoke' ? 1 : 8;
  if (freeGiB < needGiB) throw new Error(`${dataRoot} has ${freeGiB.toFixed(1)} GiB free; the ${profile.name} profile needs about ${needGiB} GiB`);
  const scanNeed = selected.some((session) => session.id === 'scan') ? scanDiskNeed(profile) : 0;
  if (space.bavail * space.bsize < scanNeed) {
    throw new Error(`${dataRoot} has ${freeGiB.toFixed(1)} GiB free; the scan session needs about ${(scanNeed / 2 ** 30).toFixed(1)} GiB (its layers and the `
      + `rescan's ${profile.scan.inventories.toLocaleString('en-US')} stored inventories): pass --data-root on a larger file system`);
  }
  const scaleNeed = selected.some((session) => session.id === 'scale') ? scaleDiskNeed(scaleShape(profile.scale.factor)) : undefined;
  if (scaleNeed && (space.bavail * space.bsize < scaleNeed.bytes || space.ffree < scaleNeed.inodes)) {
    throw new Error(`${dataRoot} has ${freeGiB.toFixed(1)} GiB and ${space.ffree.toLocaleString('en-US')} inodes free; the scale session at factor `
      + `${profile.scale.factor} needs about ${(scaleNeed.bytes / 2 ** 30).toFixed(1)} GiB and ${scaleNeed.inodes.toLocaleString('en-US')} inodes: `
      + 'pass a smaller --scale-factor, or --data-root on a larger file system');
  }
  const workRoot = await mkdtemp(join(dataRoot, 'berth-bench-'));
  const cleanUp = async (): Promise<void> => {
    killAllServers();
    await objectStorage?.stop();
    await rm(workRoot, { recursive: true, force: true });
  };
  const interrupted = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nbench: ${signal}, stopping the registries and removing ${workRoot}\n`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const started = new Date();
  const results = new Results();
  try {
    const info = {
      profile: profile.name,
      rounds: profile.rounds,
      berth: used.includes(launchers[0]!) ? await launchers[0]!.describe() : 'not run (no session chosen runs it)',
      distribution: used.includes(launchers[1]!) ? await launchers[1]!.describe() : 'not run (the sessions chosen are Berth\'s alone)',
      machine: `${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, load average ${loadavg().map((load) => load.toFixed(2)).join(' ')} at start`,
      dataDisk: describeDisk(workRoot),
    };
    process.stderr.write(`bench: profile ${profile.name}, ${profile.rounds} rounds, sessions ${selected.map((s) => s.id).join(', ')}; data under ${workRoot}\n`);

    let ceilings: Ceilings | undefined;
    if (!values['no-ceilings']) {
      syncFileSystem(workRoot);
      ceilings = await measureCeilings(profile, workRoot);
      process.stderr.write(`bench: limits (MB/s): ${Object.entries(ceilings).map(([name, value]) => `${name} ${formatNumber(value)}`).join(', ')}\n`);
    }

    for (const session of selected) {
      const rounds = session.rounds?.(profile) ?? profile.rounds;
      for (let round = 1; round <= rounds; round++) {
        const elapsed = formatDuration((Date.now() - started.getTime()) / 1000);
        process.stderr.write(`bench: session ${session.id}, round ${round} of ${rounds} (${elapsed} so far, load average ${loadavg()[0]!.toFixed(2)})\n`);
        for (const launcher of launchers) {
          if (runsOn(session, launcher.name)) await runSession({ session, launcher, round, profile, workRoot, results });
        }
      }
    }

    const finished = new Date();
    const loadAtEnd = loadavg().map((load) => load.toFixed(2)).join(' ');
    const report = formatReport(results, ceilings, info);
    const outFile = resolve(values.out ?? join(import.meta.dirname, 'results', `${started.toISOString().replace(/[:.]/g, '-')}.json`));
    await writeJson(outFile, results, {
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationSeconds: (finished.getTime() - started.getTime()) / 1000,
      profile,
      sessions: selected.map((session) => ({ id: session.id, scenarios: session.scenarios.map((scenario) => scenario.id) })),
      servers: { berth: info.berth, distribution: info.distribution },
      machine: { description: info.machine, cpus: cpus().length, memoryBytes: totalmem(), kernel: release(), node: process.version, loadAverageAtEnd: loadAtEnd },
      dataDisk: info.dataDisk,
      ceilingsMBps: ceilings ?? null,
      ...(scaleVerdicts(results).length > 0 && { scaleTargets: { factor: profile.scale.factor, calls: scaleVerdicts(results) } }),
      ...(scanTargets(results, profile).length > 0 && { scanTargets: scanTargets(results, profile) }),
    });
    process.stdout.write(`\n${report}\n\n`);
    const scaleTargets = formatScaleTargets(results, profile.scale);
    if (scaleTargets !== undefined) process.stdout.write(`${scaleTargets}\n\n`);
    const scanTargetsTable = formatScanTargets(results, profile);
    if (scanTargetsTable !== undefined) process.stdout.write(`${scanTargetsTable}\n\n`);
    process.stdout.write(`Load average at end: ${loadAtEnd}. Took ${formatDuration((finished.getTime() - started.getTime()) / 1000)}.\n`);
    process.stdout.write(`Results written to ${outFile}\n`);
    return results.anomalies.length > 0 ? 1 : 0;
  } finally {
    await cleanUp();
  }
}

function describeDisk(path: string): string {
  try {
    const [source, type, target] = execFileSync('findmnt', ['-n', '-o', 'SOURCE,FSTYPE,TARGET', '-T', path], { encoding: 'utf8' }).trim().split(/\s+/);
    return `${path} on ${source} (${type}, mounted at ${target}); both registries' data directories are under it`;
  } catch {
    return `${path}; both registries' data directories are under it`;
  }
}

function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${seconds.toFixed(1)} s`;
}

class UsageError extends Error {}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  killAllServers();
  if (error instanceof UsageError) {
    process.stderr.write(`bench: ${error.message}\n\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
