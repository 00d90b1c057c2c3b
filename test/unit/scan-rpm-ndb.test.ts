import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { inspectRpmDatabase, readRpmDatabase, type RpmHeader } from '../../src/scanning/inventory/rpm/rpm-database.js';

// Packages.db was written by rpm 4.18 with its NDB backend (see ndb/make-fixture.sh); rpm-qa.txt is what that rpm's
// `-qa --qf '%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH} %{SOURCERPM} %{VENDOR}\n'` printed for it. Its layout: a
// 32-byte header, slots from byte 32 (three used: blocks 256, 376 and 494), one 4 KiB slot page, then the blobs.
const folder = new URL('../fixtures/scanning/rpm/ndb/', import.meta.url);
const fixture = (): Buffer => Buffer.from(readFileSync(new URL('Packages.db', folder)));
const SLOT = (n: number): number => 32 + n * 16;

/** A header as `rpm -qa` prints it with the format above, `(none)` for a missing tag. */
function qaLine(header: RpmHeader): string {
  const or = (value: string | number | undefined): string => (value === undefined ? '(none)' : String(value));
  return [header.name, or(header.epoch), header.version, header.release, or(header.arch), or(header.sourceRpm), or(header.vendor)].join(' ');
}

function damaged(change: (file: Buffer) => void): Buffer {
  const file = fixture();
  change(file);
  return file;
}

describe('rpm NDB Packages.db', () => {
  it('reads what rpm itself lists', () => {
    const expected = readFileSync(new URL('rpm-qa.txt', folder), 'utf8').trimEnd().split('\n');
    const reading = inspectRpmDatabase('ndb', fixture());
    assert.deepEqual(reading.problems, []);
    assert.deepEqual(reading.headers.map(qaLine).sort(), expected.sort());
    assert.deepEqual(reading.headers.find((header) => header.name === 'berth-tiny'), {
      name: 'berth-tiny', epoch: 7, version: '1.2.3', release: '4.test', arch: 'noarch',
      sourceRpm: 'berth-tiny-1.2.3-4.test.src.rpm', vendor: 'Berth tests',
    });
  });

  it('bounds the slots by the file, whatever the header claims', () => {
    for (const pages of [0x7fffffff, 0x80000000, 0xffffffff]) {
      const reading = inspectRpmDatabase('ndb', damaged((file) => file.writeUInt32LE(pages, 12)));
      assert.equal(reading.headers.length, 3);
      assert.match(reading.problems[0]!, new RegExp(`claims ${pages} slot pages but the file holds 8`));
      assert.match(reading.problems[1]!, /has no slot magic/, 'the blobs after the slot page are no slots');
    }
  });

  it('reads what a truncated file still holds', () => {
    const file = fixture();
    const reading = inspectRpmDatabase('ndb', file.subarray(0, 494 * 16 + 100));
    assert.deepEqual(reading.headers.map((header) => header.name), ['berth-tiny', 'berth-plain+tools']);
    assert.deepEqual(reading.problems, ['package 3: blob at byte 7904 runs past the end of the file']);
    assert.deepEqual(inspectRpmDatabase('ndb', file.subarray(0, 20)).problems, ['file of 20 bytes is too short for an NDB header']);
    assert.deepEqual(inspectRpmDatabase('ndb', file.subarray(0, 1000)).headers, []);
  });

  it('reads a blob that two slots share only once', () => {
    const reading = inspectRpmDatabase('ndb', damaged((file) => {
      file.writeUInt32LE(1, SLOT(3) + 4);
      file.writeUInt32LE(256, SLOT(3) + 8);
      file.writeUInt32LE(120, SLOT(3) + 12);
    }));
    assert.equal(reading.headers.length, 3);
    assert.deepEqual(reading.problems, ['the blob of package 1 overlaps another']);
  });

  it('names malformed slots and blobs and reads the rest', () => {
    const cases: Array<[string, (file: Buffer) => void, RegExp]> = [
      ['offset inside the slot pages', (file) => file.writeUInt32LE(1, SLOT(0) + 8), /slot at byte 32 is malformed/],
      ['no block count', (file) => file.writeUInt32LE(0, SLOT(0) + 12), /slot at byte 32 is malformed/],
      ['too few blocks', (file) => file.writeUInt32LE(1, SLOT(0) + 12), /package 1: blob at byte 4096 is too small/],
      ['block count past the end', (file) => file.writeUInt32LE(0xffffffff, SLOT(0) + 12), /runs past the end of the file/],
      ['wrong package', (file) => file.writeUInt32LE(9, 256 * 16 + 4), /belongs to package 9/],
      ['no head', (file) => file.writeUInt32LE(0, 256 * 16), /no blob head at byte 4096/],
      ['length beyond the blocks', (file) => file.writeUInt32LE(0xfffffff0, 256 * 16 + 12), /blob length 4294967280 does not fit its 120 blocks/],
      ['bad tail', (file) => file.writeUInt32LE(0, 376 * 16 - 4), /blob at byte 4096 has a bad tail/],
    ];
    for (const [what, change, problem] of cases) {
      const reading = inspectRpmDatabase('ndb', damaged(change));
      assert.equal(reading.headers.length, 2, what);
      assert.match(reading.problems.join('\n'), problem, what);
    }
    assert.deepEqual(inspectRpmDatabase('ndb', damaged((file) => file.writeUInt32LE(1, 4))).problems, ['not an NDB Packages.db of version 0']);
  });

  it('never throws on a damaged file', () => {
    const original = fixture();
    let seed = 5;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 300; round++) {
      const file = Buffer.from(original.subarray(0, 32 + (next() % (original.length - 32))));
      for (let flips = 0; flips < 16; flips++) {
        const region = next() % 2 === 0 ? 128 : file.length;
        file[next() % Math.min(file.length, region)] = next() % 256;
      }
      assert.ok(Array.isArray(readRpmDatabase('ndb', file)));
    }
  });
});
