import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AdvisoryIndex, entriesFor, normalizePypiName } from '../../src/scanning/osv/advisory-index.js';
import { type OsvAffected, type OsvRecord, parseOsvRecord } from '../../src/scanning/osv/osv-record.js';

const feed = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scanning/osv/osv');

function committed(folder: string, id: string): OsvRecord {
  const record = parseOsvRecord(JSON.parse(readFileSync(path.join(feed, folder, `${id}.json`), 'utf8')));
  assert.ok(!('error' in record));
  return record;
}

const affected = (ecosystem: string, name: string): OsvAffected => ({ package: { ecosystem, name }, ranges: [], versions: [], severity: [] });
const record = (id: string, ...entries: OsvAffected[]): OsvRecord => ({ id, aliases: [], upstream: [], severity: [], affected: entries });
const ids = (records: OsvRecord[]) => records.map((found) => found.id);

describe('the advisory index', () => {
  it('files a record under every package it names, across ecosystems', () => {
    const index = new AdvisoryIndex();
    const moment = committed('npm', 'GHSA-8hfj-j24r-96c4');
    index.add(moment);
    const named = [...new Set(moment.affected.map((entry) => `${entry.package.ecosystem} ${entry.package.name}`))];
    assert.ok(named.length > 1, 'the record names moment in npm and NuGet');
    for (const key of named) {
      const [ecosystem, name] = key.split(' ') as [string, string];
      assert.deepEqual(ids(index.recordsFor(ecosystem, name)), ['GHSA-8hfj-j24r-96c4']);
      assert.ok(entriesFor(moment, ecosystem, name).every((entry) => entry.package.name === name && entry.package.ecosystem === ecosystem));
    }
    assert.deepEqual(index.recordsFor('npm', 'Moment'), [], 'npm names are case-sensitive');
    assert.deepEqual(index.recordsFor('Alpine:v3.20', 'moment'), []);
  });

  it('looks PyPI names up PEP 503-normalised, on both sides', () => {
    const index = new AdvisoryIndex();
    index.add(committed('pypi', 'PYSEC-2007-1'));
    assert.equal(index.get('PYSEC-2007-1')!.affected[0]!.package.name, 'django');
    assert.equal(normalizePypiName('Zope.Interface__x'), 'zope-interface-x');
    assert.deepEqual(ids(index.recordsFor('PyPI', 'Django')), ['PYSEC-2007-1']);
    const yaml = record('TEST-YAML', affected('PyPI', 'PyYAML'));
    index.add(yaml);
    assert.deepEqual(ids(index.recordsFor('PyPI', 'pyyaml')), ['TEST-YAML']);
    assert.deepEqual(entriesFor(yaml, 'PyPI', 'PYYAML'), yaml.affected);
    assert.deepEqual(entriesFor(yaml, 'PyPI', 'py-yaml'), [], 'a separator is not dropped, only unified');
  });

  it('replaces a record by id, moving it when the update names other packages', () => {
    const index = new AdvisoryIndex();
    index.add(record('TEST-1', affected('npm', 'a'), affected('npm', 'b')));
    index.add(record('TEST-2', affected('npm', 'b')));
    index.add(record('TEST-1', affected('npm', 'c')));
    assert.equal(index.size, 2);
    assert.deepEqual(ids(index.recordsFor('npm', 'a')), []);
    assert.deepEqual(ids(index.recordsFor('npm', 'b')), ['TEST-2']);
    assert.deepEqual(ids(index.recordsFor('npm', 'c')), ['TEST-1']);
  });

  it('removes a record by id, and answers records in id order', () => {
    const index = new AdvisoryIndex();
    for (const id of ['TEST-3', 'TEST-1', 'TEST-2']) index.add(record(id, affected('Go', 'stdlib')));
    assert.deepEqual(ids(index.recordsFor('Go', 'stdlib')), ['TEST-1', 'TEST-2', 'TEST-3']);
    assert.equal(index.remove('TEST-2'), true);
    assert.equal(index.remove('TEST-2'), false);
    assert.equal(index.get('TEST-2'), undefined);
    assert.deepEqual(ids(index.recordsFor('Go', 'stdlib')), ['TEST-1', 'TEST-3']);
    index.remove('TEST-1');
    index.remove('TEST-3');
    assert.equal(index.size, 0);
    assert.deepEqual(index.recordsFor('Go', 'stdlib'), []);
  });
});
