import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { mavenOrder } from '../../src/scanning/versions/maven-version.js';

/** Every pair in the list, each earlier one below each later one. */
function assertAscending(versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      assert.ok(mavenOrder.compare(versions[i]!, versions[j]!) < 0, `${versions[i]} < ${versions[j]}`);
      assert.ok(mavenOrder.compare(versions[j]!, versions[i]!) > 0, `${versions[j]} > ${versions[i]}`);
    }
  }
}

function assertEqual(versions: string[]): void {
  for (const version of versions) assert.equal(mavenOrder.compare(versions[0]!, version), 0, `${versions[0]} = ${version}`);
}

/** Versions in the shapes Maven artifacts use, with a fixed seed so every run checks the same. */
function generatedVersions(count: number): string[] {
  let seed = 399;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = (choices: string[]): string => choices[Math.floor(random() * choices.length)]!;
  const qualifiers = ['alpha', 'beta', 'rc', 'cr', 'm', 'M', 'milestone', 'RC', 'sp', 'SP', 'final', 'Final', 'ga', 'GA', 'RELEASE', 'foo',
    'a', 'b', 'SNAPSHOT', 'jre', 'android'];
  const number = (): string => pick(['0', '1', '2', '10']);
  const suffixes = [(): string => '', (): string => `-${pick(qualifiers)}`, (): string => `-${pick(qualifiers)}${number()}`,
    (): string => `-${pick(qualifiers)}-${number()}`, (): string => `.${pick(qualifiers)}`, (): string => `${pick(qualifiers)}${number()}`,
    (): string => `.${pick(qualifiers)}${number()}`, (): string => `-${number()}`, (): string => `.${pick(qualifiers)}-${number()}`];
  const versions: string[] = [];
  while (versions.length < count) {
    const numbers = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(['0', '1', '2', '10', '0', '1']));
    versions.push(numbers.join('.') + suffixes[Math.floor(random() * suffixes.length)]!() + (random() < 0.2 ? '-SNAPSHOT' : ''));
  }
  return versions;
}

/** Debian's Maven package: its maven-artifact jar holds Maven's own ComparableVersion. */
const mavenArtifactJars = ['/usr/share/maven/lib/maven-artifact-3.x.jar', '/usr/share/java/maven-artifact-3.x.jar'];

/** Maven's ComparableVersion on each pair (-1, 0 or 1), through its `main`, which compares neighbouring arguments. */
function mavenCompare(jar: string, pairs: [string, string][]): number[] {
  const result = spawnSync('java', ['-cp', jar, 'org.apache.maven.artifact.versioning.ComparableVersion', ...pairs.flat()],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, result.stderr);
  // It prints `a < b` (or `==`, `>`) for arguments 1 and 2, 2 and 3, …: pair k's answer is comparison 2k.
  const comparisons = result.stdout.split('\n').filter((line) => line.startsWith('   '));
  return pairs.map((_, index) => {
    const operator = comparisons[2 * index]!.trim().split(' ')[1];
    return operator === '<' ? -1 : operator === '>' ? 1 : 0;
  });
}

/**
 * Whether Maven contradicts itself on a and b: some c (a prefix of either, where cycles start) that Maven puts on one
 * side of both, a <= c <= b or a >= c >= b, while it puts a and b the other way round.
 */
function mavenCycles(jar: string, a: string, b: string): boolean {
  const cuts = new Set<string>();
  for (const version of [a, b]) {
    for (let end = 1; end < version.length; end++) if ('.-'.includes(version[end]!)) cuts.add(version.slice(0, end));
  }
  const witnesses = [...cuts];
  const answers = mavenCompare(jar, [[a, b], ...witnesses.flatMap((c): [string, string][] => [[a, c], [c, b]])]);
  const ab = answers[0]!;
  return witnesses.some((_, index) => {
    const ac = answers[1 + 2 * index]!;
    const cb = answers[2 + 2 * index]!;
    const implied = ac <= 0 && cb <= 0 ? Math.min(ac, cb) : ac >= 0 && cb >= 0 ? Math.max(ac, cb) : undefined;
    return implied !== undefined && implied !== ab;
  });
}

describe('Maven version order', () => {
  it('drops trailing zeros and release qualifiers', () => {
    assertEqual(['1', '1.0', '1.0.0', '1-0', '1.ga', '1-final', '1.RELEASE', '1.0-GA']);
    assertAscending(['1', '1.0.1', '1.1']);
  });

  it('compares numbers as numbers', () => {
    assertAscending(['1.9', '1.10', '1.10.1', '2.0', '10.0']);
    assertEqual(['1.01', '1.1']);
    assertAscending(['1.2', '1.12345678901234567890']);
  });

  it('orders qualifiers alpha < beta < milestone < rc = cr < snapshot < release < sp < others, case-insensitively', () => {
    assertAscending(['1.0-alpha-1', '1.0-beta-1', '1.0-milestone-1', '1.0-rc-1', '1.0-SNAPSHOT', '1.0', '1.0-sp-1', '1.0-abc', '1.0-abd']);
    assertEqual(['1.0-rc1', '1.0-cr1', '1.0-RC1', '1.0-rc-1']);
  });

  it('reads a, b and m followed by a number as alpha, beta and milestone', () => {
    assertEqual(['1.0-a1', '1.0-alpha-1', '1.0alpha1']);
    assertEqual(['1.0-b2', '1.0-beta-2']);
    assertEqual(['1.0-m3', '1.0-milestone-3']);
    assert.ok(mavenOrder.compare('1.0-a', '1.0') > 0, 'a alone is an unknown qualifier, after the release');
  });

  it('tells the separators apart: a number after a dot beats one after a hyphen, which beats a qualifier', () => {
    assertAscending(['1-sp', '1-1', '1.1']);
    assertAscending(['1.0.0.x1', '1.0.0-x2']);
    assertAscending(['2.14.0-rc1', '2.14.0', '2.14.0.1', '2.14.1']);
  });

  it('orders the versions of the Maven fixtures as their advisories need', () => {
    assert.ok(mavenOrder.compare('1.33', '2.0') < 0, 'snakeyaml 1.33 is below the fix 2.0');
    assert.ok(mavenOrder.compare('2.19.0', '2.17.1') > 0, 'log4j 2.19.0 is above the fix 2.17.1');
    assert.ok(mavenOrder.compare('2.14.0', '2.14.0-rc1') > 0, 'jackson-databind 2.14.0 is above its release candidate');
  });

  it('calls any 1 to 256 printable ASCII characters a version, and sorts other strings first', () => {
    for (const version of ['', ' ', '1.0 beta', 'é', '1.0\n', '1'.repeat(257)]) {
      assert.equal(mavenOrder.isValid(version), false, JSON.stringify(version));
      assert.ok(mavenOrder.compare(version, '0') < 0, `${JSON.stringify(version)} sorts before 0`);
    }
    for (const version of ['0', '1.0-SNAPSHOT', '2.0.0.RELEASE', '1_2', '!', '-', '.']) assert.equal(mavenOrder.isValid(version), true, version);
  });

  it('breaks the cycles of ComparableVersion consistently, keeping its answer everywhere else', () => {
    // Maven has 1.0-1 < 1.0.0.beta-2 and 1.sp.1 < 1-alpha; neither fits with where it puts them against 1.
    assertAscending(['1.0.0.beta-2', '1', '1.0-1']);
    assertAscending(['1-alpha', '1', '1.sp.1']);
    assert.ok(mavenOrder.compare('1.0.2', '1.0-1') > 0, 'a number after a dot still beats a list, as in Maven');
  });

  it('orders generated versions as Maven\'s own ComparableVersion does, wherever Maven is consistent', (t) => {
    const jar = mavenArtifactJars.find((candidate) => existsSync(candidate));
    if (!jar || spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
      return t.skip('Java or Maven (maven-artifact) is not installed: the cross-check against ComparableVersion did not run');
    }
    const versions = generatedVersions(1200);
    const pairs: [string, string][] = [];
    for (let index = 0; index < versions.length; index += 2) pairs.push([versions[index]!, versions[index + 1]!]);
    const expected = mavenCompare(jar, pairs);
    const disagreements = pairs.filter(([a, b], index) => Math.sign(mavenOrder.compare(a, b)) !== expected[index]);
    assert.ok(disagreements.length < pairs.length / 100, `${disagreements.length} disagreements: ${JSON.stringify(disagreements.slice(0, 5))}`);
    for (const [a, b] of disagreements) assert.ok(mavenCycles(jar, a, b), `${a} vs ${b}: Maven is consistent here, and disagrees`);
    assert.ok(mavenCycles(jar, '1.0.0.beta-2', '1.0-1') && mavenCycles(jar, '1-alpha', '1.sp.1'), 'the cycles broken above are Maven\'s');
    assert.ok(!mavenCycles(jar, '1.0.2', '1.0-1'));
  });
});
