// Compiles native/sendfile.c, Berth's one native helper (sendfile(2) for blob pulls), with the system's C compiler.
// It needs no Node headers and no node-gyp. Without a compiler Berth still works: pulls then stream through
// JavaScript buffers, and this script says how to get the faster path. Skips the compile when the build is current.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../native/sendfile.c', import.meta.url));
const buildDir = fileURLToPath(new URL('../native/build/', import.meta.url));
const target = `${buildDir}sendfile.node`;

if (process.platform !== 'linux') process.exit(0);
if (existsSync(target) && statSync(target).mtimeMs >= statSync(source).mtimeMs) process.exit(0);

const compiler = process.env.CC || 'cc';
mkdirSync(buildDir, { recursive: true });
try {
  execFileSync(compiler, ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-o', `${target}.tmp`, source], { stdio: 'inherit' });
  renameSync(`${target}.tmp`, target);
} catch (error) {
  const reason = error.code === 'ENOENT' ? `no C compiler (${compiler}) was found` : `${compiler} failed`;
  process.stderr.write(`berth: the sendfile helper was not built: ${reason}. Berth works without it, but pulls are slower.\n`
    + 'berth: for sendfile pulls, install a compiler (Debian: apt-get install gcc libc6-dev) and run "npm run build:native".\n');
}
