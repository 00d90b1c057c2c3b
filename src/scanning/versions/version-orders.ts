import type { VersionOrder } from '../model.js';
import { apkOrder } from './apk-version.js';
import { dpkgOrder } from './dpkg-version.js';
import { mavenOrder } from './maven-version.js';
import { pep440Order } from './pep440-order.js';
import { rpmOrder } from './rpm-version.js';
import { semverOrder } from './semver-order.js';

const ordersByEcosystem = new Map<string, VersionOrder>([
  ['Debian', dpkgOrder],
  ['Ubuntu', dpkgOrder],
  ['Alpine', apkOrder],
  ['Wolfi', apkOrder],
  ['Chainguard', apkOrder],
  ['Red Hat', rpmOrder],
  ['Rocky Linux', rpmOrder],
  ['AlmaLinux', rpmOrder],
  ['openSUSE', rpmOrder],
  ['SUSE', rpmOrder],
  ['Mageia', rpmOrder],
  ['npm', semverOrder],
  ['Go', semverOrder],
  ['crates.io', semverOrder],
  ['PyPI', pep440Order],
  ['Maven', mavenOrder],
]);

/**
 * The version order of OSV `ECOSYSTEM` ranges in one ecosystem, or undefined for an ecosystem the scanner cannot
 * order (its ranges are then not evaluated). Distributions are named with their release after a colon
 * (`Debian:12`, `Alpine:v3.20`, `Ubuntu:22.04:LTS`, `Red Hat:enterprise_linux:9::appstream`), so the name before
 * the first colon picks the order.
 */
export function versionOrderFor(ecosystem: string): VersionOrder | undefined {
  return ordersByEcosystem.get(ecosystem.split(':', 1)[0]!);
}

/** The order of OSV `SEMVER` ranges, whatever the ecosystem: SemVer 2.0, which the tolerant SemVer order reads. */
export const semverRangeOrder: VersionOrder = semverOrder;
