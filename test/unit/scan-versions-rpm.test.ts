import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { rpmOrder } from '../../src/scanning/versions/rpm-version.js';

/** Every pair in the list, each earlier one below each later one. */
function assertAscending(versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      assert.ok(rpmOrder.compare(versions[i]!, versions[j]!) < 0, `${versions[i]} < ${versions[j]}`);
      assert.ok(rpmOrder.compare(versions[j]!, versions[i]!) > 0, `${versions[j]} > ${versions[i]}`);
    }
  }
}

/** Versions built from the pieces RPM versions are made of, with a fixed seed so every run checks the same. */
function generatedVersions(count: number): string[] {
  let seed = 4180;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = (choices: string[]): string => choices[Math.floor(random() * choices.length)]!;
  const pieces = ['0', '1', '2', '9', '10', '010', 'a', 'b', 'Z', 'el9', 'el9_2', 'el8_8', 'rc1', 'git', 'fc38', ''];
  const part = (): string => {
    let text = pick(['0', '1', '2', '1.0', 'a']);
    for (let n = Math.floor(random() * 4); n > 0; n--) text += pick(['.', '_', '+', '~', '^', '', '.', '.']) + pick(pieces);
    return text;
  };
  const versions: string[] = [];
  while (versions.length < count) {
    const epoch = random() < 0.2 ? `${pick(['0', '1', '2', '10'])}:` : '';
    const version = epoch + part() + (random() < 0.7 ? `-${part()}` : '');
    if (rpmOrder.isValid(version)) versions.push(version);
  }
  return versions;
}

function hasRpm(): boolean {
  return spawnSync('rpm', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** rpm's own comparison (`rpm.vercmp`, which parses epoch, version and release) of each pair, in one Lua chunk. */
function rpmCompare(pairs: [string, string][]): number[] {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'berth-rpmvercmp-'));
  try {
    const script = path.join(directory, 'compare.lua');
    writeFileSync(script, pairs.map(([a, b]) => `print(rpm.vercmp(${JSON.stringify(a)}, ${JSON.stringify(b)}) .. "\\n")`).join('\n'));
    const result = spawnSync('rpm', ['--eval', `%{lua: dofile(${JSON.stringify(script)})}`], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout.trim().split('\n').map(Number);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe('rpm version order', () => {
  it('puts ~ before the end and ^ after it', () => {
    assertAscending(['1.0~~', '1.0~rc1', '1.0~rc2', '1.0', '1.0^', '1.0^git1', '1.0^git2', '1.0.0', '1.0.1']);
  });

  it('compares numbers as numbers, ignoring leading zeros, and lets a number beat letters', () => {
    assert.equal(rpmOrder.compare('1.010', '1.10'), 0);
    assertAscending(['1.9', '1.10', '1.100']);
    assertAscending(['1.a', '1.z', '1.0', '1.1']);
    assertAscending(['1.0A', '1.0a']);
  });

  it('reads separators only as separators', () => {
    assert.equal(rpmOrder.compare('1.0a', '1.0.a'), 0);
    assert.equal(rpmOrder.compare('1_0', '1.0'), 0);
    assert.ok(rpmOrder.compare('1.0', '10') < 0);
  });

  it('compares epoch, then version, then release', () => {
    assert.ok(rpmOrder.compare('1:1.0-1', '2.0-1') > 0);
    assert.equal(rpmOrder.compare('0:1.0-1', '1.0-1'), 0, 'a missing epoch is 0');
    assertAscending(['1.0-1.el9', '1.0-1.el9_2', '1.0-2.el9', '1.0.1-1.el9']);
    assert.ok(rpmOrder.compare('2.32.1-42.el8_8', '2.32.1-42.el8') > 0);
  });

  it('puts a missing release before every release, so the order stays total', () => {
    assertAscending(['1.0', '1.0-~1', '1.0-0', '1.0-1']);
  });

  it('refuses what is no [epoch:]version[-release], and sorts it before every version', () => {
    for (const version of ['', '1.0-', '-1', 'x:1.0', ':1.0', '1.0-1-2', '1.0 1', '1.0%{?dist}', 'é', '1'.repeat(257)]) {
      assert.equal(rpmOrder.isValid(version), false, JSON.stringify(version));
      assert.ok(rpmOrder.compare(version, '0') < 0, `${JSON.stringify(version)} sorts before 0`);
    }
    for (const version of ['0', '2.32.1-42.el8_8', '1:3.0.7-27.el9', '1.0^20230101git1234abc-1', '1.0~rc1+x_y-0.1']) {
      assert.equal(rpmOrder.isValid(version), true, version);
    }
  });

  it('orders generated versions as rpm itself does', (t) => {
    if (!hasRpm()) return t.skip('rpm is not installed (scripts/install-test-deps.sh installs it): the cross-check against rpm.vercmp did not run');
    const versions = generatedVersions(800);
    const pairs: [string, string][] = [];
    for (let index = 0; index < versions.length; index += 2) pairs.push([versions[index]!, versions[index + 1]!]);
    const sorted = [...versions].sort((a, b) => rpmOrder.compare(a, b));
    // Neighbours in our order confirm the whole sort (rpm's order is transitive on these strings).
    for (let index = 1; index < sorted.length; index++) pairs.push([sorted[index - 1]!, sorted[index]!]);
    pairs.push(['1.0~rc1', '1.0'], ['1.0^git1', '1.0'], ['1.0', '1.0.0'], ['1.0-1.el9', '1.0-1.el9_2'], ['1:1.0', '2.0'], ['1.0', '1.0-1']);
    const expected = rpmCompare(pairs);
    assert.equal(expected.length, pairs.length);
    pairs.forEach(([a, b], index) => {
      assert.equal(Math.sign(rpmOrder.compare(a, b)), expected[index], `${a} vs ${b}: rpm says ${expected[index]}`);
    });
  });
});
