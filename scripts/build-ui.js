// Builds the web UI (ui/, React and TypeScript) with Vite's JavaScript API into dist/ui: index.html and content-hashed
// files under dist/ui/assets/, which Berth reads into memory at start-up and serves at / and /ui/.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

let vite;
try {
  vite = await import('vite');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  // An install without development packages (npm ci --omit=dev) has no Vite: the registry runs without its UI, and
  // the address / says how to build it.
  process.stderr.write('build-ui: Vite is not installed (development packages omitted), so the web UI was not built; run "npm install" and "npm run build" to build it\n');
  process.exit(0);
}
await vite.build({ configFile: `${root}ui/vite.config.ts`, logLevel: 'warn' });
