import type { SemVer } from 'semver';
import semver from 'semver';
import type { ArtifactPlatform } from '../metadata/artifact-facts.js';
import type { TagRow } from '../metadata/insight-store.js';
import { byName, tagVersion } from './version-order.js';

export interface LatestRequest {
  /** semver: the highest version; pushed: the tag moved last; created: the newest image config `created`. */
  readonly by: 'semver' | 'pushed' | 'created';
  readonly platform?: { readonly os: string; readonly architecture: string; readonly variant?: string | undefined } | undefined;
  /** A semver range the version must satisfy (semver only). */
  readonly range?: semver.Range | undefined;
  /** Whether pre-releases (1.2.0-rc.1) take part (semver only). */
  readonly prerelease?: boolean | undefined;
}

export interface LatestPick {
  readonly row: TagRow;
  readonly version: string | undefined;
  readonly platformDigest: string | undefined;
}

/**
 * "Latest" among a repository's tags, decided from their names, push times and config times alone, with every tie
 * broken by tag name: the same rows always give the same answer. Tags whose artifact does not run on the platform
 * asked for take no part; for semver, neither do tags that are no version, pre-releases unless asked for, and
 * versions outside the range.
 */
export function pickLatest(rows: readonly TagRow[], platforms: ReadonlyMap<string, readonly ArtifactPlatform[]>, request: LatestRequest,
  versionOf: (tag: string) => SemVer | undefined = tagVersion): LatestPick | undefined {
  let best: { row: TagRow; version: SemVer | undefined; platformDigest: string | undefined } | undefined;
  for (const row of rows) {
    let platformDigest: string | undefined;
    if (request.platform) {
      platformDigest = platformMatch(platforms.get(row.digest) ?? [], request.platform);
      if (platformDigest === undefined) continue;
    }
    let version: SemVer | undefined;
    if (request.by === 'semver') {
      version = versionOf(row.tag);
      if (!version) continue;
      if (version.prerelease.length > 0 && !request.prerelease) continue;
      if (request.range && !request.range.test(version)) continue;
    }
    if (request.by === 'created' && row.created === undefined) continue;
    if (!best || newer({ row, version }, best, request.by)) best = { row, version, platformDigest };
  }
  return best && { row: best.row, version: best.version?.version, platformDigest: best.platformDigest };
}

/** Whether `a` is later than `b`; ties by name, the greater name winning, so `1.2.3+b` beats `1.2.3+a`. */
function newer(a: { row: TagRow; version: SemVer | undefined }, b: { row: TagRow; version: SemVer | undefined }, by: LatestRequest['by']): boolean {
  let order: number;
  switch (by) {
    case 'semver': order = semver.compare(a.version!, b.version!); break;
    case 'pushed': order = a.row.pushedAt - b.row.pushedAt; break;
    case 'created': order = (a.row.created! - b.row.created!) || (a.row.pushedAt - b.row.pushedAt); break;
  }
  return (order || byName(a.row.tag, b.row.tag)) > 0;
}

/** The manifest of an artifact's platforms that matches (variant only when asked for), or undefined. */
function platformMatch(platforms: readonly ArtifactPlatform[], wanted: NonNullable<LatestRequest['platform']>): string | undefined {
  const match = platforms.find((platform) => platform.os === wanted.os && platform.architecture === wanted.architecture &&
    (wanted.variant === undefined || platform.variant === wanted.variant));
  return match?.digest;
}
