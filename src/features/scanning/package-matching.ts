import type { NewAdvisory, NewFinding, PackageKey, StoredAdvisory } from '../../metadata/scan-store.js';
import { AdvisoryIndex, normalizePypiName } from '../../scanning/osv/advisory-index.js';
import { matchInventory } from '../../scanning/osv/matcher.js';
import { parseOsvRecord, type OsvRecord } from '../../scanning/osv/osv-record.js';
import { matchName } from '../../scanning/match-name.js';
import type { InstalledPackage } from '../../scanning/model.js';

/** The (ecosystem, name) pairs advisories would name these packages by: what to look advisories up with. */
export function packageKeys(packages: readonly InstalledPackage[]): PackageKey[] {
  const keys = new Map<string, PackageKey>();
  for (const pkg of packages) {
    if (pkg.ecosystem === '') continue;
    const name = matchName(pkg);
    keys.set(`${pkg.ecosystem}\u0000${name}`, { ecosystem: pkg.ecosystem, name });
  }
  return [...keys.values()];
}

/** Advisories as stored, read back into records (a record that no longer parses is left out). */
export function storedRecords(advisories: readonly StoredAdvisory[]): OsvRecord[] {
  const records: OsvRecord[] = [];
  for (const advisory of advisories) {
    const parsed = parseOsvRecord(JSON.parse(advisory.record));
    if (!('error' in parsed)) records.push(parsed);
  }
  return records;
}

/** Findings of `records` among `packages`, each pointing at its package by position (`packageSeq`). */
export function matchPackages(packages: readonly InstalledPackage[], records: readonly OsvRecord[]): NewFinding[] {
  if (records.length === 0) return [];
  const index = new AdvisoryIndex();
  for (const record of records) index.add(record);
  const findings: NewFinding[] = [];
  packages.forEach((pkg, packageSeq) => {
    for (const found of matchInventory({ packages: [pkg] }, index)) {
      findings.push({ advisoryId: found.id, packageSeq, fixedVersion: found.fixedVersion, severity: found.severity, score: found.score });
    }
  });
  return findings;
}

/** A record as the scan store keeps it: the pairs it names (PyPI names normalised, as packages are looked up) and its JSON. */
export function toNewAdvisory(record: OsvRecord): NewAdvisory {
  const modified = record.modified === undefined ? Number.NaN : Date.parse(record.modified);
  return {
    id: record.id,
    modified: Number.isNaN(modified) ? 0 : modified,
    summary: record.summary,
    aliases: [...new Set([...record.aliases, ...record.upstream])],
    packages: record.affected.map((entry) => ({
      ecosystem: entry.package.ecosystem,
      name: entry.package.ecosystem === 'PyPI' ? normalizePypiName(entry.package.name) : entry.package.name,
    })),
    record: JSON.stringify(record),
  };
}
