import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byName, compareTagVersions, parseRange, tagVersion } from '../../src/insight/version-order.js';

/** Semantic versions as tags carry them, and the total order the tag lists and "latest" use. */
describe('version order of tags', () => {
  it('reads versions with and without a v prefix, with pre-release and build metadata', () => {
    assert.equal(tagVersion('1.2.3')?.version, '1.2.3');
    assert.equal(tagVersion('v1.2.3')?.version, '1.2.3');
    assert.equal(tagVersion('1.2.3-rc.1')?.version, '1.2.3-rc.1');
    assert.deepEqual(tagVersion('1.2.3+build.7')?.build, ['build', '7']);
    assert.deepEqual(tagVersion('v2.0.0-beta.2+exp.sha.5114f85')?.prerelease, ['beta', 2]);
  });

  it('takes tags that are no semantic version for none', () => {
    for (const tag of ['latest', 'main', '3.19', '1', 'v', 'main-abc123', 'sha256-abc.sig', '1.2.3.4', 'V1.2.3', 'release-1.2.3', '01.2.3']) {
      assert.equal(tagVersion(tag), undefined, tag);
    }
  });

  it('orders versions numerically, not lexically: v1.0.10 after v1.0.9, 1.10 after 1.2', () => {
    const tags = ['v1.0.10', '1.10.0', 'v1.0.9', '1.2.0', '0.9.0', '10.0.0', '2.0.0'];
    assert.deepEqual([...tags].sort((a, b) => compareTagVersions(a, b)), ['0.9.0', 'v1.0.9', 'v1.0.10', '1.2.0', '1.10.0', '2.0.0', '10.0.0']);
  });

  it('puts pre-releases before their release, in semver\'s order', () => {
    const tags = ['1.0.0', '1.0.0-rc.1', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta.11', '1.0.0-beta.2', '1.0.0-beta', '0.9.9'];
    assert.deepEqual([...tags].sort((a, b) => compareTagVersions(a, b)),
      ['0.9.9', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0']);
  });

  it('ignores build metadata for order and breaks the tie by name, so the order is total', () => {
    assert.equal(compareTagVersions('1.2.3+b', '1.2.3+a'), 1);
    assert.equal(compareTagVersions('1.2.3+a', '1.2.3+b'), -1);
    assert.equal(compareTagVersions('1.2.3', 'v1.2.3'), -1, 'equal versions: by name, "1" before "v"');
    assert.equal(compareTagVersions('1.2.3+z', '1.2.4'), -1, 'metadata never lifts a version over the next');
    assert.equal(compareTagVersions('1.2.3', '1.2.3'), 0);
  });

  it('puts tags without a version after every version, ordered by name among themselves', () => {
    const tags = ['latest', '2.0.0', 'edge', '1.0.0', 'main'];
    assert.deepEqual([...tags].sort((a, b) => compareTagVersions(a, b)), ['1.0.0', '2.0.0', 'edge', 'latest', 'main']);
  });

  it('compares names by code unit, as the database orders them', () => {
    assert.deepEqual(['b', 'B', 'a', '1', '_'].sort(byName), ['1', 'B', '_', 'a', 'b']);
  });

  it('parses npm ranges, and refuses others with a message saying how to write one', () => {
    for (const [range, inside, outside] of [
      ['^1.2', '1.9.0', '2.0.0'], ['~1.2.3', '1.2.9', '1.3.0'], ['>=2 <3', '2.5.0', '3.0.0'], ['1.x', '1.0.0', '2.0.0'],
    ] as const) {
      const parsed = parseRange(range);
      assert.ok(typeof parsed !== 'string', range);
      assert.ok(parsed.test(inside), `${range} holds ${inside}`);
      assert.ok(!parsed.test(outside), `${range} does not hold ${outside}`);
    }
    const bad = parseRange('not a range!');
    assert.equal(typeof bad, 'string');
    assert.match(bad as string, /is not a version range: write one as npm does, for example \^1\.2/);
    assert.match(parseRange('1'.repeat(257)) as string, /longer than 256 characters/);
  });
});
