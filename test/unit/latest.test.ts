import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickLatest, type LatestRequest } from '../../src/insight/latest.js';
import { parseRange } from '../../src/insight/version-order.js';
import type { ArtifactPlatform } from '../../src/metadata/artifact-facts.js';
import type { TagRow } from '../../src/metadata/insight-store.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

/** A tag row as the store answers it; each tag gets its own digest unless one is given. */
function row(tag: string, fields: Partial<TagRow> = {}): TagRow {
  return {
    repository: 'team/app', tag, digest: digest(tag.length * 1000 + tag.charCodeAt(tag.length - 1)), mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: undefined, size: 100, pushedAt: 1_000, created: undefined, labels: {}, pulls: 0, lastPulledAt: undefined, tagPulls: 0, quarantined: false,
    ...fields,
  };
}

const none = new Map<string, ArtifactPlatform[]>();
const latest = (rows: TagRow[], request: LatestRequest, platforms: ReadonlyMap<string, ArtifactPlatform[]> = none) => pickLatest(rows, platforms, request);
const range = (text: string) => {
  const parsed = parseRange(text);
  assert.ok(typeof parsed !== 'string', parsed as string);
  return parsed;
};

describe('"latest" among a repository\'s tags', () => {
  describe('by semver', () => {
    it('picks the highest version, numerically', () => {
      const rows = [row('1.2.0'), row('1.10.0'), row('1.9.3'), row('latest', { pushedAt: 9_999 })];
      const found = latest(rows, { by: 'semver' });
      assert.equal(found?.row.tag, '1.10.0');
      assert.equal(found?.version, '1.10.0');
    });

    it('leaves pre-releases out unless asked for', () => {
      const rows = [row('1.2.0'), row('2.0.0-rc.1'), row('2.0.0-beta.3')];
      assert.equal(latest(rows, { by: 'semver' })?.row.tag, '1.2.0');
      assert.equal(latest(rows, { by: 'semver', prerelease: true })?.row.tag, '2.0.0-rc.1');
      assert.equal(latest([...rows, row('2.0.0')], { by: 'semver', prerelease: true })?.row.tag, '2.0.0', 'the release beats its pre-releases');
      assert.equal(latest([row('1.0.0-rc.1')], { by: 'semver' }), undefined, 'only pre-releases: none without asking');
    });

    it('tolerates a v prefix, and breaks a tie of equal versions by name', () => {
      assert.equal(latest([row('v1.2.3'), row('1.2.2'), row('v1.0.0')], { by: 'semver' })?.row.tag, 'v1.2.3');
      assert.equal(latest([row('1.2.3'), row('v1.2.3')], { by: 'semver' })?.row.tag, 'v1.2.3', '"v1.2.3" > "1.2.3" by name');
      assert.equal(latest([row('v1.2.3'), row('1.2.3')], { by: 'semver' })?.row.tag, 'v1.2.3', 'whatever the rows\' order');
    });

    it('ignores build metadata for order, ties going to the greater name', () => {
      const rows = [row('1.2.3+build.1'), row('1.2.3+build.2'), row('1.2.2+build.9')];
      assert.equal(latest(rows, { by: 'semver' })?.row.tag, '1.2.3+build.2');
      assert.equal(latest([...rows].reverse(), { by: 'semver' })?.row.tag, '1.2.3+build.2');
      assert.equal(latest([row('1.2.3+zzz'), row('1.2.4+aaa')], { by: 'semver' })?.row.tag, '1.2.4+aaa');
    });

    it('ignores tags that are no semantic version, and answers nothing when none is', () => {
      const rows = [row('latest', { pushedAt: 9_000 }), row('main'), row('3.19'), row('1.0.0'), row('stable')];
      assert.equal(latest(rows, { by: 'semver' })?.row.tag, '1.0.0');
      assert.equal(latest([row('latest'), row('3.19')], { by: 'semver' }), undefined);
      assert.equal(latest([], { by: 'semver' }), undefined);
    });

    it('keeps to a range: caret, tilde and comparator sets', () => {
      const rows = ['1.1.9', '1.2.0', '1.2.3', '1.2.9', '1.3.0', '1.9.0', '2.0.0', '2.4.1', '3.0.0', '3.0.0-rc.1'].map((tag) => row(tag));
      assert.equal(latest(rows, { by: 'semver', range: range('^1.2') })?.row.tag, '1.9.0');
      assert.equal(latest(rows, { by: 'semver', range: range('~1.2.3') })?.row.tag, '1.2.9');
      assert.equal(latest(rows, { by: 'semver', range: range('>=2 <3') })?.row.tag, '2.4.1');
      assert.equal(latest(rows, { by: 'semver', range: range('>=4') }), undefined);
      assert.equal(latest(rows, { by: 'semver', range: range('>=3.0.0-rc.0'), prerelease: true })?.row.tag, '3.0.0');
    });
  });

  describe('per platform', () => {
    const amd = row('1.0.0', { digest: digest(1) });
    const both = row('1.1.0', { digest: digest(2) });
    const arm = row('2.0.0', { digest: digest(3) });
    const platforms = new Map<string, ArtifactPlatform[]>([
      [digest(1), [{ digest: digest(1), os: 'linux', architecture: 'amd64', variant: '' }]],
      [digest(2), [
        { digest: digest(21), os: 'linux', architecture: 'amd64', variant: '' }, { digest: digest(22), os: 'linux', architecture: 'arm64', variant: 'v8' },
      ]],
      [digest(3), [{ digest: digest(3), os: 'linux', architecture: 'arm64', variant: 'v8' }]],
    ]);

    it('considers only tags whose artifact runs on the platform, and names that platform\'s manifest', () => {
      const rows = [amd, both, arm];
      const forAmd = latest(rows, { by: 'semver', platform: { os: 'linux', architecture: 'amd64' } }, platforms);
      assert.deepEqual([forAmd?.row.tag, forAmd?.platformDigest], ['1.1.0', digest(21)], 'the index\'s amd64 child');
      const forArm = latest(rows, { by: 'semver', platform: { os: 'linux', architecture: 'arm64' } }, platforms);
      assert.deepEqual([forArm?.row.tag, forArm?.platformDigest], ['2.0.0', digest(3)]);
      assert.equal(latest(rows, { by: 'semver' }, platforms)?.platformDigest, undefined, 'no platform asked: none named');
    });

    it('matches a variant only when asked for', () => {
      const rows = [amd, both, arm];
      assert.equal(latest(rows, { by: 'semver', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }, platforms)?.row.tag, '2.0.0');
      assert.equal(latest(rows, { by: 'semver', platform: { os: 'linux', architecture: 'arm64', variant: 'v7' } }, platforms), undefined);
      assert.equal(latest(rows, { by: 'pushed', platform: { os: 'windows', architecture: 'amd64' } }, platforms), undefined);
    });

    it('leaves out tags whose platforms are unknown', () => {
      assert.equal(latest([row('9.0.0')], { by: 'semver', platform: { os: 'linux', architecture: 'amd64' } }, platforms), undefined);
    });
  });

  describe('by push time', () => {
    it('picks the tag moved last, whatever its name', () => {
      const rows = [row('1.0.0', { pushedAt: 5_000 }), row('latest', { pushedAt: 7_000 }), row('9.9.9', { pushedAt: 6_000 })];
      assert.equal(latest(rows, { by: 'pushed' })?.row.tag, 'latest');
      assert.equal(latest(rows, { by: 'pushed' })?.version, undefined);
    });

    it('breaks a tie of push times by name, the greater winning, whatever the rows\' order', () => {
      const rows = [row('b', { pushedAt: 7_000 }), row('c', { pushedAt: 7_000 }), row('a', { pushedAt: 7_000 }), row('z', { pushedAt: 1 })];
      assert.equal(latest(rows, { by: 'pushed' })?.row.tag, 'c');
      assert.equal(latest([...rows].reverse(), { by: 'pushed' })?.row.tag, 'c');
    });
  });

  describe('by created time', () => {
    it('picks the newest image config, ignoring tags without one', () => {
      const rows = [row('old', { created: 1_000, pushedAt: 9_000 }), row('new', { created: 5_000, pushedAt: 2_000 }), row('unknown', { pushedAt: 9_999 })];
      assert.equal(latest(rows, { by: 'created' })?.row.tag, 'new');
      assert.equal(latest([row('unknown')], { by: 'created' }), undefined);
    });

    it('breaks a tie of created times by push time, then by name', () => {
      const rows = [
        row('a', { created: 5_000, pushedAt: 2_000 }), row('b', { created: 5_000, pushedAt: 3_000 }), row('c', { created: 5_000, pushedAt: 1_000 }),
      ];
      assert.equal(latest(rows, { by: 'created' })?.row.tag, 'b');
      const same = [row('x', { created: 5_000, pushedAt: 3_000 }), row('y', { created: 5_000, pushedAt: 3_000 })];
      assert.equal(latest(same, { by: 'created' })?.row.tag, 'y');
      assert.equal(latest([...same].reverse(), { by: 'created' })?.row.tag, 'y');
    });
  });
});
