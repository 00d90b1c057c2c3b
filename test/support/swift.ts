import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * A real S3 server for the tests: OpenStack Swift with its S3 API (Debian's swift packages, installed by
 * scripts/install-test-deps.sh), one replica of each ring on one device, tempauth with the user test:tester, and
 * memcached for the proxy. Every server runs from a temporary folder on free loopback ports and is stopped
 * afterwards. Recipe: shared/design/REAL-COMPONENTS.md.
 */
export interface S3Server {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  stop(): Promise<void>;
}

const rings = ['object', 'container', 'account'] as const;

function runOrThrow(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

export async function startSwift(): Promise<S3Server> {
  if (!existsSync('/usr/bin/swift-proxy-server')) {
    throw new Error('OpenStack Swift is not installed: run "bash scripts/install-test-deps.sh" as root (it installs swift and memcached)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'berth-swift-'));
  mkdirSync(join(dir, 'srv', 'd1'), { recursive: true });
  mkdirSync(join(dir, 'run'));
  const ports = { object: await freePort(), container: await freePort(), account: await freePort(), proxy: await freePort(), memcached: await freePort() };
  writeFileSync(join(dir, 'swift.conf'), [
    '[swift-hash]', 'swift_hash_path_suffix = berth-tests', 'swift_hash_path_prefix = berth',
    '[storage-policy:0]', 'name = Policy-0', 'default = yes', '',
  ].join('\n'));
  for (const ring of rings) {
    runOrThrow('swift-ring-builder', [`${ring}.builder`, 'create', '10', '1', '1'], dir);
    runOrThrow('swift-ring-builder', [`${ring}.builder`, 'add', `r1z1-127.0.0.1:${ports[ring]}/d1`, '100'], dir);
    runOrThrow('swift-ring-builder', [`${ring}.builder`, 'rebalance'], dir);
    writeFileSync(join(dir, `${ring}-server.conf`), [
      '[DEFAULT]', `devices = ${join(dir, 'srv')}`, 'mount_check = false', 'bind_ip = 127.0.0.1', `bind_port = ${ports[ring]}`,
      // workers = 0: one process, no forked worker that could outlive the test.
      'workers = 0', `swift_dir = ${dir}`, 'user = root', 'log_level = WARNING',
      '[pipeline:main]', `pipeline = ${ring}-server`,
      `[app:${ring}-server]`, `use = egg:swift#${ring}`,
      '', // the replicators and auditors these files could configure are not run
    ].join('\n'));
  }
  const filters = ['catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats', 'copy', 'slo', 'dlo'];
  writeFileSync(join(dir, 'proxy-server.conf'), [
    '[DEFAULT]', 'bind_ip = 127.0.0.1', `bind_port = ${ports.proxy}`, 'workers = 0', `swift_dir = ${dir}`, 'user = root',
    'log_level = WARNING',
    '[pipeline:main]',
    'pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server',
    '[app:proxy-server]', 'use = egg:swift#proxy', 'account_autocreate = true',
    '[filter:tempauth]', 'use = egg:swift#tempauth', 'user_test_tester = testing .admin',
    '[filter:s3api]', 'use = egg:swift#s3api',
    '[filter:cache]', 'use = egg:swift#memcache', `memcache_servers = 127.0.0.1:${ports.memcached}`,
    ...filters.flatMap((name) => [`[filter:${name}]`, `use = egg:swift#${name.replace('-', '_')}`]),
    '',
  ].join('\n'));

  const children: ChildProcess[] = [];
  const output: string[] = [];
  const launch = (command: string, args: string[]): void => {
    // A process group of its own, so that stopping it takes any child it forked along.
    const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.on('data', (data: Buffer) => output.push(data.toString()));
    child.stderr!.on('data', (data: Buffer) => output.push(data.toString()));
    children.push(child);
  };
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    launch('memcached', ['-u', 'root', '-l', '127.0.0.1', '-p', String(ports.memcached), '-U', '0']);
    for (const ring of rings) launch(`swift-${ring}-server`, [join(dir, `${ring}-server.conf`)]);
    launch('swift-proxy-server', [join(dir, 'proxy-server.conf')]);
    const endpoint = `http://127.0.0.1:${ports.proxy}`;
    for (let attempt = 0; ; attempt++) {
      const healthy = await fetch(`${endpoint}/healthcheck`).then((response) => response.ok, () => false);
      if (healthy) break;
      const died = children.find((child) => child.exitCode !== null);
      if (died || attempt > 300) throw new Error(`Swift did not start:\n${output.join('').slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { endpoint, region: 'us-east-1', accessKeyId: 'test:tester', secretAccessKey: 'testing', stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
