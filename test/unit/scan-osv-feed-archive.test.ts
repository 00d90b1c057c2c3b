import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { strToU8, Zip, ZipDeflate, ZipPassThrough, type Zippable, zipSync } from 'fflate';
import { AdvisoryIndex } from '../../src/scanning/osv/advisory-index.js';
import { type ArchiveItem, modifiedSince, parseModifiedIdLine, readOsvArchive } from '../../src/scanning/osv/feed-archive.js';
import { matchInventory } from '../../src/scanning/osv/matcher.js';
import { parseOsvRecord } from '../../src/scanning/osv/osv-record.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scanning/osv');
const feed = path.join(fixtures, 'osv');

/** Every committed record file, by the name a bulk archive gives it (`<ID>.json`, flat). */
const files = new Map(readdirSync(feed).flatMap((folder) => readdirSync(path.join(feed, folder)).map((file) => [file, readFileSync(path.join(feed, folder, file))] as const)));
const jsonFiles = [...files.keys()].filter((file) => file.endsWith('.json'));

/** A `modified_id.csv` of the committed JSON records, newest first, in the root archive's `<iso>,<ecosystem>/<id>` form. */
const modifiedIds = jsonFiles.map((file) => {
  const record = JSON.parse(files.get(file)!.toString('utf8'));
  return { modified: record.modified as string, line: `${record.modified},${record.affected[0].package.ecosystem.split(':')[0]}/${record.id}` };
}).sort((a, b) => Date.parse(b.modified) - Date.parse(a.modified) || (a.line < b.line ? 1 : -1));
const modifiedCsv = `${modifiedIds.map((entry) => entry.line).join('\n')}\n`;

const archive = zipSync({ ...Object.fromEntries(files), 'modified_id.csv': strToU8(modifiedCsv) } as Zippable);

/** The bytes in chunks of `size`, as a download delivers them. */
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

async function readAll(source: AsyncIterable<Uint8Array>, options?: { maxEntryBytes?: number }): Promise<ArchiveItem[]> {
  const items: ArchiveItem[] = [];
  for await (const item of readOsvArchive(source, options)) items.push(item);
  return items;
}

const only = <K extends ArchiveItem['kind']>(items: ArchiveItem[], kind: K) => items.filter((item): item is Extract<ArchiveItem, { kind: K }> => item.kind === kind);
const skips = (items: ArchiveItem[]) => only(items, 'skipped').map(({ entry, reason }) => `${entry}: ${reason}`);

/** A zip written the streaming way (sizes after the data); a `deflated` entry goes in as raw deflate data whose header gives its compressed size as the original one. */
function streamedZip(entries: { name: string; data?: Uint8Array; deflated?: Uint8Array }[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((error, data) => {
    if (error) throw error;
    chunks.push(data);
  });
  for (const entry of entries) {
    if (entry.deflated) {
      const file = new ZipPassThrough(entry.name);
      file.compression = 8;
      zip.add(file);
      file.push(entry.deflated, true);
    } else {
      const file = new ZipDeflate(entry.name, { level: 6 });
      zip.add(file);
      file.push(entry.data!, true);
    }
  }
  zip.end();
  return Buffer.concat(chunks);
}

const record = (name: string) => ({ name, data: files.get(name)! });

describe('reading an OSV bulk archive', () => {
  it('yields every record of a real archive, whatever the chunk size, and skips what is not JSON', async () => {
    for (const size of [257, 65_536, archive.length]) {
      const items = await readAll(chunked(archive, size));
      const records = only(items, 'record');
      assert.equal(records.length, jsonFiles.length);
      for (const { entry, record } of records) assert.deepEqual(record, parseOsvRecord(JSON.parse(files.get(entry)!.toString('utf8'))), entry);
      assert.deepEqual(skips(items).sort(), [...[...files.keys()].filter((file) => file.endsWith('.yaml')), 'modified_id.csv'].map((file) => `${file}: not a .json entry`).sort());
      assert.deepEqual(only(items, 'failed'), []);
    }
  });

  it('feeds an index that matches like one built from the files', async () => {
    const index = new AdvisoryIndex();
    for await (const item of readOsvArchive(chunked(archive, 16_384))) if (item.kind === 'record') index.add(item.record);
    const data = JSON.parse(readFileSync(path.join(fixtures, 'expected/alpine-3.20.3.json'), 'utf8'));
    const packages = data.packages.map((entry: { package: string; version: string; origin: string }) => ({
      kind: 'apk' as const, name: entry.package, version: entry.version, sourceName: entry.origin, ecosystem: 'Alpine:v3.20', purl: '', path: 'lib/apk/db/installed',
    }));
    assert.equal(matchInventory({ packages }, index).length, data.findings.length);
  });

  it('reads archives written the streaming way (sizes after the data)', async () => {
    const items = await readAll(chunked(streamedZip([record('GHSA-29mw-wpgm-hmr9.json'), record('ALPINE-13661.json')]), 100));
    assert.deepEqual(only(items, 'record').map((item) => item.record.id), ['GHSA-29mw-wpgm-hmr9', 'ALPINE-13661']);
    assert.deepEqual(only(items, 'failed'), []);
  });

  it('skips a zip bomb, having inflated no more than the cap, and broken deflate data, and reads on', async () => {
    const bomb = deflateRawSync(Buffer.alloc(128 * 1024 * 1024));
    assert.ok(bomb.length < 256 * 1024, 'a ratio of about 1000:1');
    const broken = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01]);
    const zip = streamedZip([record('GHSA-29mw-wpgm-hmr9.json'), { name: 'BOMB-1.json', deflated: bomb }, { name: 'BROKEN-1.json', deflated: broken }, record('ALPINE-13661.json')]);
    const items = await readAll(chunked(zip, 65_536));
    assert.deepEqual(skips(items).map((reason) => reason.replace(/data: .*/, 'data: …')), ['BOMB-1.json: larger than 8388608 bytes inflated', 'BROKEN-1.json: bad deflate data: …']);
    assert.deepEqual(only(items, 'record').map((item) => item.record.id), ['GHSA-29mw-wpgm-hmr9', 'ALPINE-13661']);
  });

  it('caps stored and compressed entries alike', async () => {
    const big = Buffer.alloc(300_000, 0x20);
    const zip = zipSync({ 'STORED-1.json': [big, { level: 0 }], 'DEFLATED-1.json': [big, { level: 6 }], ...Object.fromEntries([['GO-2023-1840.json', files.get('GO-2023-1840.json')!]]) } as Zippable);
    const items = await readAll(chunked(zip, 4096), { maxEntryBytes: 100_000 });
    assert.deepEqual(skips(items), ['STORED-1.json: larger than 100000 bytes inflated', 'DEFLATED-1.json: larger than 100000 bytes inflated']);
    assert.deepEqual(only(items, 'record').map((item) => item.record.id), ['GO-2023-1840']);
  });

  it('skips entries that are not records, with the reason', async () => {
    const hostile = { id: 'HOSTILE-1', affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: Array.from({ length: 100_000 }, () => ({ type: 'SEMVER', events: [] })) }] };
    const zip = zipSync({
      'NOTJSON-1.json': strToU8('{"id": "NOTJSON-1", '),
      'ARRAY-1.json': strToU8('[1, 2]'),
      'HOSTILE-1.json': strToU8(JSON.stringify(hostile)),
      'BINARY-1.json': new Uint8Array([0xff, 0xfe, 0x00, 0x7b]),
      'dir/': new Uint8Array(0),
      'GO-2023-1840.json': files.get('GO-2023-1840.json')!,
    } as Zippable);
    const items = await readAll(chunked(zip, 512));
    const reasons = skips(items);
    assert.equal(reasons.length, 4, 'a directory entry is passed over silently');
    assert.match(reasons[0]!, /^NOTJSON-1\.json: not JSON: /);
    assert.equal(reasons[1], 'ARRAY-1.json: an OSV record is a JSON object');
    assert.equal(reasons[2], 'HOSTILE-1.json: HOSTILE-1: affected.0.ranges: more than 1000 ranges');
    assert.match(reasons[3]!, /^BINARY-1\.json: not JSON: /);
    assert.deepEqual(only(items, 'record').map((item) => item.record.id), ['GO-2023-1840']);
  });

  it('skips an entry in a compression method it cannot read, and reads on', async () => {
    const zip = zipSync({ 'LZMA-1.json': [files.get('GHSA-29mw-wpgm-hmr9.json')!, { level: 6 }], 'GO-2023-1840.json': files.get('GO-2023-1840.json')! } as Zippable);
    assert.equal(Buffer.from(zip).readUInt16LE(8), 8, 'the first local header says deflate');
    Buffer.from(zip.buffer, zip.byteOffset).writeUInt16LE(14, 8);
    const items = await readAll(chunked(zip, 1000));
    assert.deepEqual(skips(items), ['LZMA-1.json: compression method 14 is not supported']);
    assert.deepEqual(only(items, 'record').map((item) => item.record.id), ['GO-2023-1840']);
  });

  it('ends with `failed` rather than an exception when the archive is cut short, junk or unreadable', async () => {
    const failure = async (source: AsyncIterable<Uint8Array>) => {
      const items = await readAll(source);
      assert.equal(only(items, 'failed').length, 1);
      assert.equal(items.at(-1)?.kind, 'failed', 'always the last item');
      return { records: only(items, 'record').length, reason: only(items, 'failed')[0]!.reason };
    };
    const atBoundary = await failure(chunked(archive.subarray(0, archive.length - 30), 65_536));
    assert.equal(atBoundary.records, jsonFiles.length, 'what was read is still handed out');
    assert.equal(atBoundary.reason, 'the archive is cut short (no end-of-central-directory record)');
    const midEntry = await failure(chunked(archive.subarray(0, 200_000), 65_536));
    assert.ok(midEntry.records > 0 && midEntry.records < jsonFiles.length);
    assert.match(midEntry.reason, /^unreadable archive: /);
    assert.deepEqual(await failure(chunked(Buffer.alloc(100_000, 7), 4096)), { records: 0, reason: 'no zip entries found' });
    assert.deepEqual(await failure(chunked(new Uint8Array(0), 1)), { records: 0, reason: 'no zip entries found' });
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield archive.subarray(0, 100_000);
      throw new Error('connection reset');
    }
    const dropped = await failure(broken());
    assert.equal(dropped.reason, 'unreadable archive: connection reset');
  });

  it('stops when the reader stops asking', async () => {
    let first: ArchiveItem | undefined;
    for await (const item of readOsvArchive(chunked(archive, 4096))) {
      first = item;
      break;
    }
    assert.equal(first?.kind, 'record');
  });
});

describe('modified_id.csv', () => {
  it('reads both line forms and rejects junk', () => {
    assert.deepEqual(parseModifiedIdLine('2024-10-10T14:32:07Z,GHSA-29mw-wpgm-hmr9'), { modified: '2024-10-10T14:32:07Z', id: 'GHSA-29mw-wpgm-hmr9' });
    assert.deepEqual(parseModifiedIdLine('2023-08-07T05:41:30.977938Z,PyPI/PYSEC-2023-135\r'), { modified: '2023-08-07T05:41:30.977938Z', ecosystem: 'PyPI', id: 'PYSEC-2023-135' });
    assert.deepEqual(parseModifiedIdLine('2026-12-03T00:00:00Z,Alpine/ALPINE-13661'), { modified: '2026-12-03T00:00:00Z', ecosystem: 'Alpine', id: 'ALPINE-13661' });
    for (const junk of ['', 'GHSA-1', 'yesterday,GHSA-1', '2024-13-45T99:99:99Z,GHSA-1', '2024-10-10T14:32:07Z,', '2024-10-10T14:32:07Z,npm/', '2024-10-10T14:32:07Z,GHSA 1',
      `2024-10-10T14:32:07Z,${'x'.repeat(2000)}`]) {
      assert.equal(parseModifiedIdLine(junk), undefined, junk.slice(0, 60));
    }
  });

  it('lists the records modified at or after a time, from a real list, newest first', async () => {
    const since = modifiedIds[40]!.modified;
    const wanted = modifiedIds.filter((entry) => Date.parse(entry.modified) >= Date.parse(since)).map((entry) => entry.line.split('/')[1]);
    assert.ok(wanted.length >= 41 && wanted.length < modifiedIds.length);
    const result = await modifiedSince(chunked(Buffer.from(modifiedCsv), 1), new Date(since));
    assert.deepEqual(result.changed.map((entry) => entry.id), wanted);
    assert.equal(result.overflow, false);
    assert.deepEqual(await modifiedSince(chunked(Buffer.from(modifiedCsv), 4096), new Date('2100-01-01T00:00:00Z')), { changed: [], overflow: false });
  });

  it('stops reading at the first older line, never fetching the rest', async () => {
    async function* download(): AsyncGenerator<string> {
      yield '2026-12-03T00:00:00Z,Alpine/ALPINE-13661\n2026-12-02T00:00:00Z,npm/GHSA-1\n';
      yield 'not a line\n2026-11-01T00:00:00Z,npm/GHSA-2\n';
      throw new Error('read past the point asked for');
    }
    const result = await modifiedSince(download(), new Date('2026-12-01T00:00:00Z'));
    assert.deepEqual(result.changed.map((entry) => entry.id), ['ALPINE-13661', 'GHSA-1']);
  });

  it('says when there are too many changes to list, and survives a line with no end', async () => {
    const result = await modifiedSince(chunked(Buffer.from(modifiedCsv), 4096), new Date(0), { maxChanges: 10 });
    assert.equal(result.overflow, true);
    assert.equal(result.changed.length, 10);
    async function* endless(): AsyncGenerator<string> {
      yield '2026-12-03T00:00:00Z,npm/GHSA-1\n';
      for (let i = 0; i < 1_000; i++) yield 'x'.repeat(10_000);
      yield '\n2026-12-02T00:00:00Z,npm/GHSA-2\n';
    }
    assert.deepEqual((await modifiedSince(endless(), new Date(0))).changed.map((entry) => entry.id), ['GHSA-1', 'GHSA-2']);
  });
});
