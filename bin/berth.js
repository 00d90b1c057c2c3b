#!/usr/bin/env node
// Runs Berth from the bundle that `npm install` builds into dist/berth.mjs (fast start, low memory). When the sources
// are newer than that build, as while editing them, it runs them directly through tsx's loader instead.
//
// This launcher is CommonJS (bin/package.json) on purpose: Node loads it synchronously, so libuv's thread pool has
// not started yet and its size can still be set. Blob commits fsync on that pool; the default of 4 threads queues
// every open, rename and close of concurrent pushes behind each other's fsyncs.
'use strict';
process.env.UV_THREADPOOL_SIZE ??= '16';

const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const stamp = join(root, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

async function main() {
  const sources = join(root, 'src');
  const built = existsSync(stamp) && (!existsSync(sources) || statSync(stamp).mtimeMs >= newestSource(sources));
  if (built) {
    await import('../dist/berth.mjs');
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli.ts');
  }
}

main().catch((error) => {
  process.stderr.write(`berth: ${error?.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
