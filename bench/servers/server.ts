import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export type ServerName = 'berth' | 'distribution';

/** The one user a registry started with access control on knows. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface StartOptions {
  /** Turns access control on, with this one user (Berth: only "admin", its bootstrap administrator). */
  readonly auth?: Credentials;
  /**
   * Settings given to the registry in its environment, over the launcher's own (Berth's `BERTH_*` variables: the
   * scan session's advisory feed, scanning turned off). Only Berth takes them; Distribution refuses any.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/** A registry process under test. */
export interface RunningServer {
  readonly name: ServerName;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly hostPort: string;
  readonly pid: number;
  readonly dataDir: string;
  /** The user every request must authenticate as, when it was started with access control on. */
  readonly credentials?: Credentials;
  /** How access control is configured, for the report: undefined when it is off. */
  readonly access?: string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** The last few KiB it wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

/** Starts one kind of registry on a fresh data directory. */
export interface ServerLauncher {
  readonly name: ServerName;
  /** A short description for the report: version and the configuration it runs with. */
  describe(): Promise<string>;
  /** Installs what it needs when missing (Distribution: the Debian package). */
  ensureInstalled(): Promise<void>;
  /** `sessionDir` is empty and private to this start; the data directory goes inside it. No auth unless asked. */
  start(sessionDir: string, options?: StartOptions): Promise<RunningServer>;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; a race with another process is possible but unlikely). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const children = new Set<ChildProcess>();

/** Kills every server still running: for an interrupted or failed run. */
export function killAllServers(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * Spawns a server process, keeps the tail of its output for error messages, and waits until `GET /v2/` answers
 * 200 (or the process exits, or `timeoutMs` passes); with `credentials`, that GET sends them with HTTP Basic, so a
 * start also checks that they are accepted.
 */
export async function spawnServer(options: {
  name: ServerName;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  port: number;
  dataDir: string;
  timeoutMs?: number;
  credentials?: Credentials;
  access?: string;
}): Promise<RunningServer> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  const keep = (data: Buffer): void => {
    output = (output + data.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    children.delete(child);
    resolve();
  }));
  let spawnError: Error | undefined;
  child.once('error', (error) => { spawnError = error; });

  const hostPort = `127.0.0.1:${options.port}`;
  const url = `http://${hostPort}`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (spawnError) throw new Error(`${options.name}: could not run ${options.command}: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.name} exited (${child.exitCode ?? child.signalCode}) before answering GET /v2/:\n${output}`);
    }
    if (await answers(`${url}/v2/`, options.credentials)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not answer GET /v2/ with 200 within ${options.timeoutMs ?? 30_000} ms:\n${output}`);
    }
    await sleep(50);
  }
  if (child.pid === undefined) throw new Error(`${options.name} has no pid`);
  return {
    name: options.name,
    url,
    hostPort,
    pid: child.pid,
    dataDir: options.dataDir,
    ...(options.credentials && { credentials: options.credentials }),
    ...(options.access !== undefined && { access: options.access }),
    alive: () => child.exitCode === null && child.signalCode === null,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One GET without keep-alive, with Basic credentials when given; true on a 200. */
function answers(url: string, credentials?: Credentials): Promise<boolean> {
  const auth = credentials ? `${credentials.username}:${credentials.password}` : undefined;
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: 1000, auth }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}
