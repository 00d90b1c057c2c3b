import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeDir } from './run.js';

export interface DaemonSpec {
  /** What the daemon is called in failure messages, and its log file's name. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The daemon's temporary folder: its log goes there, and it is removed when the daemon stops. */
  readonly dir: string;
  /** The socket that appears once it listens. */
  readonly socket: string;
  /** Whether the daemon answers (run once the socket exists). */
  ready(): Promise<boolean>;
  readonly readyWithinMs: number;
}

export interface Daemon {
  /** The daemon's log so far, for failure messages. */
  log(): string;
  /** SIGTERM and wait (SIGKILL after 20 s), then remove the temporary folder. */
  stop(): Promise<void>;
}

/**
 * Starts a daemon of the tests' own (containerd, dockerd) with its output in a log file, and waits until it
 * answers; one that exits or does not answer in time fails with its log, leaving nothing behind.
 */
export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  const logFile = join(spec.dir, `${spec.name}.log`);
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args, { stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    }
    removeDir(spec.dir);
  };

  const deadline = Date.now() + spec.readyWithinMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const text = log();
      removeDir(spec.dir);
      throw new Error(`${spec.name} exited before serving:\n${text}`);
    }
    if (existsSync(spec.socket) && await spec.ready()) return { log, stop };
    if (Date.now() > deadline) {
      const text = log();
      await stop();
      throw new Error(`${spec.name} did not serve ${spec.socket} within ${spec.readyWithinMs / 1000} s:\n${text}`);
    }
    await sleep(200);
  }
}
