import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { VersionOrder } from '../../src/scanning/model.js';
import { type OsvAffected, type OsvEvent, type OsvRange, parseOsvRecord } from '../../src/scanning/osv/osv-record.js';
import { evaluateAffected, evaluateRange, type RangeOrders } from '../../src/scanning/osv/range-evaluation.js';
import { semverRangeOrder, versionOrderFor } from '../../src/scanning/versions/version-orders.js';

const feed = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scanning/osv/osv');

/** The affected entries of a committed record, as the parser gives them. */
function affectedOf(folder: string, id: string): OsvAffected[] {
  const record = parseOsvRecord(JSON.parse(readFileSync(path.join(feed, folder, `${id}.json`), 'utf8')));
  assert.ok(!('error' in record));
  return record.affected;
}

const order = (ecosystem: string): VersionOrder => versionOrderFor(ecosystem)!;
const orders = (ecosystem: string): RangeOrders => ({ ecosystem: order(ecosystem), semver: semverRangeOrder });
const range = (...events: OsvEvent[]): OsvRange => ({ type: 'ECOSYSTEM', events });
const entry = (ranges: OsvRange[], versions: string[] = []): OsvAffected => ({ package: { ecosystem: 'npm', name: 'x' }, ranges, versions, severity: [] });
const semver = order('npm');
const holds = (version: string, tested: OsvRange, by: VersionOrder = semver) => {
  const verdict = evaluateRange(version, tested, by);
  assert.notEqual(verdict, 'unevaluable');
  return verdict !== 'unevaluable' && verdict.holds;
};

describe('OSV range evaluation', () => {
  it('opens at introduced (inclusive), closes at fixed (exclusive), and introduced "0" is before everything', () => {
    const simple = range({ introduced: '1.2.0' }, { fixed: '1.4.0' });
    assert.deepEqual(['1.1.9', '1.2.0', '1.3.5', '1.4.0', '2.0.0'].map((version) => holds(version, simple)), [false, true, true, false, false]);
    const fromZero = range({ introduced: '0' }, { fixed: '0.0.1' });
    assert.equal(holds('0.0.0', fromZero), true);
    assert.equal(holds('0.0.0-alpha', fromZero), true, 'even below the smallest release');
  });

  it('treats last_affected as inclusive, and a range with no end as open', () => {
    const last = range({ introduced: '0' }, { last_affected: '4.5.1' });
    assert.deepEqual(['4.5.0', '4.5.1', '4.5.2'].map((version) => holds(version, last)), [true, true, false]);
    assert.equal(holds('99.0.0', range({ introduced: '3.0.0' })), true);
    assert.equal(holds('2.0.0', range({ introduced: '3.0.0' })), false);
    assert.equal(holds('1.0.0', range({ fixed: '2.0.0' })), false, 'nothing is affected without an introduced');
  });

  it('sorts the events first: PYSEC-2023-212 lists the 2.0 pair before the 1.26 one', () => {
    const urllib3 = affectedOf('pypi', 'PYSEC-2023-212');
    const pypi = orders('PyPI');
    assert.deepEqual(evaluateAffected('1.26.12', urllib3, pypi), { affected: true, fixedVersion: '1.26.18' });
    assert.deepEqual(evaluateAffected('2.0.5', urllib3, pypi), { affected: true, fixedVersion: '2.0.7' });
    assert.deepEqual(evaluateAffected('1.26.18', urllib3, pypi), { affected: false, fixedVersion: null });
    assert.deepEqual(evaluateAffected('2.0.7', urllib3, pypi), { affected: false, fixedVersion: null });
    const django = affectedOf('pypi', 'PYSEC-2024-67');
    assert.deepEqual(evaluateAffected('4.2.3', django, pypi), { affected: true, fixedVersion: '4.2.15' });
    assert.deepEqual(evaluateAffected('4.2.15', django, pypi), { affected: false, fixedVersion: null });
    assert.deepEqual(evaluateAffected('5.0', django, pypi), { affected: true, fixedVersion: '5.0.8' });
    assert.deepEqual(evaluateAffected('4.1.13', django, pypi).fixedVersion, null, 'below both pairs, only the versions list can say');
  });

  it('puts introduced "0" first even where the order has smaller versions', () => {
    const dpkg = order('Debian:12');
    assert.ok(dpkg.compare('~1', '0') < 0);
    assert.equal(holds('~1', range({ fixed: '1.0' }, { introduced: '0' }), dpkg), true);
  });

  it('reads an introduced and a fixed at the same version as an empty range, whatever their order', () => {
    assert.equal(holds('1.0.0', range({ fixed: '1.0.0' }, { introduced: '1.0.0' })), false);
    assert.equal(holds('1.0.0', range({ introduced: '1.0.0' }, { fixed: '1.0.0' })), false);
    assert.equal(holds('1.0.0', range({ last_affected: '1.0.0' }, { introduced: '1.0.0' })), true);
  });

  it('honours limits: a version at or above every limit is outside', () => {
    const limited = range({ introduced: '0' }, { limit: '2.0.0' });
    assert.equal(holds('1.9.9', limited), true);
    assert.equal(holds('2.0.0', limited), false);
    assert.equal(holds('3.0.0', range({ introduced: '0' }, { limit: '2.0.0' }, { limit: '*' })), true, '"*" is infinity');
  });

  it('gives the lowest fix above the installed version among the ranges that hold it', () => {
    const pairs = range({ introduced: '0' }, { fixed: '1.0.0' }, { introduced: '2.0.0' }, { fixed: '2.5.0' });
    assert.deepEqual(evaluateRange('0.5.0', pairs, semver), { holds: true, fixed: '1.0.0' });
    assert.deepEqual(evaluateRange('2.1.0', pairs, semver), { holds: true, fixed: '2.5.0' });
    assert.deepEqual(evaluateRange('1.5.0', pairs, semver), { holds: false, fixed: undefined });
    // GHSA-r683-j2x4-v87g: node-fetch 2.6.0 lies in [1.0, 3.1.1) and in [0, 2.6.7); 2.6.7 is the nearer fix.
    assert.deepEqual(evaluateAffected('2.6.0', affectedOf('npm', 'GHSA-r683-j2x4-v87g'), orders('npm')), { affected: true, fixedVersion: '2.6.7' });
    assert.deepEqual(evaluateAffected('3.0.0', affectedOf('npm', 'GHSA-r683-j2x4-v87g'), orders('npm')), { affected: true, fixedVersion: '3.1.1' });
    assert.deepEqual(evaluateAffected('1.0.0', [entry([range({ introduced: '0' }, { last_affected: '1.2.0' })])], orders('npm')),
      { affected: true, fixedVersion: null }, 'no fix is known for a last_affected range');
  });

  it('matches the versions list too, with no fix to offer, and names a version the order calls equal', () => {
    const listed = entry([range({ introduced: '5.0.0' }, { fixed: '6.0.0' })], ['1.10', '2.0.0']);
    assert.deepEqual(evaluateAffected('2.0.0', [listed], orders('npm')), { affected: true, fixedVersion: null });
    assert.deepEqual(evaluateAffected('1.10.0', [listed], orders('npm')), { affected: true, fixedVersion: null });
    assert.deepEqual(evaluateAffected('5.1.0', [listed], orders('npm')), { affected: true, fixedVersion: '6.0.0' });
    assert.deepEqual(evaluateAffected('3.0.0', [listed], orders('npm')), { affected: false, fixedVersion: null });
    assert.deepEqual(evaluateAffected('not a version', [entry([], ['not a version'])], orders('npm')), { affected: true, fixedVersion: null },
      'an exact listing needs no order');
  });

  it('compares SEMVER ranges in SemVer whatever the ecosystem', () => {
    // dpkg reads "-beta" as a Debian revision, above 1.0.0; SemVer reads it as a pre-release, below.
    const semverRange: OsvRange = { type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] };
    assert.equal(evaluateAffected('1.0.0-beta', [entry([semverRange])], orders('Debian:12')).affected, true);
    assert.equal(evaluateAffected('1.0.0-beta', [entry([{ ...semverRange, type: 'ECOSYSTEM' }])], orders('Debian:12')).affected, false);
  });

  it('leaves out a range with a bound that is no version, and an installed version that is none', () => {
    const junk = range({ introduced: '0' }, { fixed: 'not-a-version!' });
    assert.equal(evaluateRange('1.0.0', junk, semver), 'unevaluable', 'dropping the fix alone would leave the range open');
    assert.equal(evaluateRange('1.0.0', range({ introduced: '0' }, { limit: 'junk' }), semver), 'unevaluable');
    const good = range({ introduced: '0' }, { fixed: '2.0.0' });
    assert.deepEqual(evaluateAffected('1.0.0', [entry([junk, good])], orders('npm')), { affected: true, fixedVersion: '2.0.0' }, 'the other ranges still count');
    assert.deepEqual(evaluateAffected('1.0.0', [entry([junk])], orders('npm')), { affected: false, fixedVersion: null });
    assert.deepEqual(evaluateAffected('junk', [entry([range({ introduced: '0' })])], orders('npm')), { affected: false, fixedVersion: null });
  });

  it('stays bounded on the largest range a record may hold', () => {
    const events: OsvEvent[] = Array.from({ length: 1_000 }, (_, i) => (i % 2 === 0 ? { introduced: `${i}.0.0` } : { fixed: `${i}.0.0` }));
    assert.deepEqual(evaluateRange('500.5.0', range(...events.reverse()), semver), { holds: true, fixed: '501.0.0' });
    assert.deepEqual(evaluateRange('999.0.0', range(...events), semver), { holds: false, fixed: undefined });
  });
});
