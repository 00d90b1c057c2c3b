import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export interface BerthProcess {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** host:port, the form registry clients take (`127.0.0.1:41234`). */
  readonly hostPort: string;
  readonly port: number;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Log lines the process wrote (JSON, one per line). */
  readonly logs: string[];
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
}

export interface StartOptions {
  /** Reuse a data folder (to restart over the same data); a fresh temporary one otherwise. */
  readonly dataDir?: string;
  readonly env?: Record<string, string>;
  readonly args?: string[];
}

const repoRoot = resolve(import.meta.dirname, '..', '..');
const startTimeoutMs = 60_000;
const cli = join(repoRoot, 'bin', 'berth.js');

/** Starts `berth serve` as a real child process on a free loopback port, as a user would run it. */
export async function startBerthProcess(options: StartOptions = {}): Promise<BerthProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-test-'));
  const child = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0', '--data', dataDir, ...(options.args ?? [])], {
    env: { ...process.env, BERTH_LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => { stderr += data.toString(); });
  const port = await new Promise<number>((resolvePort, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      logs.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'berth listening' && entry.port) {
          clearTimeout(giveUp);
          resolvePort(entry.port);
        }
      } catch {
        // not JSON: kept in logs only
      }
    });
    child.once('exit', (code) => reject(new Error(`berth exited with ${code} before listening:\n${stderr}\n${logs.join('\n')}`)));
    // It reports its port in an info line: a log level above info, or a hang, must fail the test, not stall the run.
    const giveUp = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`berth did not report "berth listening" within ${startTimeoutMs / 1000} s (is BERTH_LOG_LEVEL above info?):\n${stderr}\n${logs.join('\n')}`));
    }, startTimeoutMs);
    giveUp.unref();
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    url: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    port,
    dataDir,
    child,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Removes a temporary data folder. */
export function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
}
