import { openSqliteMetadataStore } from './src/metadata/open-sqlite.ts';
const store = await openSqliteMetadataStore('/work/scratch/rematch/db-1J5XTE/berth.db');
const scans = store.scans();
for (let i = 0; i < 3; i++) {
  let t = performance.now();
  const named = await scans.packagesNamed([{ ecosystem: 'Debian:12', name: 'openssl' }]);
  const a = performance.now() - t; t = performance.now();
  const before = await scans.findingsOf(['DSA-9999-1']);
  const b = performance.now() - t; t = performance.now();
  const reps = await scans.reports(named.slice(0, 100000).map((n) => n.digest));
  const c = performance.now() - t;
  console.log(named.length, a.toFixed(0), before.length, b.toFixed(0), reps.size, c.toFixed(0));
}
await store.close();
