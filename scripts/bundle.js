// Bundles Berth's sources and pure-JavaScript dependencies into one file, dist/berth.mjs, which bin/berth.js runs.
// One file instead of ~500 ES modules: Node keeps a record, a compiled wrapper and the source of every module it
// loads, and Kysely's 279 files alone cost ~16 MB of resident memory (measured); the bundle starts faster too.
// better-sqlite3 and @node-rs/argon2 stay outside (native addons), as do modules loaded lazily through createRequire (yaml).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/berth.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The AWS SDK stays in node_modules, imported only when S3 is configured (src/app.ts): bundled, every Berth would
  // parse it at start-up.
  // @node-rs/argon2 is a native addon, loaded from node_modules like better-sqlite3.
  external: ['better-sqlite3', '@aws-sdk/*', '@node-rs/argon2'],
  // Bundled CommonJS dependencies call require() for Node's built-in modules; an ES module has none of its own.
  banner: { js: "import { createRequire as berthCreateRequire } from 'node:module'; const require = berthCreateRequire(import.meta.url);" },
  minifyWhitespace: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});
