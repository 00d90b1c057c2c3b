import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The real Debian root of the scanner's real-tree tests: `debootstrap --variant=minbase bookworm`, archived once per
 * machine by scripts/make-debian-root.sh (which scripts/install-test-deps.sh runs too), and the answers of Debian's
 * own tools about it, which the inventory is checked against.
 */

const makeDebianRoot = fileURLToPath(new URL('../../scripts/make-debian-root.sh', import.meta.url));

/** The archive of the root (a plain tar, as a layer), made now if this machine has none yet; fails saying why. */
export function debianRootArchive(): string {
  const run = spawnSync('bash', [makeDebianRoot], { encoding: 'utf8', timeout: 10 * 60_000 });
  assert.equal(run.status, 0, `scripts/make-debian-root.sh failed (${run.error?.message ?? `exit ${run.status}`}):\n${run.stderr}`);
  return run.stdout.trim().split('\n').at(-1)!;
}

/** Extracts some members (`./var/lib/dpkg`) of a tar archive into a folder. */
export function extractMembers(archive: string, into: string, members: readonly string[]): void {
  execFileSync('tar', ['-xf', archive, '-C', into, ...members]);
}

/** One package of a dpkg database, as dpkg-query reports it. */
export interface DpkgQueryRecord {
  /** `ii `, `rc ` ...: wanted, current and error states (dpkg-query(1) `db:Status-Abbrev`). */
  status: string;
  name: string;
  version: string;
  /** The source package, the binary's own name when the status file has no `Source:`. */
  sourceName: string;
  /** The source version, from `Source: name (version)`, else the binary's version. */
  sourceVersion: string;
  arch: string;
}

/** Every package of the database in `admindir`, by Debian's dpkg-query. */
export function dpkgQuery(admindir: string): DpkgQueryRecord[] {
  // dpkg-query's --showformat: one `${field}` per column, tab-separated (it reads the `\t` and `\n` escapes itself).
  const fields = ['db:Status-Abbrev', 'Package', 'Version', 'source:Package', 'source:Version', 'Architecture'];
  const format = `${fields.map((field) => `\${${field}}`).join('\\t')}\\n`;
  const text = execFileSync('dpkg-query', [`--admindir=${admindir}`, '-W', `--showformat=${format}`], { encoding: 'utf8' });
  return text.split('\n').filter((line) => line !== '').map((line) => {
    const [status, name, version, sourceName, sourceVersion, arch] = line.split('\t') as [string, string, string, string, string, string];
    return { status, name, version, sourceName, sourceVersion, arch };
  });
}

/** Whether dpkg-query's status abbreviation says the package is installed (its second letter, the current state). */
export const isInstalled = (record: DpkgQueryRecord): boolean => record.status[1] === 'i';

/** Fields of an os-release file as a shell reads it (os-release(5) is shell-compatible), by bash itself. */
export function osReleaseBySh(file: string, keys: readonly string[]): Record<string, string> {
  const script = `. "$1"; ${keys.map((key) => `printf '%s\\0' "\${${key}-}"`).join('; ')}`;
  const values = execFileSync('bash', ['-c', script, 'os-release', file], { encoding: 'utf8' }).split('\0');
  return Object.fromEntries(keys.map((key, index) => [key, values[index]!]));
}
