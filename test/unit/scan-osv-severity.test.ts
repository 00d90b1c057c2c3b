import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { OsvAffected, OsvRecord, OsvSeverity } from '../../src/scanning/osv/osv-record.js';
import { parseOsvRecord } from '../../src/scanning/osv/osv-record.js';
import { cvssBaseScore, rateSeverity, severityOfScore } from '../../src/scanning/osv/severity.js';

const feed = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scanning/osv/osv');

function committed(folder: string, id: string): OsvRecord {
  const record = parseOsvRecord(JSON.parse(readFileSync(path.join(feed, folder, `${id}.json`), 'utf8')));
  assert.ok(!('error' in record));
  return record;
}

const critical = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const v4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
const v4Low = 'CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N';
const v2 = 'AV:N/AC:L/Au:N/C:P/I:P/A:P';
const v3Medium = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L';

const record = (fields: Partial<OsvRecord> = {}): OsvRecord => ({ id: 'TEST-1', aliases: [], upstream: [], severity: [], affected: [], ...fields });
const debian = (urgency: string | undefined, severity: OsvSeverity[] = []): OsvAffected => ({
  package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [], versions: [], severity, ...(urgency === undefined ? {} : { ecosystem_specific: { urgency } }),
});

describe('severity of a matched advisory', () => {
  it('scores real CVSS vectors of every version', () => {
    assert.equal(cvssBaseScore({ type: 'CVSS_V3', score: critical }), 9.8);
    assert.equal(cvssBaseScore({ type: 'CVSS_V3', score: 'CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' }), 8.8);
    assert.equal(cvssBaseScore({ type: 'CVSS_V3', score: v3Medium }), 5.3);
    assert.equal(cvssBaseScore({ type: 'CVSS_V4', score: v4 }), 9.3);
    assert.equal(cvssBaseScore({ type: 'CVSS_V2', score: v2 }), 7.5);
    assert.deepEqual(rateSeverity(record({ severity: [{ type: 'CVSS_V3', score: critical }] }), []), { severity: 'CRITICAL', score: 9.8 });
  });

  it('maps scores to CVSS\'s qualitative scale', () => {
    assert.deepEqual([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(severityOfScore),
      ['NEGLIGIBLE', 'LOW', 'LOW', 'MEDIUM', 'MEDIUM', 'HIGH', 'HIGH', 'CRITICAL', 'CRITICAL']);
  });

  it('scores nothing from an incomplete, unknown or mislabelled vector', () => {
    for (const [type, score] of [['CVSS_V3', 'CVSS:3.1/AV:N'], ['CVSS_V4', 'CVSS:4.0/AV:N'], ['CVSS_V3', `${critical}/ZZ:Q`], ['CVSS_V3', 'CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
      ['CVSS_V3', 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'], ['CVSS_V2', 'junk'], ['CVSS_V3', v4], ['CVSS_V2', critical], ['Ubuntu', critical], ['CVSS_V3', `${critical}/${'E:X/'.repeat(100)}`]]) {
      assert.equal(cvssBaseScore({ type: type!, score: score! }), undefined, `${type} ${score}`);
    }
  });

  it('prefers the newest CVSS version, skipping one that does not score', () => {
    const all = [{ type: 'CVSS_V2', score: v2 }, { type: 'CVSS_V3', score: v3Medium }, { type: 'CVSS_V4', score: v4Low }];
    assert.equal(rateSeverity(record({ severity: all }), []).severity, 'LOW');
    assert.deepEqual(rateSeverity(record({ severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' }, ...all.slice(0, 2)] }), []), { severity: 'MEDIUM', score: 5.3 });
    assert.deepEqual(rateSeverity(record({ severity: [{ type: 'CVSS_V2', score: v2 }] }), []), { severity: 'HIGH', score: 7.5 });
  });

  it('takes an affected entry\'s own severity over the record\'s', () => {
    const entry = { ...debian(undefined, [{ type: 'CVSS_V3', score: v3Medium }]) };
    assert.deepEqual(rateSeverity(record({ severity: [{ type: 'CVSS_V3', score: critical }] }), [entry]), { severity: 'MEDIUM', score: 5.3 });
  });

  it('puts Debian\'s urgency first, and falls through on urgencies that rate nothing', () => {
    const scored = record({ severity: [{ type: 'CVSS_V3', score: critical }] });
    assert.deepEqual(rateSeverity(scored, [debian('unimportant')]), { severity: 'LOW' });
    assert.deepEqual(rateSeverity(scored, [debian('low')]), { severity: 'LOW' });
    assert.deepEqual(rateSeverity(scored, [debian('low*')]), { severity: 'LOW' }, 'the tracker\'s mark for a guess');
    assert.deepEqual(rateSeverity(scored, [debian('medium')]), { severity: 'MEDIUM' });
    assert.deepEqual(rateSeverity(scored, [debian('high')]), { severity: 'HIGH' });
    assert.deepEqual(rateSeverity(scored, [debian('not yet assigned')]), { severity: 'CRITICAL', score: 9.8 });
    assert.deepEqual(rateSeverity(scored, [debian('end-of-life')]), { severity: 'CRITICAL', score: 9.8 });
    assert.deepEqual(rateSeverity(scored, [debian('low'), debian('high')]), { severity: 'HIGH' }, 'the worst of the matched entries');
    assert.deepEqual(rateSeverity(record(), [debian('not yet assigned')]), { severity: 'UNKNOWN' });
  });

  it('reads Ubuntu\'s priority, a severity entry of type Ubuntu', () => {
    assert.deepEqual(rateSeverity(record({ severity: [{ type: 'Ubuntu', score: 'negligible' }, { type: 'CVSS_V3', score: critical }] }), []), { severity: 'NEGLIGIBLE' });
    assert.deepEqual(rateSeverity(record({ severity: [{ type: 'Ubuntu', score: 'untriaged' }, { type: 'CVSS_V3', score: critical }] }), []), { severity: 'CRITICAL', score: 9.8 });
  });

  it('uses GitHub\'s reviewed rating of real GHSA records before their vectors', () => {
    assert.deepEqual(rateSeverity(committed('npm', 'GHSA-29mw-wpgm-hmr9'), []), { severity: 'MEDIUM' }, 'MODERATE');
    assert.deepEqual(rateSeverity(committed('maven', 'GHSA-mjmj-j48q-9wg2'), []), { severity: 'HIGH' });
    for (const [word, severity] of [['LOW', 'LOW'], ['MODERATE', 'MEDIUM'], ['HIGH', 'HIGH'], ['CRITICAL', 'CRITICAL']] as const) {
      assert.deepEqual(rateSeverity(record({ database_specific: { severity: word }, severity: [{ type: 'CVSS_V2', score: v2 }] }), []), { severity });
    }
    assert.deepEqual(rateSeverity(record({ database_specific: { severity: 'SEVERE' }, severity: [{ type: 'CVSS_V2', score: v2 }] }), []), { severity: 'HIGH', score: 7.5 });
  });

  it('rates real records of the other databases from their vectors, or not at all', () => {
    const go = committed('go', 'GO-2023-1840');
    assert.deepEqual(rateSeverity(go, go.affected), { severity: 'UNKNOWN' }, 'the Go database rates nothing');
    const pysec = committed('pypi', 'PYSEC-2023-192');
    assert.equal(pysec.severity[0]?.type, 'CVSS_V3');
    assert.equal(typeof rateSeverity(pysec, pysec.affected).score, 'number');
    assert.deepEqual(rateSeverity(committed('alpine', 'ALPINE-13661'), []), { severity: 'UNKNOWN' });
  });
});
