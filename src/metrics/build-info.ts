import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

/** What `berth_build_info` says of the running Berth. */
export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
  readonly nodeVersion: string;
}

let cached: BuildInfo | undefined;

/**
 * The version from package.json and the commit of the checkout Berth runs from, read once. The build stamp
 * (scripts/stamp-build.js) records only when dist/ was built, so the commit comes from the .git folder beside the
 * package when there is one, and is "unknown" for an installed package.
 */
export function buildInfo(): BuildInfo {
  cached ??= { version: packageVersion(), commit: gitCommit(join(packageRoot(), '.git')) ?? 'unknown', nodeVersion: process.version };
  return cached;
}

function packageVersion(): string {
  try {
    const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** HEAD's commit, read from the files git keeps (no git binary needed): a detached HEAD, a loose ref or a packed one. */
export function gitCommit(gitDir: string): string | undefined {
  try {
    if (!existsSync(join(gitDir, 'HEAD'))) return undefined;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    const ref = /^ref: (refs\/[^\s]+)$/.exec(head)?.[1];
    if (ref === undefined) return shortCommit(head);
    const loose = join(gitDir, ref);
    if (existsSync(loose)) return shortCommit(readFileSync(loose, 'utf8').trim());
    const packed = existsSync(join(gitDir, 'packed-refs')) ? readFileSync(join(gitDir, 'packed-refs'), 'utf8') : '';
    const line = packed.split('\n').find((entry) => entry.endsWith(` ${ref}`));
    return line === undefined ? undefined : shortCommit(line.split(' ')[0]!);
  } catch {
    return undefined;
  }
}

function shortCommit(hash: string): string | undefined {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(hash) ? hash.slice(0, 12) : undefined;
}
