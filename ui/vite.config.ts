// The web UI's build (run by scripts/build-ui.js): React through esbuild's automatic JSX runtime, no plugins, output in
// dist/ui with content-hashed file names under /ui/assets/, which Berth serves from memory (src/http/routes/ui-routes.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/ui/',
  publicDir: false,
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Every file is served from /ui/assets/ under a Content-Security-Policy without inline code: nothing is inlined,
    // and no preload polyfill is injected.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1000,
  },
  logLevel: 'warn',
});
