import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readBerkeleyDbValues } from '../../src/scanning/inventory/rpm/rpm-bdb.js';
import { parseRpmHeader, type RpmHeader } from '../../src/scanning/inventory/rpm/rpm-header.js';

const fixtures = new URL('../fixtures/scanning/rpm/', import.meta.url);

/** libuuid's real header blob, as Red Hat's rpm stored it (the Berkeley DB fixture's only package). */
function libuuidBlob(): Buffer {
  const values = readBerkeleyDbValues(readFileSync(new URL('bdb-libuuid/Packages', fixtures)), (message) => assert.fail(message));
  const blob = values.find((value) => value.length > 8);
  assert.ok(blob);
  return Buffer.from(blob);
}

interface EntrySpec {
  tag: number;
  type: number;
  count?: number;
  data: Buffer;
}
const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_I18N_STRING = 9;
const text = (value: string): Buffer => Buffer.from(`${value}\0`);
const int32 = (value: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};

/** A header blob laid out as rpm lays one out (entries, then their data in order), for shapes real rpm never writes. */
function headerBlob(entries: EntrySpec[]): Buffer {
  const index = Buffer.alloc(entries.length * 16);
  const data: Buffer[] = [];
  let offset = 0;
  entries.forEach((entry, at) => {
    index.writeInt32BE(entry.tag, at * 16);
    index.writeUInt32BE(entry.type, at * 16 + 4);
    index.writeInt32BE(offset, at * 16 + 8);
    index.writeUInt32BE(entry.count ?? 1, at * 16 + 12);
    data.push(entry.data);
    offset += entry.data.length;
  });
  const preamble = Buffer.alloc(8);
  preamble.writeUInt32BE(entries.length, 0);
  preamble.writeUInt32BE(offset, 4);
  return Buffer.concat([preamble, index, ...data]);
}

const identity = (): EntrySpec[] => [
  { tag: 1000, type: TYPE_STRING, data: text('pkg') },
  { tag: 1001, type: TYPE_STRING, data: text('1.0') },
  { tag: 1002, type: TYPE_STRING, data: text('1') },
];

function parsed(blob: Buffer): RpmHeader {
  const header = parseRpmHeader(blob);
  assert.ok(typeof header !== 'string', header as string);
  return header;
}

function refused(blob: Buffer, reason: RegExp): void {
  const header = parseRpmHeader(blob);
  assert.equal(typeof header, 'string', `expected a refusal, got ${JSON.stringify(header)}`);
  assert.match(header as string, reason);
}

/** The byte offset of the index entry of `tag` in a blob. */
function entryOf(blob: Buffer, tag: number): number {
  const count = blob.readUInt32BE(0);
  for (let at = 8; at < 8 + count * 16; at += 16) if (blob.readInt32BE(at) === tag) return at;
  assert.fail(`no tag ${tag}`);
}

describe('rpm header blobs', () => {
  it('reads the identity of a real header, past its region entry', () => {
    const blob = libuuidBlob();
    assert.equal(blob.readInt32BE(8), 63, 'the first entry is the HEADERIMMUTABLE region');
    assert.deepEqual(parseRpmHeader(blob), {
      name: 'libuuid', version: '2.32.1', release: '42.el8_8', arch: 'x86_64',
      sourceRpm: 'util-linux-2.32.1-42.el8_8.src.rpm', vendor: 'Red Hat, Inc.',
    });
  });

  it('reads an epoch, a first i18n string and leaves absent tags out', () => {
    const header = parsed(headerBlob([
      ...identity(),
      { tag: 1003, type: TYPE_INT32, data: int32(3) },
      { tag: 1011, type: TYPE_I18N_STRING, count: 2, data: Buffer.from('Vendor, Inc.\0Vendeur SA\0') },
    ]));
    assert.deepEqual(header, { name: 'pkg', version: '1.0', release: '1', epoch: 3, vendor: 'Vendor, Inc.' });
    assert.equal(parsed(headerBlob([...identity(), { tag: 1003, type: TYPE_INT32, data: int32(0xffffffff) }])).epoch, 4294967295,
      'rpm prints EPOCH unsigned');
  });

  it('lets a later ("dribble") entry replace an earlier one of the same tag', () => {
    const header = parsed(headerBlob([...identity(), { tag: 1000, type: TYPE_STRING, data: text('renamed') }]));
    assert.equal(header.name, 'renamed');
  });

  it('passes odd characters through as data', () => {
    const header = parsed(headerBlob([
      { tag: 1000, type: TYPE_STRING, data: text('<script>alert(1)</script>') },
      { tag: 1001, type: TYPE_STRING, data: text('1.0~rc1^git2') },
      { tag: 1002, type: TYPE_STRING, data: text('ünïcödé-1') },
    ]));
    assert.deepEqual(header, { name: '<script>alert(1)</script>', version: '1.0~rc1^git2', release: 'ünïcödé-1' });
  });

  it('ignores an epoch of the wrong type or size', () => {
    assert.equal(parsed(headerBlob([...identity(), { tag: 1003, type: TYPE_STRING, data: text('3') }])).epoch, undefined);
    const short = headerBlob([...identity(), { tag: 1003, type: TYPE_INT32, data: Buffer.from([0, 3]) }]);
    assert.equal(parsed(short).epoch, undefined, 'the INT32 would end past the data');
  });

  it('refuses blobs that are too short, or whose counts do not fit', () => {
    refused(Buffer.alloc(0), /shorter than its preamble/);
    refused(Buffer.from([0, 0, 0, 1]), /shorter than its preamble/);
    const blob = libuuidBlob();
    refused(blob.subarray(0, blob.length - 1), /needs \d+ bytes but has/);
    refused(blob.subarray(0, 100), /needs \d+ bytes but has/);
    for (const count of [0, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff]) {
      const changed = Buffer.from(blob);
      changed.writeUInt32BE(count, 0);
      refused(changed, /index entries/);
    }
    const huge = Buffer.from(blob);
    huge.writeUInt32BE(0xffffffff, 4);
    refused(huge, /bytes of data/);
  });

  it('refuses a header whose NAME points outside its data or is not terminated', () => {
    for (const offset of [-1, -0x80000000, 0x7fffffff]) {
      const blob = libuuidBlob();
      blob.writeInt32BE(offset, entryOf(blob, 1000) + 8);
      refused(blob, /no readable NAME/);
    }
    const unterminated = headerBlob([...identity().slice(1), { tag: 1000, type: TYPE_STRING, data: Buffer.from('pkg') }]);
    refused(unterminated, /no readable NAME/);
    const wrongType = headerBlob([...identity().slice(1), { tag: 1000, type: TYPE_INT32, data: int32(1) }]);
    refused(wrongType, /no readable NAME/);
  });

  it('stays cheap when a tag repeats as often as rpm allows', () => {
    const repeated = Array.from({ length: 0xffff - 3 }, () => ({ tag: 1000, type: TYPE_STRING, data: Buffer.alloc(0) }));
    const blob = headerBlob([...identity(), ...repeated]);
    // Every repeat points at the end of the data, where no string is; only the last one is decoded.
    refused(blob, /no readable NAME/);
  });

  it('never throws on a damaged real header', () => {
    const original = libuuidBlob();
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 300; round++) {
      const damaged = Buffer.from(original.subarray(0, 8 + (next() % (original.length - 8))));
      for (let flips = 0; flips < 8; flips++) damaged[next() % Math.min(damaged.length, 4096)] = next() % 256;
      const header = parseRpmHeader(damaged);
      assert.ok(typeof header === 'string' || typeof header.name === 'string');
    }
  });
});
