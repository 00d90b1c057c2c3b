import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { aptInstall, executable } from './debian-packages.js';
import { bcryptCost, bcryptHash } from './htpasswd.js';
import type { ObjectStorageBackends } from './object-storage.js';
import { freePort, spawnServer, type RunningServer, type ServerLauncher, type StartOptions } from './server.js';

const binary = '/usr/bin/docker-registry';
const run = promisify(execFile);

/**
 * CNCF Distribution 2.8 from Debian's `docker-registry` package, on its filesystem driver with deletes enabled and
 * no auth. Its log level is set to warn with access logs off, as Berth runs with --log-level warn; the in-memory
 * blob descriptor cache is on, as in the configuration both Debian and upstream ship. Asked for auth, it gets its
 * `auth: htpasswd` access controller (the only one it has without a separate token server) with one bcrypt entry.
 */
export const distribution: ServerLauncher = distributionLauncher('filesystem driver', async (dataDir) => [
  '  filesystem:',
  `    rootdirectory: ${JSON.stringify(dataDir)}`,
]);

/** Distribution on its s3 driver, against the same S3 server as Berth, a fresh bucket per start. */
export function distributionOnObjectStorage(backends: ObjectStorageBackends): ServerLauncher {
  return distributionLauncher('s3 driver on OpenStack Swift', async () => [
    '  s3:',
    `    accesskey: ${JSON.stringify(backends.s3.accessKeyId)}`,
    `    secretkey: ${JSON.stringify(backends.s3.secretAccessKey)}`,
    `    region: ${backends.s3.region}`,
    `    regionendpoint: ${backends.s3.endpoint}`,
    `    bucket: ${await backends.newBucket('distribution')}`,
    '    secure: false',
    '    v4auth: true',
    // Blob GETs stream through the registry, as Berth's do, rather than redirecting to the object store.
    '  redirect:',
    '    disable: true',
  ]);
}

function distributionLauncher(driver: string, storage: (dataDir: string) => Promise<string[]>): ServerLauncher {
  return {
    name: 'distribution',

    async describe() {
      const { stdout } = await run(binary, ['--version']);
      return `${stdout.trim()} (${driver}, delete enabled, blobdescriptor cache inmemory, log level warn, no access log)`;
    },

    async ensureInstalled() {
      if (await executable(binary)) return;
      if (process.getuid?.() !== 0) {
        throw new Error(`${binary} is missing: install it with "apt-get install docker-registry" as root, or run the benchmark as root`);
      }
      process.stderr.write('bench: installing Debian package docker-registry (CNCF Distribution 2.8)\n');
      await aptInstall(['docker-registry']);
      if (!(await executable(binary))) throw new Error(`apt-get installed docker-registry but ${binary} is still missing`);
    },

    async start(sessionDir: string, options: StartOptions = {}): Promise<RunningServer> {
      const { auth } = options;
      if (options.env !== undefined && Object.keys(options.env).length > 0) {
        throw new Error(`distribution: no settings are passed in its environment (asked for ${Object.keys(options.env).join(', ')})`);
      }
      const dataDir = join(sessionDir, 'data');
      await mkdir(dataDir, { recursive: true });
      const port = await freePort();
      const config = join(sessionDir, 'config.yml');
      const htpasswd = join(sessionDir, 'htpasswd');
      let hashedWith = '';
      if (auth) {
        const { hash, tool } = bcryptHash(auth.password);
        hashedWith = tool;
        await writeFile(htpasswd, `${auth.username}:${hash}\n`, { mode: 0o600 });
      }
      await writeFile(config, [
        'version: 0.1',
        'log:',
        '  level: warn',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        ...await storage(dataDir),
        '  delete:',
        '    enabled: true',
        '  cache:',
        '    blobdescriptor: inmemory',
        'http:',
        `  addr: 127.0.0.1:${port}`,
        ...(auth ? [
          'auth:',
          '  htpasswd:',
          '    realm: berth-bench',
          `    path: ${JSON.stringify(htpasswd)}`,
        ] : []),
        '',
      ].join('\n'));
      return spawnServer({
        name: 'distribution',
        command: binary,
        args: ['serve', config],
        // Only the file configures it: no REGISTRY_* override of the caller's shell leaks in, nor AWS_* settings
        // (an AWS_CA_BUNDLE, as some machines set, stops its s3 driver at start).
        env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('REGISTRY_') && !key.startsWith('AWS_'))),
        port,
        dataDir,
        ...(auth && {
          credentials: auth,
          access: `auth: htpasswd with one bcrypt entry of cost ${bcryptCost} (hashed by ${hashedWith}), checked on every request`,
        }),
      });
    },
  };
}
