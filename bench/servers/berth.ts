import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { freePort, spawnServer, type RunningServer, type ServerLauncher } from './server.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/** Berth on its embedded default (filesystem blobs, SQLite), as `berth serve` runs it, with no auth. */
export const berth: ServerLauncher = {
  name: 'berth',

  async describe() {
    const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const how = (await compiledBuildIsCurrent()) ? 'bundled dist/berth.mjs' : 'src/ through tsx';
    return `Berth ${pkg.version} (this working tree, ${how}), node ${process.version}, embedded default, --log-level warn`;
  },

  async ensureInstalled() {
    // Runs from this working tree with its installed dependencies.
  },

  async start(sessionDir: string): Promise<RunningServer> {
    const dataDir = join(sessionDir, 'data');
    await mkdir(dataDir, { recursive: true });
    const port = await freePort();
    return spawnServer({
      name: 'berth',
      command: process.execPath,
      args: [join(repoRoot, 'bin', 'berth.js'), 'serve', '--listen', `127.0.0.1:${port}`, '--data', dataDir, '--log-level', 'warn'],
      cwd: repoRoot,
      // Only the flags configure it: no BERTH_* setting of the caller's shell leaks in.
      env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('BERTH_'))),
      port,
      dataDir,
    });
  },
};

/**
 * Whether bin/berth.js will run a compiled build: one stamped in dist/ and newer than every source file (otherwise
 * it runs the TypeScript sources through tsx, which starts slower and holds more memory). Told in the report.
 */
async function compiledBuildIsCurrent(): Promise<boolean> {
  const stamp = await stat(join(repoRoot, 'dist', '.build-stamp')).catch(() => undefined);
  if (!stamp) return false;
  const newest = async (dir: string): Promise<number> => {
    let latest = 0;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      latest = Math.max(latest, entry.isDirectory() ? await newest(path) : (await stat(path)).mtimeMs);
    }
    return latest;
  };
  return stamp.mtimeMs >= await newest(join(repoRoot, 'src'));
}
