import { accessSync, constants, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** The repository's root, where `.test-tools/` lives. */
export const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

const installHint = 'run `bash scripts/install-test-deps.sh` (as root) to install the registry clients the end-to-end tests drive';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The absolute path of a client installed from Debian; a clear error naming the install script when it is missing. */
export function tool(name: string): string {
  const found = isExecutable(join('/usr/bin', name)) ? join('/usr/bin', name) : onPath(name);
  if (found === undefined) throw new Error(`${name} is not installed: ${installHint}`);
  return found;
}

/**
 * oras, from Debian's trixie suite, unpacked into `.test-tools/root` by scripts/install-test-deps.sh (bookworm has no
 * oras). One on PATH is used when the unpacked one is absent.
 */
export function orasPath(): string {
  const unpacked = join(repoRoot, '.test-tools', 'root', 'usr', 'bin', 'oras');
  if (isExecutable(unpacked)) return unpacked;
  const found = onPath('oras');
  if (found === undefined) throw new Error(`oras is not in .test-tools/root/usr/bin: ${installHint}`);
  return found;
}

/**
 * Debian's docker CLI (docker.io, /usr/bin/docker) first: a newer CLI elsewhere on PATH would test a different client
 * than the one the install script provides.
 */
export function dockerPath(): string {
  return tool('docker');
}

/** A DOCKER_CONFIG folder holding an empty config.json, so the docker CLI reads no user's settings or credentials. */
export function writeEmptyDockerConfig(dir: string): string {
  writeFileSync(join(dir, 'config.json'), '{}\n');
  return dir;
}
