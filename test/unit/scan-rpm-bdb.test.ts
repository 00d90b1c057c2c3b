import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { inspectRpmDatabase, readRpmDatabase } from '../../src/scanning/inventory/rpm/rpm-database.js';

// The fixture's layout (page size 4096): page 0 metadata, pages 1–2 hash pages (page 2 holds the package: key 3 and
// an off-page reference to 80,880 bytes), pages 3–22 the overflow chain, each pointing to the next.
const PAGE = 4096;
const fixture = (): Buffer => Buffer.from(readFileSync(new URL('../fixtures/scanning/rpm/bdb-libuuid/Packages', import.meta.url)));
const libuuid = {
  name: 'libuuid', version: '2.32.1', release: '42.el8_8', arch: 'x86_64',
  sourceRpm: 'util-linux-2.32.1-42.el8_8.src.rpm', vendor: 'Red Hat, Inc.',
};

function damaged(change: (file: Buffer) => void): Buffer {
  const file = fixture();
  change(file);
  return file;
}

describe('rpm Berkeley DB (hash) Packages', () => {
  it('reads the real libuuid database as rpm -qa lists it', () => {
    // expected/rpm-libuuid.json of the shared fixtures: libuuid, no epoch, 2.32.1, 42.el8_8, x86_64, util-linux's src.rpm.
    assert.deepEqual(inspectRpmDatabase('bdb', fixture()), { headers: [libuuid], problems: [] });
  });

  it('skips rpm\'s instance counter under key 0 without calling it a problem', () => {
    const file = fixture();
    assert.equal(file[PAGE + 4086], 1, 'page 1 holds an on-page value');
    assert.equal(file.readUInt32LE(PAGE + 4092), 0, 'under key 0');
    assert.deepEqual(inspectRpmDatabase('bdb', file).problems, []);
  });

  it('ends an overflow page that points to itself', () => {
    const reading = inspectRpmDatabase('bdb', damaged((file) => file.writeUInt32LE(3, 3 * PAGE + 16)));
    assert.deepEqual(reading.headers, []);
    assert.match(reading.problems.join('\n'), /overflow page 3 is reached twice/);
  });

  it('ends an overflow chain that cycles back', () => {
    const reading = inspectRpmDatabase('bdb', damaged((file) => file.writeUInt32LE(5, 10 * PAGE + 16)));
    assert.deepEqual(reading.headers, []);
    assert.match(reading.problems.join('\n'), /overflow page 5 is reached twice/);
  });

  it('reads a chain shared by two items only once', () => {
    const file = damaged((file) => {
      file.writeUInt16LE(4, 2 * PAGE + 20);
      file.writeUInt16LE(4091, 2 * PAGE + 30);
      file.writeUInt16LE(4079, 2 * PAGE + 32);
    });
    const reading = inspectRpmDatabase('bdb', file);
    assert.deepEqual(reading.headers, [libuuid]);
    assert.match(reading.problems.join('\n'), /item 3: overflow page 3 is reached twice/);
  });

  it('reads what a truncated file still holds, and says it is truncated', () => {
    const reading = inspectRpmDatabase('bdb', fixture().subarray(0, 20 * PAGE + 100));
    assert.deepEqual(reading.headers, []);
    assert.match(reading.problems[0]!, /last page is 22 but the file holds 20 pages/);
    assert.match(reading.problems[1]!, /overflow chain leads to page 20, outside the file/);
    assert.deepEqual(inspectRpmDatabase('bdb', fixture().subarray(0, 300)).problems, ['file of 300 bytes is too short for a Berkeley DB metadata page']);
  });

  it('bounds the walk by the file, whatever the metadata claims', () => {
    const reading = inspectRpmDatabase('bdb', damaged((file) => file.writeUInt32LE(0xffffffff, 32)));
    assert.deepEqual(reading.headers, [libuuid]);
    assert.match(reading.problems[0]!, /last page is 4294967295 but the file holds 23 pages/);
  });

  it('refuses other files, encrypted files and odd page sizes', () => {
    assert.deepEqual(inspectRpmDatabase('bdb', Buffer.alloc(8192)).problems, ['not a Berkeley DB hash file']);
    assert.deepEqual(inspectRpmDatabase('bdb', damaged((file) => { file[24] = 1; })).problems, ['the database is encrypted']);
    assert.deepEqual(inspectRpmDatabase('bdb', damaged((file) => file.writeUInt32LE(4097, 20))).problems, ['unsupported page size 4097']);
    assert.deepEqual(inspectRpmDatabase('bdb', damaged((file) => { file[25] = 9; })).problems, ['page 0 has type 9, not hash metadata']);
  });

  it('names bad entries of a hash page and goes on', () => {
    const tooMany = inspectRpmDatabase('bdb', damaged((file) => file.writeUInt16LE(0xffff, 2 * PAGE + 20)));
    assert.match(tooMany.problems[0]!, /hash page 2 claims 65535 entries/);
    assert.ok(tooMany.problems.length <= 21, 'problems are capped');
    const lengths = [0, 0xffffffff];
    for (const length of lengths) {
      const reading = inspectRpmDatabase('bdb', damaged((file) => file.writeUInt32LE(length, 2 * PAGE + 4079 + 8)));
      assert.deepEqual(reading.headers, []);
      assert.match(reading.problems[0]!, new RegExp(`off-page value claims ${length} bytes`));
    }
    const misnumbered = inspectRpmDatabase('bdb', damaged((file) => file.writeUInt32LE(7, 2 * PAGE + 8)));
    assert.deepEqual(misnumbered, { headers: [], problems: ['hash page 2 names itself page 7'] });
    const fullPage = inspectRpmDatabase('bdb', damaged((file) => file.writeUInt16LE(0xffff, 5 * PAGE + 22)));
    assert.match(fullPage.problems[0]!, /overflow page 5 claims 65535 bytes/);
  });

  it('never throws on a damaged file', () => {
    const original = fixture();
    let seed = 11;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 200; round++) {
      const file = Buffer.from(original.subarray(0, 512 + (next() % (original.length - 512))));
      for (let flips = 0; flips < 16; flips++) file[next() % Math.min(file.length, 3 * PAGE)] = next() % 256;
      assert.ok(Array.isArray(readRpmDatabase('bdb', file)));
    }
  });
});
