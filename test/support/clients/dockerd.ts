import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type Daemon } from './daemon.js';
import { makeTempDir, removeDir, runCommand, type RunOptions, type RunResult } from './run.js';
import { dockerPath, tool } from './tools.js';

export interface Dockerd {
  /** The API socket, as DOCKER_HOST wants it (`unix://…`). */
  readonly host: string;
  readonly dir: string;
  /**
   * Runs the docker CLI against this daemon with `DOCKER_CONFIG=dockerConfig` (a folder holding config.json, so
   * each user of a test keeps its own credentials). Resolves whatever the exit status.
   */
  docker(args: readonly string[], dockerConfig: string, options?: RunOptions): Promise<RunResult>;
  /** The daemon's log so far, for failure messages. */
  log(): string;
  /** SIGTERM and wait (SIGKILL after 20 s), then remove the temporary folder. */
  stop(): Promise<void>;
}

export interface DockerdOptions {
  /**
   * An already running containerd's socket for dockerd to use (its images and containers live in containerd's
   * `moby` namespace, apart from ctr's `default`). Without it dockerd starts a containerd of its own as its child.
   */
  readonly containerdSocket?: string;
}

/**
 * Starts a private Docker engine: data root, exec root, pid file, socket and an empty daemon.json under a temporary
 * folder, vfs storage (no overlay mounts to clean up), and no bridge, NAT or iptables rules, so nothing of the
 * machine's own Docker (or its network) is touched. Docker treats 127.0.0.0/8 as an insecure registry by default,
 * so plain-HTTP Berth on loopback needs no setting.
 */
export async function startDockerd(options: DockerdOptions = {}): Promise<Dockerd> {
  const dockerd = tool('dockerd');
  const docker = dockerPath();
  const dir = makeTempDir('dockerd');
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const configFile = join(dir, 'daemon.json');
  writeFileSync(configFile, '{}\n');
  const clientEnv = (dockerConfig: string): Record<string, string> => ({ DOCKER_HOST: host, DOCKER_CONFIG: dockerConfig });

  // Ready once the CLI can talk to it.
  const probeConfig = makeTempDir('docker-probe');
  writeFileSync(join(probeConfig, 'config.json'), '{}\n');
  let daemon: Daemon;
  try {
    daemon = await startDaemon({
      name: 'dockerd', command: dockerd, dir, socket, readyWithinMs: 60_000,
      args: [
        '--config-file', configFile,
        '--data-root', join(dir, 'root'),
        '--exec-root', join(dir, 'exec'),
        '--pidfile', join(dir, 'dockerd.pid'),
        '--host', host,
        '--storage-driver', 'vfs',
        '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--bridge', 'none',
        ...(options.containerdSocket !== undefined ? ['--containerd', options.containerdSocket] : []),
      ],
      ready: async () => (await runCommand(docker, ['version', '--format', '{{.Server.Version}}'],
        { env: clientEnv(probeConfig), timeoutMs: 10_000 })).code === 0,
    });
  } finally {
    removeDir(probeConfig);
  }
  const { log, stop } = daemon;

  return {
    host,
    dir,
    docker: (args, dockerConfig, runOptions = {}) =>
      runCommand(docker, args, { ...runOptions, env: { ...runOptions.env, ...clientEnv(dockerConfig) } }),
    log,
    stop,
  };
}
