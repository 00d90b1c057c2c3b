// Marks dist/ as built from the sources as they are now; bin/berth.js compares it with src/ to avoid running
// stale JavaScript after an edit.
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/.build-stamp', import.meta.url), `${new Date().toISOString()}\n`);
