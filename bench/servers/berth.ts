import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ObjectStorageBackends } from './object-storage.js';
import { freePort, spawnServer, type RunningServer, type ServerLauncher, type StartOptions } from './server.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
/**
 * The bundle the bench runs: built and copied once when the run starts, so that editing the sources while a long run
 * goes on cannot switch later rounds to other code (bin/berth.js would run the edited sources through tsx).
 */
const snapshot = join(repoRoot, 'dist', 'bench-snapshot.mjs');
const run = promisify(execFile);

/**
 * Berth on its embedded default (filesystem blobs, SQLite), as `berth serve` runs it, with no auth; asked for auth,
 * with access control on as BERTH_ADMIN_PASSWORD turns it on (the user "admin", argon2id).
 */
export const berth: ServerLauncher = berthLauncher('embedded default', async () => ({}));

/** Berth as a cluster node: blobs in the shared S3 server, metadata in the shared PostgreSQL. */
export function berthOnObjectStorage(backends: ObjectStorageBackends): ServerLauncher {
  return berthLauncher('blobs in S3 (OpenStack Swift), metadata in PostgreSQL 15', async () => ({
    BERTH_DATABASE_URL: await backends.postgres.createDatabase('berth_bench'),
    BERTH_S3_ENDPOINT: backends.s3.endpoint,
    BERTH_S3_BUCKET: await backends.newBucket('berth'),
    BERTH_S3_REGION: backends.s3.region,
    BERTH_S3_ACCESS_KEY_ID: backends.s3.accessKeyId,
    BERTH_S3_SECRET_ACCESS_KEY: backends.s3.secretAccessKey,
    BERTH_S3_FORCE_PATH_STYLE: 'true',
  }));
}

function berthLauncher(what: string, settings: () => Promise<Record<string, string>>): ServerLauncher {
  return {
    name: 'berth',

    async describe() {
      const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
      return `Berth ${pkg.version} (this working tree, bundled at the start of the run), node ${process.version}, ${what}, --log-level warn`;
    },

    async ensureInstalled() {
      await run('npm', ['run', '--silent', 'build'], { cwd: repoRoot });
      await copyFile(join(repoRoot, 'dist', 'berth.mjs'), snapshot);
    },

    async start(sessionDir: string, options: StartOptions = {}): Promise<RunningServer> {
      const { auth } = options;
      if (auth && auth.username !== 'admin') throw new Error(`berth: BERTH_ADMIN_PASSWORD sets the password of "admin", not of "${auth.username}"`);
      const dataDir = join(sessionDir, 'data');
      await mkdir(dataDir, { recursive: true });
      const port = await freePort();
      return spawnServer({
        name: 'berth',
        command: process.execPath,
        args: [snapshot, 'serve', '--listen', `127.0.0.1:${port}`, '--data', dataDir, '--log-level', 'warn'],
        cwd: repoRoot,
        env: {
          // Only the flags configure it: no BERTH_* setting of the caller's shell leaks in.
          ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('BERTH_'))),
          // What bin/berth.js sets before loading the bundle.
          UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16',
          ...await settings(),
          ...options.env,
          ...(auth && { BERTH_ADMIN_PASSWORD: auth.password }),
        },
        port,
        dataDir,
        ...(auth && {
          credentials: auth,
          access: 'BERTH_ADMIN_PASSWORD (user admin, argon2id; a good Basic login is remembered for a minute, a verified bearer token until it expires)',
        }),
      });
    },
  };
}
