import type { HttpClientOptions } from '../client/http.js';
import type { RegistryClient } from '../client/registry.js';
import type { Profile } from '../profiles.js';
import type { RunningServer } from '../servers/server.js';

/** Which way is better for a metric: the ratio is always written so that above 1.0 means Berth is better. */
export type Better = 'higher' | 'lower';

/** A machine limit a throughput can be read against (see ceilings.ts). */
export type CeilingName = 'sha256' | 'generator' | 'fsyncWrite' | 'loopback';

export interface MetricSpec {
  /** Stable identifier, used in the JSON (sizes included: "push.monolithic.1GiB"). */
  readonly id: string;
  /** Section of the table. */
  readonly group: string;
  readonly label: string;
  readonly unit: string;
  readonly better: Better;
  /** For throughputs: the machine limits that bound it (the smallest is shown as a fraction). */
  readonly ceilings?: readonly CeilingName[];
}

/** What one timed phase cost, measured around it. */
export interface PhaseStats {
  readonly phase: string;
  readonly wallSeconds: number;
  /** utime + stime of the registry process during the phase, from /proc/<pid>/stat. */
  readonly serverCpuSeconds: number;
  /** CPU time of the benchmark process itself (the client) during the phase. */
  readonly clientCpuSeconds: number;
  /** Largest VmRSS sampled every ~50 ms during the phase. */
  readonly peakRssBytes: number;
  /** VmHWM at the end of the phase (the process's lifetime peak, which cannot be reset). */
  readonly hwmBytes: number;
  readonly rssSamples: number;
}

/** What a scenario is given for one round against one registry. */
export interface ScenarioContext {
  readonly server: RunningServer;
  readonly profile: Profile;
  /** 1-based. */
  readonly round: number;
  /** A scratch directory on the data disk, private to this session. */
  readonly workDir: string;
  /**
   * A directory on the data disk kept for the whole run: content that is the same every round (the scan session's
   * generated layers) is made once and reused.
   */
  readonly sharedDir: string;
  /**
   * Starts another process of this session's registry on a data directory of its own (with the session's settings
   * and credentials, `env` over them), stopped when the session ends. `seed` runs first, on the empty data directory.
   */
  startServer(options?: {
    readonly env?: Readonly<Record<string, string>>;
    readonly seed?: (dataDir: string) => Promise<void>;
  }): Promise<RunningServer>;
  /**
   * A client with its own keep-alive agent of `maxSockets` connections, closed when the session ends;
   * `options.authorization` is sent with every request it makes. It talks to `on` (a server from startServer) when
   * given.
   */
  client(maxSockets: number, options?: HttpClientOptions, on?: RunningServer): RegistryClient;
  /**
   * Runs a timed phase, measuring wall time, server CPU, client CPU and the server's peak RSS around it (of `on`, a
   * server from startServer, when given).
   */
  phase<T>(name: string, work: () => Promise<T>, on?: RunningServer): Promise<{ result: T; stats: PhaseStats }>;
  /** Records this round's value of a metric. */
  metric(spec: MetricSpec, value: number): void;
  /** A fact the report prints under the table, side by side for both registries (the last one per topic wins). */
  note(topic: string, text: string): void;
  /** A progress line on stderr. */
  progress(message: string): void;
  /** Flushes the data disk's dirty pages (untimed), so one phase's writeback does not land in the next. */
  syncDisk(): void;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** Installs or checks what it needs before the run starts (skopeo). */
  prepare?(): Promise<void>;
  run(context: ScenarioContext): Promise<void>;
}

export const MB = 1e6;
export const GB = 1e9;
