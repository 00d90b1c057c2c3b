import semver from 'semver';

/**
 * Semantic versions in tags, as people write them: `1.2.3`, `v1.2.3`, `1.2.3-rc.1`, `1.2.3+build.7`. Anything else
 * (`latest`, `3.19`, `main-abc123`) is no version and takes no part in version order. Build metadata does not order
 * (semver's rule); two tags equal but for it are ordered by name, so the order is total and the same on every call.
 */
export function tagVersion(tag: string): semver.SemVer | undefined {
  if (!/^v?\d/.test(tag)) return undefined;
  return semver.parse(tag) ?? undefined;
}

/** Ascending version order of two tags; tags without a version come after every version, by name. */
export function compareTagVersions(a: string, b: string, versionOf: (tag: string) => semver.SemVer | undefined = tagVersion): number {
  const va = versionOf(a);
  const vb = versionOf(b);
  if (va && vb) return semver.compare(va, vb) || byName(a, b);
  if (va) return -1;
  if (vb) return 1;
  return byName(a, b);
}

export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The longest range accepted: semver's range grammar is parsed by regular expressions, so input is bounded. */
const rangeMaxLength = 256;

/** A parsed version range (`^1.2`, `>=2 <3`, `1.x`), or a message saying why it is not one. */
export function parseRange(range: string): semver.Range | string {
  if (range.length > rangeMaxLength) return `the range is longer than ${rangeMaxLength} characters`;
  try {
    return new semver.Range(range);
  } catch {
    return `"${range.slice(0, 60)}" is not a version range: write one as npm does, for example ^1.2, ~1.2.3, >=2.0.0 <3 or 1.x`;
  }
}
