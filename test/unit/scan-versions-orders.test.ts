import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VersionOrder } from '../../src/scanning/model.js';
import { apkOrder } from '../../src/scanning/versions/apk-version.js';
import { dpkgOrder } from '../../src/scanning/versions/dpkg-version.js';
import { mavenOrder } from '../../src/scanning/versions/maven-version.js';
import { pep440Order } from '../../src/scanning/versions/pep440-order.js';
import { rpmOrder } from '../../src/scanning/versions/rpm-version.js';
import { semverOrder } from '../../src/scanning/versions/semver-order.js';
import { semverRangeOrder, versionOrderFor } from '../../src/scanning/versions/version-orders.js';

/** Each order with versions of its own ecosystem, so the samples below hold valid versions as well as junk. */
const orders: [string, VersionOrder, string[]][] = [
  ['dpkg', dpkgOrder, ['1:1.2.13.dfsg-1', '1.2.14', '2.36-9+deb12u4', '2.36-9+deb12u10', '1.0~rc1', '1.0', '1.0-0', '5.7-0.5~deb12u1']],
  ['apk', apkOrder, ['1.2.12-r1', '1.2.12-r2', '1.0_alpha', '1.0', '1.0_p1', '1.1.1k-r0', '1.02', '20240705-r0', '1.0~abc-r1']],
  ['rpm', rpmOrder, ['1.0~rc1', '1.0', '1.0^git1', '1.0.0', '1.0-1.el9', '1.0-1.el9_2', '1:2.32.1-42.el8_8', '1.010']],
  ['maven', mavenOrder, ['1.0', '1', '1.0-SNAPSHOT', '1.0-rc1', '1.0-cr1', '1.0-sp', '1-1', '1.1', '1.0.0.x1', '1.0-a1']],
  ['semver', semverOrder, ['1.0', '1.0.0', 'v1.0.0', '1.0.0-rc.1', '0.0.0-20220715151400-c0bba94af5f8', '2.0.0+incompatible']],
  ['pep440', pep440Order, ['1.0.dev0', '1.0a1', '1.0', '1.0.0', '1.0.post1', '1!0.1', '1.0+abc', '1.0+1']],
];

/** The known versions and, from a fixed seed, 120 strings of version-like pieces (most of them no version). */
function sample(known: string[]): string[] {
  let seed = 1013;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pieces = ['0', '1', '2', '10', '01', '.', '.', '-', '+', '~', '^', '_', ':', '!', 'a', 'z', 'A', 'rc', 'alpha', 'p', '-r', 'sp',
    'dev', 'post', 'v', 'el9', ''];
  const strings = [...known];
  for (let count = 0; count < 120; count++) {
    let text = '';
    for (let n = 1 + Math.floor(random() * 6); n > 0; n--) text += pieces[Math.floor(random() * pieces.length)];
    strings.push(text);
  }
  return strings;
}

/** Inputs from strangers: very long, repetitive, control characters, non-ASCII digits, lone surrogates. */
const hostile = ['', ' ', '\n', '~~~~', '1'.repeat(10_000), '~'.repeat(10_000), '1.'.repeat(5_000), '1-'.repeat(5_000), '0:'.repeat(5_000),
  'a'.repeat(10_000), `1.0${'_p'.repeat(5_000)}`, `${'1'.repeat(300)}.0`, '1.0\u0000', '\uff11.\uff10', '1.0\u{1f600}', '\ud800', '1.0\u200b',
  '\u0661.\u0660', 'NaN', 'Infinity', '__proto__', '-1', '1e3'];

describe('version orders', () => {
  for (const [name, order, known] of orders) {
    it(`${name}: is a consistent total order on a sample of versions and junk`, () => {
      const strings = sample(known);
      assert.ok(strings.filter((text) => order.isValid(text)).length >= known.length, 'the sample holds versions');
      for (const a of strings) {
        assert.equal(order.compare(a, a), 0, `${a} = itself`);
        for (const b of strings) {
          assert.equal(Math.sign(order.compare(a, b)) + Math.sign(order.compare(b, a)), 0, `antisymmetric on ${a}, ${b}`);
        }
      }
      // Sorted, every element is at most every later one, and equal elements sit together: the order is transitive.
      const sorted = [...strings].sort((a, b) => order.compare(a, b));
      for (let i = 0; i < sorted.length; i++) {
        for (let j = i + 1; j < sorted.length; j++) {
          const pairOrder = order.compare(sorted[i]!, sorted[j]!);
          assert.ok(pairOrder <= 0, `transitive: ${sorted[i]} <= ${sorted[j]}`);
          if (pairOrder === 0 && j > i + 1) assert.equal(order.compare(sorted[i]!, sorted[j - 1]!), 0, `${sorted[i]} = ${sorted[j - 1]}`);
        }
      }
    });

    it(`${name}: takes hostile input without throwing, and refuses all of it that is over 256 characters`, () => {
      for (const text of hostile) {
        const valid = order.isValid(text);
        assert.equal(typeof valid, 'boolean');
        if (text.length > 256) assert.equal(valid, false, `${text.slice(0, 20)}… (${text.length} characters)`);
        assert.equal(order.compare(text, text), 0);
        for (const other of [known[0]!, '~~~~', '1'.repeat(10_000)]) {
          const forward = order.compare(text, other);
          assert.ok(Number.isFinite(forward));
          assert.equal(Math.sign(forward) + Math.sign(order.compare(other, text)), 0);
        }
      }
    });
  }

  it('picks the order of an OSV ecosystem, distributions by the name before their release', () => {
    const expected: [string, VersionOrder][] = [
      ['Debian:12', dpkgOrder], ['Debian:sid', dpkgOrder], ['Ubuntu:22.04:LTS', dpkgOrder], ['Ubuntu:Pro:18.04:LTS', dpkgOrder],
      ['Alpine:v3.20', apkOrder], ['Wolfi', apkOrder], ['Chainguard', apkOrder],
      ['Red Hat:enterprise_linux:9::appstream', rpmOrder], ['Rocky Linux:9', rpmOrder], ['AlmaLinux:8', rpmOrder],
      ['openSUSE:Leap 15.5', rpmOrder], ['SUSE:Linux Enterprise Server 15 SP5', rpmOrder], ['Mageia:9', rpmOrder],
      ['npm', semverOrder], ['Go', semverOrder], ['crates.io', semverOrder], ['PyPI', pep440Order], ['Maven', mavenOrder],
    ];
    for (const [ecosystem, order] of expected) assert.equal(versionOrderFor(ecosystem), order, ecosystem);
  });

  it('has no order for ecosystems it does not know, and none for misspelt ones', () => {
    for (const ecosystem of ['RubyGems', 'NuGet', 'Packagist', 'Hex', 'Bitnami', 'GIT', '', ':', 'debian:12', 'pypi', ' npm', 'Alpine ']) {
      assert.equal(versionOrderFor(ecosystem), undefined, JSON.stringify(ecosystem));
    }
  });

  it('orders OSV SEMVER ranges by SemVer precedence', () => {
    assert.equal(semverRangeOrder, semverOrder);
    assert.ok(semverRangeOrder.compare('1.0.0-rc.1', '1.0.0') < 0);
  });
});
