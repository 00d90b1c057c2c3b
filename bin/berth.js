#!/usr/bin/env node
// Runs Berth from the JavaScript that `npm install` compiles into dist/ (fast start, low memory). When the sources
// are newer than that build, as while editing them, it runs them directly through tsx's loader instead.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Blob commits fsync on libuv's thread pool; its default of 4 threads would queue concurrent pushes behind each
// other's fsyncs. It must be set before the pool first starts.
process.env.UV_THREADPOOL_SIZE ??= '16';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const sources = join(root, 'src');
const built = existsSync(stamp) && (!existsSync(sources) || statSync(stamp).mtimeMs >= newestSource(sources));
if (built) {
  await import('../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
