import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError, type HttpClientOptions } from './client/http.js';
import { RegistryClient } from './client/registry.js';
import type { Profile } from './profiles.js';
import type { Results } from './report.js';
import type { PhaseStats, Scenario, ScenarioContext } from './scenarios/scenario.js';
import { cpuSeconds, memoryStatus, RssSampler } from './servers/proc-stats.js';
import type { RunningServer, ServerLauncher, ServerName, StartOptions } from './servers/server.js';

/** Scenarios that run, in order, against one fresh registry process on a fresh data directory. */
export interface Session {
  readonly id: string;
  readonly scenarios: readonly Scenario[];
  /**
   * Start the registries with access control on, with one user (admin, a fresh random password each start): its
   * scenarios find the credentials in `server.credentials`. Off by default.
   */
  readonly auth?: boolean;
  /** The registries that run it (both by default): the scan session is Berth's alone, Distribution has no scanner. */
  readonly servers?: readonly ServerName[];
  /**
   * Settings the session's registries start with (in their environment; see StartOptions.env), prepared before the
   * first one starts: files they name go in `sharedDir`, which lasts the whole run.
   */
  env?(sharedDir: string, profile: Profile): Promise<Record<string, string>>;
}

/** Whether `launcher`'s registry runs `session`. */
export const runsOn = (session: Session, launcher: ServerName): boolean => session.servers?.includes(launcher) ?? true;

/** Where content generated once and reused by every round and session goes (under the run's folder; removed with it). */
export const sharedDirOf = (workRoot: string): string => join(workRoot, 'shared');

export interface SessionOptions {
  readonly session: Session;
  readonly launcher: ServerLauncher;
  readonly round: number;
  readonly profile: Profile;
  readonly workRoot: string;
  readonly results: Results;
}

/** Flushes dirty pages of the file system holding `path`, so writeback from one phase does not land in the next. */
export function syncFileSystem(path: string): void {
  execFileSync('sync', ['-f', path]);
}

/**
 * Starts the registry on a fresh data directory, reads its idle RSS, runs the session's scenarios (a failure is
 * recorded and the next scenario still runs), then stops it and removes its data.
 */
export async function runSession(options: SessionOptions): Promise<void> {
  const { session, launcher, round, profile, workRoot, results } = options;
  const sessionDir = join(workRoot, `${session.id}-r${round}-${launcher.name}`);
  const workDir = join(sessionDir, 'work');
  await mkdir(workDir, { recursive: true });
  const tag = `[${session.id} r${round} ${launcher.name}]`;
  const progress = (message: string): void => { process.stderr.write(`${tag} ${message}\n`); };

  const sharedDir = sharedDirOf(workRoot);
  await mkdir(sharedDir, { recursive: true });
  let startOptions: StartOptions;
  try {
    startOptions = {
      ...(session.auth && { auth: { username: 'admin', password: randomBytes(18).toString('base64url') } }),
      ...(session.env && { env: await session.env(sharedDir, profile) }),
    };
  } catch (error) {
    results.anomalies.push({ session: session.id, scenario: 'start', server: launcher.name, round, message: (error as Error).message });
    await rm(sessionDir, { recursive: true, force: true });
    return;
  }
  let server: RunningServer | undefined;
  let starting = performance.now();
  // The free port is picked before the process binds it, so another process can take it first: try again then.
  for (let attempt = 1; server === undefined; attempt++) {
    try {
      starting = performance.now();
      server = await launcher.start(sessionDir, startOptions);
    } catch (error) {
      progress(`could not start (attempt ${attempt}): ${(error as Error).message}`);
      if (attempt < 3) {
        await rm(join(sessionDir, 'data'), { recursive: true, force: true });
        continue;
      }
      results.anomalies.push({ session: session.id, scenario: 'start', server: launcher.name, round, message: (error as Error).message });
      await rm(sessionDir, { recursive: true, force: true });
      return;
    }
  }
  const clients: RegistryClient[] = [];
  const extraServers: RunningServer[] = [];
  try {
    const startSeconds = (performance.now() - starting) / 1000;
    await sleep(profile.settleMs);
    const idleRss = memoryStatus(server.pid).rss / 2 ** 20;
    results.add({
      id: 'rss.idle', group: 'Server resources', label: 'idle RSS after start (no load yet)', unit: 'MiB', better: 'lower',
    }, launcher.name, round, idleRss);
    progress(`answered GET /v2/ ${startSeconds.toFixed(2)} s after spawn; idle RSS ${idleRss.toFixed(0)} MiB${server.access ? `; access control: ${server.access}` : ''}`);

    for (const scenario of session.scenarios) {
      const context: ScenarioContext = {
        server,
        profile,
        round,
        workDir,
        sharedDir,
        async startServer(options = {}) {
          const dir = join(sessionDir, `server-${extraServers.length + 1}`);
          const dataDir = join(dir, 'data');
          await mkdir(dataDir, { recursive: true });
          await options.seed?.(dataDir);
          const extraOptions: StartOptions = { ...startOptions, env: { ...startOptions.env, ...options.env } };
          // As above, a port taken by another process meanwhile is tried again; the seeded data stays as it is.
          for (let attempt = 1; ; attempt++) {
            try {
              const extra = await launcher.start(dir, extraOptions);
              extraServers.push(extra);
              return extra;
            } catch (error) {
              if (attempt >= 3) throw error;
              progress(`could not start another ${launcher.name} (attempt ${attempt}): ${(error as Error).message}`);
            }
          }
        },
        client(maxSockets, options?: HttpClientOptions, on: RunningServer = server) {
          const client = new RegistryClient(on.url, maxSockets, options);
          clients.push(client);
          return client;
        },
        async phase<T>(name: string, work: () => Promise<T>, on: RunningServer = server): Promise<{ result: T; stats: PhaseStats }> {
          const sampler = new RssSampler(on.pid, 50);
          const serverCpu = cpuSeconds(on.pid);
          const clientCpu = process.cpuUsage();
          const start = performance.now();
          sampler.start();
          let sampled = { peakRss: 0, samples: 0 };
          let result: T;
          try {
            result = await work();
          } finally {
            sampled = sampler.stop();
          }
          const wallSeconds = (performance.now() - start) / 1000;
          const { peakRss, samples } = sampled;
          const clientUsed = process.cpuUsage(clientCpu);
          const stats: PhaseStats = {
            phase: name,
            wallSeconds,
            serverCpuSeconds: cpuSeconds(on.pid) - serverCpu,
            clientCpuSeconds: (clientUsed.user + clientUsed.system) / 1e6,
            peakRssBytes: peakRss,
            hwmBytes: memoryStatus(on.pid).hwm,
            rssSamples: samples,
          };
          results.phases.push({ ...stats, session: session.id, scenario: scenario.id, server: launcher.name, round });
          return { result, stats };
        },
        metric(spec, value) {
          results.add(spec, launcher.name, round, value);
        },
        note(topic, text) {
          results.note(topic, launcher.name, text);
        },
        progress,
        syncDisk: () => syncFileSystem(workRoot),
      };
      const started = performance.now();
      try {
        await scenario.run(context);
        progress(`${scenario.title} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        results.anomalies.push({
          session: session.id,
          scenario: scenario.id,
          server: launcher.name,
          round,
          message,
          ...(error instanceof HttpError && { exchange: { request: error.request, response: error.response } }),
          ...(!server.alive() && { serverOutput: server.output() }),
        });
        progress(`${scenario.title} FAILED: ${message}`);
        if (!server.alive()) {
          progress(`the registry process has exited; its last output:\n${server.output()}`);
          break;
        }
      }
    }
  } finally {
    for (const client of clients) client.close();
    for (const extra of extraServers) await extra.stop();
    await server.stop();
    syncFileSystem(workRoot);
    await rm(sessionDir, { recursive: true, force: true });
  }
}
