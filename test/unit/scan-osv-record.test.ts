import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { eventParts, type OsvRecord, parseOsvRecord } from '../../src/scanning/osv/osv-record.js';

const feed = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scanning/osv/osv');
const read = (folder: string, file: string): unknown => {
  const text = readFileSync(path.join(feed, folder, file), 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { schema: 'failsafe' });
};

function parsed(json: unknown): OsvRecord {
  const result = parseOsvRecord(json);
  assert.ok(!('error' in result), 'error' in result ? result.error : '');
  return result;
}

function rejected(json: unknown): string {
  const result = parseOsvRecord(json);
  assert.ok('error' in result, 'expected the record to be rejected');
  return result.error;
}

const npmPackage = { ecosystem: 'npm', name: 'left-pad' };
const withRanges = (ranges: unknown): unknown => ({ id: 'TEST-1', affected: [{ package: npmPackage, ranges }] });
const withEvents = (events: unknown): unknown => withRanges([{ type: 'SEMVER', events }]);

describe('reading OSV records', () => {
  it('reads every committed record of six databases, JSON and YAML, and reads its own output back unchanged', () => {
    let count = 0;
    for (const folder of readdirSync(feed)) {
      for (const file of readdirSync(path.join(feed, folder))) {
        const record = parsed(read(folder, file));
        assert.equal(`${record.id}.${file.split('.').pop()}`, file);
        assert.deepEqual(parsed(JSON.parse(JSON.stringify(record))), record, `${file} is stable`);
        count++;
      }
    }
    assert.equal(count, 486);
  });

  it('keeps the fields matching and reporting use, in OSV\'s own shape', () => {
    const record = parsed(read('npm', 'GHSA-29mw-wpgm-hmr9.json'));
    assert.deepEqual(Object.keys(record).sort(), ['affected', 'aliases', 'database_specific', 'details', 'id', 'modified', 'published', 'severity', 'summary', 'upstream']);
    assert.deepEqual(record.severity, [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }]);
    assert.equal(record.database_specific?.severity, 'MODERATE');
    assert.deepEqual(record.database_specific?.cwe_ids, ['CWE-1333', 'CWE-400']);
    assert.deepEqual(record.affected[2]?.ranges, [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '4.5.1' }] }]);
    assert.deepEqual(record.affected[2]?.ecosystem_specific, { affected_functions: [''] });
    const alpine = parsed(read('alpine', 'ALPINE-13661.json'));
    assert.equal(alpine.affected[0]?.package.purl, 'pkg:apk/alpine/busybox?arch=source');
  });

  it('drops GIT ranges (commits are nothing an image has) but keeps the versions list beside them', () => {
    const record = parsed(read('pypi', 'PYSEC-2023-212.json'));
    const source = read('pypi', 'PYSEC-2023-212.json') as { affected: { ranges: { type: string }[] }[] };
    assert.ok(source.affected[0]!.ranges.some((range) => range.type === 'GIT'), 'the record has a GIT range');
    assert.ok(record.affected[0]!.ranges.every((range) => range.type !== ('GIT' as string)));
    assert.ok(record.affected[0]!.versions.length > 0);
  });

  it('keeps a withdrawn record, marked, so an update can retract what it said', () => {
    assert.equal(parsed(read('npm', 'GHSA-7fhm-mqm4-2wp7.json')).withdrawn, '2020-04-03T21:47:06Z');
  });

  it('reads YAML only with every scalar a string: a number would lose the version `1.10`', () => {
    const yaml = 'id: TEST-1\naffected:\n- package: {ecosystem: PyPI, name: django}\n  versions: [1.10, 1.9]\n';
    assert.deepEqual(parsed(parseYaml(yaml, { schema: 'failsafe' })).affected[0]?.versions, ['1.10', '1.9']);
    assert.match(rejected(parseYaml(yaml)), /^TEST-1: affected\.0\.versions\.0: Expected string, received number$/);
  });

  it('reads event kinds and versions', () => {
    assert.deepEqual(eventParts({ introduced: '0' }), { kind: 'introduced', version: '0' });
    assert.deepEqual(eventParts({ fixed: '1.2' }), { kind: 'fixed', version: '1.2' });
    assert.deepEqual(eventParts({ last_affected: '1.1' }), { kind: 'last_affected', version: '1.1' });
    assert.deepEqual(eventParts({ limit: '*' }), { kind: 'limit', version: '*' });
  });
});

describe('records written by strangers', () => {
  it('drops decoration of the wrong type rather than the record', () => {
    const record = parsed({
      id: 'TEST-1', modified: 5, published: null, summary: ['x'], details: { a: 1 }, aliases: 'CVE-1', upstream: ['CVE-2', 7, '', 'CVE-3'],
      severity: [{ type: 'CVSS_V3' }, 'junk', { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' }], database_specific: { nested: { deep: 1 }, flag: true, list: ['a', 2] },
      affected: [
        { package: npmPackage, ranges: null, versions: null, severity: 'junk', ecosystem_specific: 'junk' },
        { ranges: [{ type: 'GIT', repo: 'https://example.com/x.git', events: [{ introduced: 'abc' }] }] },
      ],
    });
    assert.deepEqual(record, {
      id: 'TEST-1', aliases: [], upstream: ['CVE-2', 'CVE-3'], severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' }], database_specific: { flag: true, list: ['a'] },
      affected: [{ package: npmPackage, ranges: [], versions: [], severity: [] }],
    });
  });

  it('copies only the flat part of *_specific objects, and never through `__proto__`', () => {
    const record = parsed(JSON.parse('{"id": "TEST-1", "database_specific": {"__proto__": ["x"], "severity": "HIGH", "many": ' +
      `${JSON.stringify(Array.from({ length: 1_000 }, () => 'cwe'))}}}`));
    assert.deepEqual(Object.keys(record.database_specific!), ['severity', 'many']);
    assert.equal(Object.getPrototypeOf(record.database_specific), Object.prototype);
    assert.equal((record.database_specific!.many as string[]).length, 64);
  });

  it('cuts long text and long alias lists to size, and drops a purl too long to be whole', () => {
    const record = parsed({ id: 'TEST-1', summary: 's'.repeat(10_000), details: 'd'.repeat(1_000_000), aliases: Array.from({ length: 100_000 }, (_, i) => `CVE-${i}`) });
    assert.equal(record.summary?.length, 1_024);
    assert.equal(record.details?.length, 4_096);
    assert.equal(record.aliases.length, 256);
    const longPurl = parsed({ id: 'TEST-1', affected: [{ package: { ...npmPackage, purl: `pkg:npm/${'x'.repeat(5_000)}` } }] });
    assert.deepEqual(longPurl.affected[0]?.package, npmPackage);
  });

  it('rejects, with the reason, a record whose matching data is malformed', () => {
    assert.equal(rejected(null), 'an OSV record is a JSON object');
    assert.equal(rejected([]), 'an OSV record is a JSON object');
    assert.equal(rejected('GHSA-1'), 'an OSV record is a JSON object');
    assert.equal(rejected({ affected: [] }), 'id: Required');
    assert.equal(rejected({ id: 42 }), 'id: Expected string, received number');
    assert.equal(rejected({ id: 'TEST 1' }), 'TEST 1: id: an id has no spaces or control characters');
    assert.match(rejected({ id: 'X'.repeat(300) }), /id: String must contain at most 256 character/);
    assert.equal(rejected({ id: 'TEST-1', affected: 'npm' }), 'TEST-1: affected: Expected array, received string');
    assert.equal(rejected({ id: 'TEST-1', affected: [7] }), 'TEST-1: affected.0: Expected object, received number');
    assert.equal(rejected({ id: 'TEST-1', affected: [{ package: { ecosystem: 'npm' } }] }), 'TEST-1: affected.0.package.name: Required');
    assert.equal(rejected(withRanges([{ events: [] }])), 'TEST-1: affected.0.ranges.0.type: Required');
    assert.equal(rejected(withRanges('junk')), 'TEST-1: affected.0.ranges: Expected array, received string');
    assert.equal(rejected(withEvents({ introduced: '0' })), 'TEST-1: affected.0.ranges.0.events: Expected array, received object');
    assert.equal(rejected(withEvents([{ introduced: 0 }])), 'TEST-1: affected.0.ranges.0.events.0.introduced: Expected string, received number');
    assert.equal(rejected(withEvents([{ introduced: '' }])), 'TEST-1: affected.0.ranges.0.events.0.introduced: String must contain at least 1 character(s)');
    assert.equal(rejected(withEvents([{ introduced: '0', fixed: '1.0.0' }])),
      'TEST-1: affected.0.ranges.0.events.0: an event needs exactly one of introduced, fixed, last_affected, limit; found 2');
    assert.equal(rejected(withEvents([{ introduced: '0' }, {}])),
      'TEST-1: affected.0.ranges.0.events.1: an event needs exactly one of introduced, fixed, last_affected, limit; found 0');
    assert.match(rejected(withEvents([{ introduced: '0' }, { fixed: '1'.repeat(10_000) }])), /events\.1\.fixed: String must contain at most 256 character/);
  });

  it('rejects records too large to be real before looking at their items', () => {
    const many = <T>(count: number, item: T): T[] => Array.from({ length: count }, () => item);
    assert.equal(rejected(withRanges(many(100_000, { type: 'SEMVER', events: [{ introduced: '0' }] }))), 'TEST-1: affected.0.ranges: more than 1000 ranges');
    assert.equal(rejected(withRanges(many(100_000, 'junk'))), 'TEST-1: affected.0.ranges: more than 1000 ranges');
    assert.equal(rejected(withEvents(many(100_000, { introduced: '0' }))), 'TEST-1: affected.0.ranges.0.events: more than 1000 events');
    assert.equal(rejected({ id: 'TEST-1', affected: many(20_000, { package: npmPackage }) }), 'TEST-1: affected: more than 10000 affected entries');
    assert.equal(rejected({ id: 'TEST-1', affected: [{ package: npmPackage, versions: many(200_000, '1.0.0') }] }), 'TEST-1: affected.0.versions: more than 100000 versions');
    // GIT ranges are dropped, but they count towards the cap: a flood of them is no cheaper.
    assert.equal(rejected(withRanges(many(100_000, { type: 'GIT', events: [] }))), 'TEST-1: affected.0.ranges: more than 1000 ranges');
  });
});
