import type { Finding, Inventory, PackageKind } from '../model.js';
import { semverRangeOrder, versionOrderFor } from '../versions/version-orders.js';
import { type AdvisoryIndex, entriesFor } from './advisory-index.js';
import { evaluateAffected } from './range-evaluation.js';
import { rateSeverity } from './severity.js';

// Distro advisories name source packages: Debian's `Source:`, Alpine's origin, the source rpm.
const matchedBySource: ReadonlySet<PackageKind> = new Set(['dpkg', 'apk', 'rpm']);

/**
 * The advisories that affect an image's packages: one finding per installed package and record, withdrawn records
 * never. OS packages are looked up by their source package; a dpkg package's source version is compared (a binNMU
 * or an epoch on the binary alone would otherwise hide or invent a fix), apk's and rpm's own version. A package of
 * an ecosystem without a version order gives no findings.
 */
export function matchInventory(inventory: Inventory, index: AdvisoryIndex): Finding[] {
  const findings: Finding[] = [];
  for (const installed of inventory.packages) {
    const order = versionOrderFor(installed.ecosystem);
    if (order === undefined) continue;
    const name = matchedBySource.has(installed.kind) ? installed.sourceName ?? installed.name : installed.name;
    const version = installed.kind === 'dpkg' ? installed.sourceVersion ?? installed.version : installed.version;
    for (const record of index.recordsFor(installed.ecosystem, name)) {
      if (record.withdrawn !== undefined) continue;
      const entries = entriesFor(record, installed.ecosystem, name);
      const verdict = evaluateAffected(version, entries, { ecosystem: order, semver: semverRangeOrder });
      if (!verdict.affected) continue;
      const { severity, score } = rateSeverity(record, entries);
      findings.push({
        id: record.id,
        // Distro advisories name the CVEs they fix in `upstream`; both lists say which public ids this is.
        aliases: [...new Set([...record.aliases, ...record.upstream])],
        packageName: installed.name,
        installedVersion: installed.version,
        kind: installed.kind,
        ecosystem: installed.ecosystem,
        path: installed.path,
        fixedVersion: verdict.fixedVersion,
        severity,
        ...(score === undefined ? {} : { score }),
        ...(record.summary === undefined ? {} : { summary: record.summary }),
      });
    }
  }
  return findings.sort(byPackageThenId);
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Stable whatever the inventory's order: package, its version, where it was found, then advisory. */
function byPackageThenId(a: Finding, b: Finding): number {
  return byText(a.packageName, b.packageName) || byText(a.installedVersion, b.installedVersion) || byText(a.path, b.path) || byText(a.id, b.id);
}
