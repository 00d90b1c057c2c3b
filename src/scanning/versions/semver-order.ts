import semver from 'semver';
import type { VersionOrder } from '../model.js';

/**
 * SemVer 2.0 precedence (through the `semver` package) for npm, Go and crates.io packages and for OSV `SEMVER`
 * ranges. It reads what those write beside strict SemVer: a leading `v` (Go modules; OSV strips it, inventories may
 * not) and a missing minor or patch, read as 0 (`1.0` = `1.0.0`, as some advisories write fixed versions). Go
 * pseudo-versions (`0.0.0-20220715151400-c0bba94af5f8`) are pre-releases, so they sort before their release, and
 * build metadata (`+incompatible`) does not order. Anything else is no version and sorts before every version, by
 * code unit.
 */
export const semverOrder: VersionOrder = {
  compare(a, b) {
    const left = parseSemver(a);
    const right = parseSemver(b);
    if (left && right) return semver.compare(left, right);
    if (left) return 1;
    if (right) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  },
  isValid: (version) => parseSemver(version) !== undefined,
};

/** Longer strings are refused, as `semver` itself refuses them: it bounds the work of one comparison. */
const maxVersionLength = 256;
// Major, then at most two more numbers, then whatever pre-release or build part follows (semver checks it). The
// dots keep the number groups apart, so the expression runs in linear time.
const shape = /^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?([-+][0-9A-Za-z.+-]*)?$/;

function parseSemver(version: string): semver.SemVer | undefined {
  if (version.length > maxVersionLength) return undefined;
  const match = shape.exec(version);
  if (!match) return undefined;
  const [, major, minor = '0', patch = '0', rest = ''] = match;
  return semver.parse(`${major}.${minor}.${patch}${rest}`) ?? undefined;
}
