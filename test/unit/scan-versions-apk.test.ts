import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { apkOrder } from '../../src/scanning/versions/apk-version.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scanning/versions/alpine');

/** Every pair in the list, each earlier one below each later one. */
function assertAscending(versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      assert.ok(apkOrder.compare(versions[i]!, versions[j]!) < 0, `${versions[i]} < ${versions[j]}`);
      assert.ok(apkOrder.compare(versions[j]!, versions[i]!) > 0, `${versions[j]} > ${versions[i]}`);
    }
  }
}

interface ExpectedAlpine {
  findings: { installed: string; fixed: string }[];
  must_not_report: { installed: string; ids: { fixed: string }[]; reason: string }[];
}

describe('apk version order', () => {
  it('orders revisions numerically', () => {
    assertAscending(['1.2.12-r1', '1.2.12-r2', '1.2.12-r10', '1.2.13-r0']);
    assert.equal(apkOrder.compare('2.10.6-r0', '2.10.6-r0'), 0);
  });

  it('puts pre-release suffixes before the plain version and the others after it', () => {
    assertAscending(['1.0_alpha', '1.0_alpha2', '1.0_beta', '1.0_pre1', '1.0_rc', '1.0_rc3', '1.0', '1.0_cvs', '1.0_svn1',
      '1.0_git', '1.0_hg2', '1.0_p', '1.0_p1', '1.0_p10']);
    assertAscending(['1.2.2_pre2-r0', '1.2.2_pre2-r1', '1.2.2-r0']);
  });

  it('lets the version that goes on win, unless it goes on with a pre-release suffix', () => {
    assertAscending(['1.0', '1.0-r1', '1.0~0f3a', '1.0_p1', '1.0a', '1.0.1']);
    assert.ok(apkOrder.compare('1.0_rc1', '1.0') < 0);
    assert.ok(apkOrder.compare('1.0_rc1_p1', '1.0_rc1') > 0, 'a suffix after a suffix: the post-release one goes on');
    assert.ok(apkOrder.compare('1.0_p1_rc1', '1.0_p1') < 0);
  });

  it('compares letters after the numbers, so 1.1.1k follows 1.1.1j and precedes 1.1.2', () => {
    assertAscending(['1.1.1', '1.1.1a', '1.1.1j-r5', '1.1.1k', '1.1.1k-r0', '1.1.2']);
  });

  it('compares a component with a leading zero as a string, below the components without one', () => {
    assertAscending(['1.001', '1.01', '1.010', '1.09', '1.1', '1.9', '1.10']);
    assert.equal(apkOrder.compare('01.2', '1.2'), 0, 'the first number is always read as a number');
    assertAscending(['20230312-r3', '20240705-r0', '20240705.1-r0']);
  });

  it('compares commit hashes as strings, before the revision', () => {
    assertAscending(['1.0~abc', '1.0~abc-r1', '1.0~abd']);
  });

  it('refuses what apk refuses, and sorts it before every version', () => {
    for (const version of ['', 'a1', 'v1.0', '1.0-1', '1.0_foo', '1.0ab', '1.0A', '1.0-r', '1.0_', '1.0~', '1.0~xyz', '1..0',
      '1.0.', '1.0-r1-r2', '1.0a.1', '1.0-r1_p1', '1.0 ', '1,0', '1'.repeat(257)]) {
      assert.equal(apkOrder.isValid(version), false, JSON.stringify(version));
      assert.ok(apkOrder.compare(version, '0') < 0, `${JSON.stringify(version)} sorts before 0`);
    }
    for (const version of ['0', '1.36.1-r29', '3.3.2-r0', '1.1.1k-r0', '1.2.2_pre2-r0', '20240705-r0', '1.0_rc1_p2', '1.0a_p1~beef-r3']) {
      assert.equal(apkOrder.isValid(version), true, version);
    }
  });

  for (const release of ['3.10.9', '3.20.3']) {
    it(`agrees with the expected Alpine ${release} findings: installed below fixed, fixed groups at or above it`, () => {
      const expected = JSON.parse(readFileSync(path.join(fixtures, `alpine-${release}.json`), 'utf8')) as ExpectedAlpine;
      assert.ok(expected.findings.length > 0);
      for (const { installed, fixed } of expected.findings) {
        assert.ok(apkOrder.compare(installed, fixed) < 0, `${installed} < ${fixed}`);
      }
      let equal = 0;
      for (const group of expected.must_not_report.filter((entry) => entry.reason.startsWith('installed version is not older'))) {
        for (const { fixed } of group.ids) {
          assert.ok(apkOrder.compare(group.installed, fixed) >= 0, `${group.installed} >= ${fixed}`);
          if (apkOrder.compare(group.installed, fixed) === 0) equal++;
        }
      }
      assert.ok(equal > 0, 'the data holds installed versions equal to the fixed one');
    });
  }
});
