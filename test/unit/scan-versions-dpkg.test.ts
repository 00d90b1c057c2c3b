import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dpkgOrder } from '../../src/scanning/versions/dpkg-version.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scanning/versions/debian');

/** Every pair in the list, each earlier one below each later one. */
function assertAscending(versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      assert.ok(dpkgOrder.compare(versions[i]!, versions[j]!) < 0, `${versions[i]} < ${versions[j]}`);
      assert.ok(dpkgOrder.compare(versions[j]!, versions[i]!) > 0, `${versions[j]} > ${versions[i]}`);
    }
  }
}

/** Every version string of the Debian fixtures: installed and source versions, range events, changelog versions. */
function fixtureVersions(): string[] {
  const versions = new Set<string>();
  for (const line of readFileSync(path.join(fixtures, 'status'), 'utf8').split('\n')) {
    const version = /^Version: (\S+)$/.exec(line)?.[1] ?? /^Source: \S+ \((\S+)\)$/.exec(line)?.[1];
    if (version) versions.add(version);
  }
  for (const file of readdirSync(fixtures).filter((name) => name.endsWith('.json'))) {
    const record = JSON.parse(readFileSync(path.join(fixtures, file), 'utf8'));
    for (const affected of record.affected) {
      for (const range of affected.ranges) {
        for (const event of range.events) versions.add(Object.values(event)[0] as string);
      }
    }
    versions.add(record.database_specific.changelog_version);
    versions.add(record.database_specific.security_version);
  }
  return [...versions];
}

/** Versions built from the pieces Debian versions are made of, with a fixed seed so every run checks the same. */
function generatedVersions(count: number): string[] {
  let seed = 20260711;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = (choices: string[]): string => choices[Math.floor(random() * choices.length)]!;
  const pieces = ['0', '1', '2', '9', '10', '010', 'a', 'b', 'Z', 'dfsg', 'deb12u1', 'deb12u10', 'rc1', 'b1', ''];
  const part = (starts: string[], separators: string[], most: number): string => {
    let text = pick(starts);
    for (let n = Math.floor(random() * most); n > 0; n--) text += pick(separators) + pick(pieces);
    return text;
  };
  const versions: string[] = [];
  while (versions.length < count) {
    const epoch = random() < 0.3 ? `${pick(['0', '1', '2', '10'])}:` : '';
    const upstream = part(['0', '1', '2', '1.0', '10'], ['.', '+', '~', '', '.', '-'], 4);
    const revision = random() < 0.7 ? `-${part(['0', '1', '2', 'a', '~'], ['.', '+', '~', ''], 3)}` : '';
    const version = epoch + upstream + revision;
    if (dpkgOrder.isValid(version)) versions.push(version);
  }
  return versions;
}

function hasDpkg(): boolean {
  return spawnSync('dpkg', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** `dpkg --compare-versions` on each pair, all in one shell: -1, 0 or 1 per pair. */
function dpkgCompare(pairs: [string, string][]): number[] {
  const script = 'while read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; '
    + 'elif dpkg --compare-versions "$a" gt "$b"; then echo 1; else echo 0; fi; done';
  const result = spawnSync('sh', ['-c', script], { input: `${pairs.map((pair) => pair.join(' ')).join('\n')}\n`, encoding: 'utf8' });
  assert.equal(result.stderr, '', 'dpkg accepted every version');
  return result.stdout.trim().split('\n').map(Number);
}

function assertAgreesWithDpkg(pairs: [string, string][]): void {
  const expected = dpkgCompare(pairs);
  assert.equal(expected.length, pairs.length);
  pairs.forEach(([a, b], index) => {
    assert.equal(Math.sign(dpkgOrder.compare(a, b)), expected[index], `${a} vs ${b}: dpkg says ${expected[index]}`);
  });
}

describe('dpkg version order', () => {
  it('compares epochs first, so an epoch outweighs any upstream version', () => {
    assert.ok(dpkgOrder.compare('1:1.2.13.dfsg-1', '1.2.14') > 0);
    assert.ok(dpkgOrder.compare('2:0.1', '1:99.9-9') > 0);
    assert.equal(dpkgOrder.compare('0:1.0-1', '1.0-1'), 0, 'a missing epoch is 0');
  });

  it('compares digit runs as numbers and ignores their leading zeros', () => {
    assert.ok(dpkgOrder.compare('2.36-9+deb12u4', '2.36-9+deb12u10') < 0);
    assert.ok(dpkgOrder.compare('10.42', '9.99') > 0);
    assert.equal(dpkgOrder.compare('1.01', '1.1'), 0);
  });

  it('puts ~ before the end, the end before letters and letters before other characters', () => {
    assertAscending(['1.0~~', '1.0~~a', '1.0~', '1.0~rc1', '1.0', '1.0A', '1.0Z', '1.0a', '1.0z', '1.0+', '1.0.1']);
    assert.ok(dpkgOrder.compare('5.7-0.5~deb12u1', '5.7-0.5') < 0, 'a backport sorts before the version it backports');
  });

  it('splits the revision at the last hyphen; a missing revision equals 0', () => {
    assert.equal(dpkgOrder.compare('1.0', '1.0-0'), 0);
    assert.ok(dpkgOrder.compare('1.2.3-1-2', '1.2.3-1') > 0, 'upstream 1.2.3-1 is above upstream 1.2.3');
    assertAscending(['5.2.15-1', '5.2.15-2', '5.2.15-2+b8', '5.2.15-2+b13', '5.2.15-2.1', '5.2.15.1-1']);
  });

  it('refuses what dpkg warns about or refuses, and sorts it before every version', () => {
    for (const version of ['', 'a', '~1', '1.0-', ':1', 'a:1', '1:', '1.0 1', '1_0', '1.0-a_b', '99999999999:1', '1.0é', '-1', '1.0@', '1:a', '1'.repeat(257)]) {
      assert.equal(dpkgOrder.isValid(version), false, JSON.stringify(version));
      assert.ok(dpkgOrder.compare(version, '0') < 0, `${JSON.stringify(version)} sorts before 0`);
    }
    for (const version of ['0', '1:2:3', '1.0-1-2', '2.6.1', '1:2.38.1-5+deb12u3', '5.7-0.5~deb12u1', '1.0-~']) {
      assert.equal(dpkgOrder.isValid(version), true, version);
    }
    assert.equal(dpkgOrder.compare('b', 'a'), 1, 'non-versions among themselves by code unit');
  });

  it('reads every version of the Debian fixtures (inventory, sources and advisories) as valid', () => {
    const versions = fixtureVersions();
    assert.ok(versions.length > 70, `found ${versions.length} versions`);
    for (const version of versions) assert.equal(dpkgOrder.isValid(version), true, version);
  });

  it('orders the fixture versions as dpkg --compare-versions does', (t) => {
    if (!hasDpkg()) return t.skip('dpkg is not installed: the cross-check against Debian\'s own tool did not run');
    const versions = fixtureVersions();
    const sorted = [...versions].sort((a, b) => dpkgOrder.compare(a, b));
    // Neighbours in our order confirm the whole order (dpkg's is transitive); the shuffled pairs check more.
    const pairs: [string, string][] = sorted.slice(1).map((version, index) => [sorted[index]!, version]);
    for (let index = 0; index < versions.length; index++) pairs.push([versions[index]!, versions[(index * 37 + 11) % versions.length]!]);
    assertAgreesWithDpkg(pairs);
  });

  it('orders generated versions as dpkg --compare-versions does', (t) => {
    if (!hasDpkg()) return t.skip('dpkg is not installed: the cross-check against Debian\'s own tool did not run');
    const versions = generatedVersions(600);
    const pairs: [string, string][] = [];
    for (let index = 0; index < versions.length; index += 2) pairs.push([versions[index]!, versions[index + 1]!]);
    // Equal-but-different spellings and near neighbours are where orders go wrong: compare each with a variant.
    for (const version of versions.slice(0, 100)) pairs.push([version, version.includes('-') ? version : `${version}-0`]);
    assertAgreesWithDpkg(pairs);
  });

  it('calls a string a version exactly when dpkg accepts it without a warning', (t) => {
    if (!hasDpkg()) return t.skip('dpkg is not installed: the cross-check against Debian\'s own tool did not run');
    const candidates = ['1.0', '1.0-', '1_0', 'a1', '1:1.0', 'x:1', '1.0-1-2', '1.0-a~b', '1.0-a+b.c', '1.0:1', '1:1:1', '0~', '1.0-1_2',
      '1.0#', '9:', '1.0-.', '1..0', '1.0-~', '1~', '+1', '1+'];
    const script = 'while read -r v; do if [ -z "$(dpkg --compare-versions "$v" eq "$v" 2>&1)" ]; then echo 1; else echo 0; fi; done';
    const result = spawnSync('sh', ['-c', script], { input: `${candidates.join('\n')}\n`, encoding: 'utf8' });
    const accepted = result.stdout.trim().split('\n');
    candidates.forEach((version, index) => {
      assert.equal(dpkgOrder.isValid(version), accepted[index] === '1', version);
    });
  });
});
