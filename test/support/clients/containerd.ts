import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';
import { makeTempDir, run, runCommand, type RunResult } from './run.js';
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
  // Ready once ctr can talk to it.
  const { log, stop } = await startDaemon({
    name: 'containerd', command: containerd, args: ['--config', config], dir, socket, readyWithinMs: 30_000,
    ready: async () => (await runCommand(ctrBinary, ['-a', socket, 'version'], { timeoutMs: 10_000 })).code === 0,
  });

  return {
    socket,
    dir,
    ctr: (args) => run(ctrBinary, ['-a', socket, ...args]),
    log,
    stop,
  };
}
