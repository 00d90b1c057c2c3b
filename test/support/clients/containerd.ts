import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTempDir, removeDir, run, runCommand, type RunResult } from './run.js';
import { tool } from './tools.js';

export interface Containerd {
  /** The gRPC socket, for `ctr -a`. */
  readonly socket: string;
  readonly dir: string;
  /** Runs `ctr -a <socket> <args>`, which must succeed. */
  ctr(args: readonly string[]): Promise<RunResult>;
  /** The daemon's log so far, for failure messages. */
  log(): string;
  /** SIGTERM and wait (SIGKILL after 20 s), then remove the temporary folder. */
  stop(): Promise<void>;
}

/**
 * Starts a private containerd: root, state, sockets and the `opt` plugin's folder under a temporary folder, the CRI
 * plugin disabled (it wants CNI and a pause image, neither of which exists here). Nothing of the system's containerd
 * is touched.
 */
export async function startContainerd(): Promise<Containerd> {
  const containerd = tool('containerd');
  const ctrBinary = tool('ctr');
  const dir = makeTempDir('containerd');
  const socket = join(dir, 'containerd.sock');
  const config = join(dir, 'config.toml');
  writeFileSync(config, [
    'version = 2',
    `root = "${join(dir, 'root')}"`,
    `state = "${join(dir, 'state')}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '',
    '[grpc]',
    `  address = "${socket}"`,
    '',
    '[ttrpc]',
    `  address = "${socket}.ttrpc"`,
    '',
    '[debug]',
    `  address = "${join(dir, 'debug.sock')}"`,
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${join(dir, 'opt')}"`,
    '',
  ].join('\n'));
  const logFile = join(dir, 'containerd.log');
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(containerd, ['--config', config], { stdio: ['ignore', logFd, logFd] });
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
    removeDir(dir);
  };

  // Ready once ctr can talk to it.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const text = log();
      removeDir(dir);
      throw new Error(`containerd exited before serving:\n${text}`);
    }
    if (existsSync(socket)) {
      const probe = await runCommand(ctrBinary, ['-a', socket, 'version'], { timeoutMs: 10_000 });
      if (probe.code === 0) break;
    }
    if (Date.now() > deadline) {
      const text = log();
      await stop();
      throw new Error(`containerd did not serve ${socket} within 30 s:\n${text}`);
    }
    await sleep(200);
  }

  return {
    socket,
    dir,
    ctr: (args) => run(ctrBinary, ['-a', socket, ...args]),
    log,
    stop,
  };
}
