import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { semverOrder } from '../../src/scanning/versions/semver-order.js';

/** Every pair in the list, each earlier one below each later one. */
function assertAscending(versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      assert.ok(semverOrder.compare(versions[i]!, versions[j]!) < 0, `${versions[i]} < ${versions[j]}`);
      assert.ok(semverOrder.compare(versions[j]!, versions[i]!) > 0, `${versions[j]} > ${versions[i]}`);
    }
  }
}

describe('SemVer version order (npm, Go, crates.io, OSV SEMVER ranges)', () => {
  it('orders by SemVer 2.0 precedence, numbers as numbers', () => {
    assertAscending(['0.9.9', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11',
      '1.0.0-rc.1', '1.0.0', '1.0.1', '1.9.0', '1.10.0', '2.0.0']);
    assertAscending(['1.20.4', '1.20.10', '1.21.0']);
  });

  it('reads a leading v and a missing minor or patch as 0', () => {
    for (const [a, b] of [['1.0', '1.0.0'], ['1', '1.0.0'], ['v1.2.3', '1.2.3'], ['v1.2', '1.2.0'], ['1.0-rc.1', '1.0.0-rc.1']]) {
      assert.equal(semverOrder.compare(a!, b!), 0, `${a} = ${b}`);
      assert.equal(semverOrder.isValid(a!), true, a);
    }
    assert.ok(semverOrder.compare('4.17', '4.17.21') < 0, 'a fixed version written 4.17 is 4.17.0');
  });

  it('treats Go pseudo-versions as pre-releases and ignores build metadata', () => {
    assertAscending(['0.0.0-20210101000000-aaaaaaaaaaaa', '0.0.0-20220715151400-c0bba94af5f8', '0.0.1']);
    assertAscending(['1.2.3', '1.2.4-0.20220101000000-abcdefabcdef', '1.2.4']);
    assert.equal(semverOrder.compare('2.0.0+incompatible', '2.0.0'), 0);
    assert.ok(semverOrder.compare('v2.1.0+incompatible', '2.0.0') > 0);
  });

  it('refuses what is no version, and sorts it before every version, by code unit among themselves', () => {
    for (const version of ['', 'latest', 'v', '1.2.3.4', '01.2.3', '1.02', '1.2.3-', '1.2.3-rc..1', 'V1.2.3', ' 1.2.3', '1.2.3 ', '1.2.3-+',
      '=1.2.3', '^1.2.3', '1.x', '99999999999999999999.0.0', `1.0.0-${'a'.repeat(260)}`]) {
      assert.equal(semverOrder.isValid(version), false, JSON.stringify(version));
      assert.ok(semverOrder.compare(version, '0.0.0') < 0, `${JSON.stringify(version)} sorts before 0.0.0`);
    }
    assert.equal(semverOrder.compare('latest', 'edge'), 1);
    assert.equal(semverOrder.compare('edge', 'edge'), 0);
  });
});
