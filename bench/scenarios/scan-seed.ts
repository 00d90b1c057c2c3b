import { join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sha256 } from '../client/content.js';
import { imageManifest } from '../client/images.js';
import { ociConfig, ociLayerGzip } from '../client/registry.js';
import { matchPackages, toNewAdvisory } from '../../src/features/scanning/package-matching.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import { parseApkInstalled } from '../../src/scanning/inventory/apk-installed.js';
import { parseDpkgStatus } from '../../src/scanning/inventory/dpkg-status.js';
import { parseNpmPackageJson } from '../../src/scanning/inventory/npm-packages.js';
import { identifyDistro } from '../../src/scanning/inventory/os-release.js';
import { parsePythonMetadata } from '../../src/scanning/inventory/python-metadata.js';
import type { Distro, InstalledPackage } from '../../src/scanning/model.js';
import { parseOsvRecord, type OsvRecord } from '../../src/scanning/osv/osv-record.js';
import {
  alpineOsRelease, alpinePackages, apkInstalled, debianOsRelease, debianPackages, distInfoName, distrolessOsRelease, dpkgStanza, dpkgStatus,
  npmManifest, npmPackages, pypiPackages, pythonMetadata,
} from './scan-packages.js';
import { baseAdvisories } from './scan-feed.js';

/**
 * Stored inventories for the rescan scenario, written into a new data directory's SQLite before Berth starts, with
 * Berth's own metadata store: what scanning `count` images would have left, without pushing or scanning them.
 *
 * Images are built on 50 base inventories of 150 packages (Debian, Node.js and Python on Debian, distroless Node.js,
 * Node.js on Alpine), read with Berth's own parsers from the package databases such images hold, so package names
 * repeat across images as in a real registry; each image adds an application package of its own. The base feed's
 * advisories are stored and matched as a refresh would have left them.
 *
 * Pushing and scanning 100,000 images would take hours, and Berth's saveScan (one transaction per image) about
 * 17 ms each: each base's first image is saved with saveScan, and the other images' rows are copied from it in
 * SQL, in one transaction, every column as saveScan wrote it (the application package's name changed). Manifests go
 * through Berth's putManifest, so repositories, tags and references are as a push leaves them; their events are
 * never delivered (a fresh database's consumers start at the head of the outbox).
 */

export const baseInventories = 50;
const packagesPerBase = 150;
const imagesPerRepository = 100;

/** The repository of seeded image `index`. */
export const seededRepository = (index: number): string => `bench-rescan/app-${String(Math.floor(index / imagesPerRepository)).padStart(4, '0')}`;

interface BaseInventory {
  readonly distro: Distro | undefined;
  readonly packages: InstalledPackage[];
}

const defined = <T>(value: T | undefined): T => {
  if (value === undefined) throw new Error('a seeded package database did not parse');
  return value;
};

const npm = (count: number, variant: number): InstalledPackage[] => npmPackages(count, variant)
  .map((pkg) => defined(parseNpmPackageJson(npmManifest(pkg), `app/node_modules/${pkg.name}/package.json`)));

/** Base inventory `base`: its kind by `base % 5`, its versions by the base's number. */
function baseInventory(base: number): BaseInventory {
  const debian = identifyDistro({ osRelease: debianOsRelease });
  const dpkg = (count: number): InstalledPackage[] => parseDpkgStatus(dpkgStatus(debianPackages(count, base)), { path: 'var/lib/dpkg/status', distro: debian });
  switch (base % 5) {
    case 0:
      return { distro: debian, packages: dpkg(packagesPerBase) };
    case 1:
      return { distro: debian, packages: [...dpkg(90), ...npm(packagesPerBase - 90, base)] };
    case 2: {
      const python = pypiPackages(packagesPerBase - 90, base)
        .map((pkg) => defined(parsePythonMetadata(pythonMetadata(pkg), `usr/local/lib/python3.12/site-packages/${distInfoName(pkg)}/METADATA`)));
      return { distro: debian, packages: [...dpkg(90), ...python] };
    }
    case 3: {
      const distroless = identifyDistro({ osRelease: distrolessOsRelease });
      const os = debianPackages(14, base).flatMap((pkg) => parseDpkgStatus(`${dpkgStanza(pkg, false)}\n`, { path: `var/lib/dpkg/status.d/${pkg.name}`, distro: distroless }, false));
      return { distro: distroless, packages: [...os, ...npm(packagesPerBase - os.length, base)] };
    }
    default: {
      const alpine = identifyDistro({ osRelease: alpineOsRelease });
      const apk = parseApkInstalled(apkInstalled(alpinePackages(40, base).map((pkg) => ({ pkg, files: [] }))), { path: 'lib/apk/db/installed', distro: alpine });
      return { distro: alpine, packages: [...apk, ...npm(packagesPerBase - apk.length, base)] };
    }
  }
}

/** Image `index`'s own application package (npm), last in its inventory. */
const appPackage = (index: number): InstalledPackage =>
  defined(parseNpmPackageJson(npmManifest({ name: `bench-app-${index}`, version: '1.0.0' }), 'app/package.json'));

export interface SeedOutcome {
  readonly seconds: number;
  readonly packages: number;
  readonly findings: number;
}

/** Seeds `count` scanned images into the SQLite of `dataDir`, the feed state naming `feedFolder` as its location. */
export async function seedInventories(dataDir: string, count: number, feedFolder: string): Promise<SeedOutcome> {
  const start = performance.now();
  const path = join(dataDir, 'berth.db');
  const now = Date.now();
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const configDescriptor = { mediaType: ociConfig, digest: sha256(config), size: config.length };
  const layerDescriptor = { mediaType: ociLayerGzip, digest: sha256('bench-rescan-layer'), size: 1024 };
  // Digests in order, so rows are appended to the tables' indexes rather than scattered through them.
  const images = Array.from({ length: count }, (_, index) => {
    const content = imageManifest(configDescriptor, [layerDescriptor], { 'org.berth.bench.image': String(index) });
    return { index, content, digest: sha256(content) };
  }).sort((a, b) => (a.digest < b.digest ? -1 : 1));

  const records = baseAdvisories().map((record) => parseOsvRecord(record)).filter((parsed): parsed is OsvRecord => !('error' in parsed));
  const bases = Array.from({ length: baseInventories }, (_, base) => baseInventory(base));
  const store = await openSqliteMetadataStore(path);
  const templates = new Map<number, string>();
  let packages = 0;
  let findings = 0;
  try {
    const scans = store.scans();
    await scans.saveAdvisories(records.map(toNewAdvisory), []);
    const newest = Math.max(...records.map((record) => Date.parse(record.modified ?? '')));
    for (const source of ['Debian', 'Alpine', 'npm', 'PyPI']) {
      await scans.saveFeed({ source, location: resolve(feedFolder), newestModified: newest, records: records.length, refreshedAt: now, error: undefined });
    }
    for (let at = 0; at < images.length; at += 500) {
      await Promise.all(images.slice(at, at + 500).map((image) => store.putManifest({
        repository: seededRepository(image.index), digest: image.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', content: image.content,
        artifactType: undefined, subjectDigest: undefined, annotations: { 'org.berth.bench.image': String(image.index) },
        references: [{ digest: configDescriptor.digest, kind: 'blob' }, { digest: layerDescriptor.digest, kind: 'blob' }], tags: ['v1'], now,
      })));
    }
    for (const image of images) {
      const base = image.index % baseInventories;
      if (templates.has(base)) continue;
      const inventory = bases[base]!;
      const all = [...inventory.packages, appPackage(image.index)];
      await scans.saveScan(image.digest, { scanner: 'berth', distro: inventory.distro, packages: all, findings: matchPackages(all, records) }, now);
      templates.set(base, image.digest);
    }
  } finally {
    await store.close();
  }

  const db = new SqliteDatabase(path);
  try {
    // A database nobody else has opened yet, made again if seeding fails: its rollback journal in memory (a WAL would
    // grow by the whole copy), no syncs until the end; WAL again, as Berth keeps it, once done.
    db.pragma('journal_mode = DELETE');
    db.pragma('journal_mode = MEMORY');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1048576');
    const columns = (table: string, key: string) => (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[])
      .map(({ name }) => name).filter((name) => name !== key);
    const quoted = (names: readonly string[]) => names.map((name) => `"${name}"`).join(', ');
    // Every column as saveScan wrote it for the template, the digest (and so the image key) new: the copy holds what a
    // scan would have.
    const reportColumns = columns('scan_reports', 'image_id').filter((name) => name !== 'digest');
    const report = db.prepare(`INSERT INTO scan_reports (digest, ${quoted(reportColumns)}) SELECT ?, ${quoted(reportColumns)} FROM scan_reports WHERE digest = ?`);
    const keyOf = db.prepare('SELECT image_id FROM scan_reports WHERE digest = ?').pluck();
    const copies = ['scan_packages', 'scan_findings'].map((table) => {
      const rest = columns(table, 'image_id');
      return db.prepare(`INSERT INTO "${table}" (image_id, ${quoted(rest)}) SELECT ?, ${quoted(rest)} FROM "${table}" WHERE image_id = ?`);
    });
    const app = db.prepare('UPDATE scan_packages SET name = ?, match_name = ?, purl = ? WHERE image_id = ? AND seq = ?');
    // The tables' own indexes are dropped while rows are copied and made again after, from the same definitions:
    // SQLite builds an index from sorted rows far faster than it keeps one up to date through millions of inserts.
    const indexes = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('scan_packages', 'scan_findings')`)
      .all() as { name: string; sql: string }[];
    for (const index of indexes) db.exec(`DROP INDEX "${index.name}"`);
    db.transaction(() => {
      const templateKeys = new Map([...templates].map(([base, digest]) => [base, Number(keyOf.get(digest))]));
      for (const image of images) {
        const base = image.index % baseInventories;
        if (templates.get(base) === image.digest) continue;
        const key = Number(report.run(image.digest, templates.get(base)!).lastInsertRowid);
        for (const copy of copies) copy.run(key, templateKeys.get(base)!);
        const pkg = appPackage(image.index);
        app.run(pkg.name, pkg.name, pkg.purl, key, packagesPerBase);
      }
    })();
    for (const index of indexes) db.exec(index.sql);
    packages = (db.prepare('SELECT count(*) AS n FROM scan_packages').get() as { n: number }).n;
    findings = (db.prepare('SELECT count(*) AS n FROM scan_findings').get() as { n: number }).n;
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
  return { seconds: (performance.now() - start) / 1000, packages, findings };
}

/** Space the seeded database takes, at most: about 75 kB per inventory of 150 packages, measured. */
export const seedDiskBytes = (count: number): number => count * 80_000;
