import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ecosystems } from './scan-packages.js';
import { word } from './scan-content.js';

/**
 * The scan session's advisory feed: a local folder of OSV records (the air-gapped layout Berth reads with
 * `scanning.feed` set to a folder), naming the packages the session's images hold, so that each scan matches real
 * advisories: most name an installed version below their fix (a finding), some one at or above it (none), and one is
 * unfixed. The ids say they are the bench's own.
 */

const critical = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const high = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H';
const medium = 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N';

/** The feed folders of OSV's bucket that hold each ecosystem's records. */
const sourceOf = (ecosystem: string): string => ecosystem.split(':')[0]!;

interface RecordSpec {
  readonly id: string;
  readonly ecosystem: string;
  readonly name: string;
  /** Undefined: unfixed. */
  readonly fixed: string | undefined;
  readonly introduced?: string;
  readonly vector: string;
  readonly modified?: string;
  readonly cve?: string;
}

function osvRecord(spec: RecordSpec): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    id: spec.id,
    modified: spec.modified ?? '2024-01-01T00:00:00Z',
    published: spec.modified ?? '2024-01-01T00:00:00Z',
    ...(spec.cve && { upstream: [spec.cve] }),
    summary: `${spec.name}: a vulnerability made up for the scan session`,
    severity: [{ type: 'CVSS_V3', score: spec.vector }],
    affected: [{
      package: { ecosystem: spec.ecosystem, name: spec.name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: spec.introduced ?? '0' }, ...(spec.fixed === undefined ? [] : [{ fixed: spec.fixed }])] }],
    }],
  };
}

const baseRecords: readonly RecordSpec[] = [
  { id: 'BENCH-DSA-0001-1', ecosystem: ecosystems.debian, name: 'glibc', fixed: '2.36-9+deb12u7', vector: high },
  { id: 'BENCH-DSA-0002-1', ecosystem: ecosystems.debian, name: 'openssl', fixed: '3.0.13-1~deb12u1', vector: critical },
  { id: 'BENCH-DSA-0003-1', ecosystem: ecosystems.debian, name: 'zlib', fixed: '1:1.2.13.dfsg-1', vector: critical },
  { id: 'BENCH-DEBIAN-CVE-2024-0004', ecosystem: ecosystems.debian, name: 'systemd', fixed: undefined, vector: medium },
  { id: 'BENCH-DSA-0005-1', ecosystem: ecosystems.debian, name: 'perl', fixed: '5.36.0-7+deb12u2', vector: high },
  { id: 'BENCH-DSA-0006-1', ecosystem: ecosystems.debian, name: 'gnutls28', fixed: '3.7.9-2', vector: medium },
  // Made-up sources of the Debian images (scan-packages.ts names them with the same words).
  ...[0, 3, 6, 9, 12].map((index) => ({ id: `BENCH-DSA-01${String(index).padStart(2, '0')}-1`, ecosystem: ecosystems.debian, name: word(index, 11), fixed: '4.15.0-1', vector: medium })),
  { id: 'BENCH-ALPINE-CVE-2024-0001', ecosystem: ecosystems.alpine, name: 'musl', fixed: '1.2.4_git20230717-r5', vector: high },
  { id: 'BENCH-ALPINE-CVE-2024-0002', ecosystem: ecosystems.alpine, name: 'busybox', fixed: '1.36.1-r16', vector: medium },
  { id: 'BENCH-ALPINE-CVE-2024-0003', ecosystem: ecosystems.alpine, name: 'zlib', fixed: '1.3-r2', vector: critical },
  { id: 'BENCH-ALPINE-CVE-2024-0004', ecosystem: ecosystems.alpine, name: 'openssl', fixed: '3.1.4-r5', vector: high },
  { id: 'BENCH-GHSA-0001', ecosystem: ecosystems.npm, name: 'lodash', fixed: '4.17.21', vector: high },
  { id: 'BENCH-GHSA-0002', ecosystem: ecosystems.npm, name: 'semver', introduced: '7.0.0', fixed: '7.5.2', vector: medium },
  { id: 'BENCH-GHSA-0003', ecosystem: ecosystems.npm, name: 'minimist', fixed: '1.2.6', vector: critical },
  { id: 'BENCH-GHSA-0004', ecosystem: ecosystems.npm, name: 'express', fixed: '4.19.2', vector: medium },
  { id: 'BENCH-GHSA-0005', ecosystem: ecosystems.npm, name: 'json5', fixed: '2.2.2', vector: high },
  { id: 'BENCH-PYSEC-0001', ecosystem: ecosystems.pypi, name: 'requests', fixed: '2.32.0', vector: medium },
  { id: 'BENCH-PYSEC-0002', ecosystem: ecosystems.pypi, name: 'urllib3', fixed: '2.0.7', vector: medium },
  { id: 'BENCH-PYSEC-0003', ecosystem: ecosystems.pypi, name: 'setuptools', fixed: '70.0.0', vector: high },
  { id: 'BENCH-PYSEC-0004', ecosystem: ecosystems.pypi, name: 'jinja2', fixed: '3.1.3', vector: medium },
  { id: 'BENCH-PYSEC-0005', ecosystem: ecosystems.pypi, name: 'certifi', fixed: '2023.7.22', vector: medium },
];

/** The records the feed starts with, as OSV JSON. */
export const baseAdvisories = (): Record<string, unknown>[] => baseRecords.map(osvRecord);

/**
 * The advisories the rescan scenario adds: one new CVE in the C library of every image, published by Debian (glibc)
 * and by Alpine (musl) at once, as distros publish a CVE that hits both; critical, so each image gets a critical
 * finding and a `vulnerability.found` event.
 */
export function newAdvisories(modified: Date): Record<string, unknown>[] {
  const at = modified.toISOString();
  return [
    osvRecord({ id: 'BENCH-DSA-9999-1', ecosystem: ecosystems.debian, name: 'glibc', fixed: '2.36-9+deb12u99', vector: critical, modified: at, cve: 'CVE-2099-0001' }),
    osvRecord({ id: 'BENCH-ALPINE-CVE-2099-0001', ecosystem: ecosystems.alpine, name: 'musl', fixed: '1.2.4_git20230717-r99', vector: critical, modified: at, cve: 'CVE-2099-0001' }),
  ];
}

/** Writes records into a feed folder, each as `<Source>/<id>.json`. */
export async function writeAdvisories(folder: string, records: readonly Record<string, unknown>[]): Promise<void> {
  for (const record of records) {
    const affected = record.affected as { package: { ecosystem: string } }[];
    const source = join(folder, sourceOf(affected[0]!.package.ecosystem));
    await mkdir(source, { recursive: true });
    await writeFile(join(source, `${String(record.id)}.json`), `${JSON.stringify(record, null, 2)}\n`);
  }
}

/** The session's feed folder in the run's shared directory (written again each time: it is small). */
export async function baseFeed(sharedDir: string): Promise<string> {
  const folder = join(sharedDir, 'scan-feed');
  await writeAdvisories(folder, baseAdvisories());
  return folder;
}

/** A copy of the base feed a scenario may add to without touching the session's. */
export async function feedCopy(sharedDir: string, into: string): Promise<string> {
  await cp(await baseFeed(sharedDir), into, { recursive: true });
  return into;
}

/**
 * Berth's settings for the scan session: the feed above, refreshed on schedule only once a week (every refresh the
 * scenarios time is one they ask for), scanning on push (the default).
 */
export async function scanSessionEnv(sharedDir: string): Promise<Record<string, string>> {
  return { BERTH_SCAN_FEED: await baseFeed(sharedDir), BERTH_SCAN_FEED_REFRESH_MINUTES: String(7 * 24 * 60) };
}
