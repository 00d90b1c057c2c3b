import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { goPackages, parseGoVersionOutput, parseModuleInfo, readGoBuildInfo } from '../../src/scanning/inventory/go-buildinfo.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scanning/inventory');
const read = (relative: string): Buffer => readFileSync(path.join(fixtures, relative));
const expected = JSON.parse(read('expected-inventories.json').toString('utf8'));
const tinyBinary = 'go/tiny-go1.19.8-linux-amd64';

const modules = (info: ReturnType<typeof readGoBuildInfo>, where = 'usr/bin/x') =>
  goPackages(info!, where).map((pkg) => ({ module: pkg.name, version: pkg.version }));

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/**
 * A minimal 32-bit big-endian ELF as Go before 1.18 wrote build info: one writable PT_LOAD segment at 0x10000
 * mapping the whole file, no section headers, and at a 16-byte-aligned offset the magic, pointer size 4, flags 1
 * (big-endian, strings not inline), then pointers to two Go string headers `{data, length}`.
 */
function oldFormatElf(goVersion: string, modinfo: string): Buffer {
  const base = 0x10000;
  const file = Buffer.alloc(512);
  file.writeUInt32BE(0x7f454c46, 0);
  file[4] = 1; // 32-bit
  file[5] = 2; // big-endian
  file[6] = 1;
  file.writeUInt16BE(2, 16); // ET_EXEC
  file.writeUInt32BE(52, 28); // e_phoff
  file.writeUInt16BE(52, 40);
  file.writeUInt16BE(32, 42); // e_phentsize
  file.writeUInt16BE(1, 44); // e_phnum
  file.writeUInt32BE(1, 52); // PT_LOAD
  file.writeUInt32BE(0, 56); // p_offset
  file.writeUInt32BE(base, 60); // p_vaddr
  file.writeUInt32BE(file.length, 68); // p_filesz
  file.writeUInt32BE(file.length, 72);
  file.writeUInt32BE(6, 76); // PF_R | PF_W
  const info = 96;
  MAGIC.copy(file, info);
  file[info + 14] = 4;
  file[info + 15] = 1;
  const framed = Buffer.concat([Buffer.alloc(16, 0x30), Buffer.from(modinfo), Buffer.alloc(16, 0x31)]);
  const strings = [Buffer.from(goVersion), framed];
  let data = 200;
  strings.forEach((bytes, index) => {
    const header = 128 + index * 8;
    file.writeUInt32BE(base + header, info + 16 + index * 4);
    file.writeUInt32BE(base + data, header);
    file.writeUInt32BE(bytes.length, header + 4);
    bytes.copy(file, data);
    data += bytes.length;
  });
  return file;
}

describe('Go build info', () => {
  it('reads the text `go version -m` prints for esbuild 0.17.19 into exactly the expected modules', () => {
    const info = parseGoVersionOutput(read('go/esbuild-linux-x64-0.17.19.buildinfo.txt').toString('utf8'));
    assert.equal(info?.goVersion, 'go1.20.4');
    assert.deepEqual(modules(info), expected['go-esbuild-0.17.19'].modules);
    const [stdlib, sys] = goPackages(info!, 'node_modules/@esbuild/linux-x64/bin/esbuild');
    assert.deepEqual([stdlib?.kind, stdlib?.ecosystem, stdlib?.path], ['go', 'Go', 'node_modules/@esbuild/linux-x64/bin/esbuild']);
    assert.equal(sys?.purl, 'pkg:golang/golang.org/x/sys@v0.0.0-20220715151400-c0bba94af5f8');
  });

  it('reads a real stripped Go 1.19 binary as `go version -m` does, replacement applied and (devel) left out', () => {
    const binary = read(tinyBinary);
    const info = readGoBuildInfo(binary);
    assert.deepEqual(info, parseGoVersionOutput(read(`${tinyBinary}.version-m.txt`).toString('utf8')));
    assert.deepEqual(modules(info), [
      { module: 'stdlib', version: '1.19.8' },
      { module: 'example.com/greet', version: '1.4.2' },
      { module: 'example.com/shout-fork', version: '0.3.1' },
    ]);
  });

  it('finds the build info without section headers, and without program headers too', () => {
    const binary = Buffer.from(read(tinyBinary));
    binary.writeBigUInt64LE(0n, 0x28); // e_shoff: the first writable segment is searched
    binary.writeUInt16LE(0, 0x3c);
    assert.equal(readGoBuildInfo(binary)?.goVersion, 'go1.19.8');
    binary.writeUInt16LE(0, 0x38); // e_phnum: the whole file is searched
    assert.equal(readGoBuildInfo(binary)?.goVersion, 'go1.19.8');
  });

  it('reads the pointer format of Go before 1.18, big-endian and 32-bit', () => {
    const modinfo = 'path\texample.com/old\nmod\texample.com/old\tv1.0.0\th1:x=\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:y=\n';
    const info = readGoBuildInfo(oldFormatElf('go1.16.15', modinfo));
    assert.deepEqual(modules(info), [
      { module: 'stdlib', version: '1.16.15' },
      { module: 'example.com/old', version: '1.0.0' },
      { module: 'github.com/pkg/errors', version: '0.9.1' },
    ]);
  });

  it('writes toolchain versions as golang/vulndb does and skips what names no release', () => {
    const stdlib = (goVersion: string) => modules(parseModuleInfo(goVersion, ''));
    assert.deepEqual(stdlib('go1.20'), [{ module: 'stdlib', version: '1.20.0' }]);
    assert.deepEqual(stdlib('go1.21rc2'), [{ module: 'stdlib', version: '1.21.0-rc.2' }]);
    assert.deepEqual(stdlib('go1.22.1 X:boringcrypto'), [{ module: 'stdlib', version: '1.22.1' }]);
    assert.deepEqual(stdlib('devel go1.23-abcdef'), []);
    const local = parseModuleInfo('go1.21.0', 'mod\tx\tv1.2.3\ndep\ta\tv1.0.0\n=>\t../a\t\ndep\tb\t(devel)\n');
    assert.deepEqual(modules(local), [{ module: 'stdlib', version: '1.21.0' }, { module: 'x', version: '1.2.3' }]);
  });

  it('answers nothing for other programs and junk, never throwing', () => {
    assert.equal(readGoBuildInfo(readFileSync(process.execPath).subarray(0, 4 * 1024 * 1024)), undefined, 'node is no Go program');
    const truncated = Buffer.from(read(tinyBinary).subarray(0, 0xdb000 + 40));
    assert.equal(readGoBuildInfo(truncated), undefined);
    const hostile = Buffer.alloc(4096);
    hostile.writeUInt32BE(0x7f454c46, 0);
    hostile[4] = 2;
    hostile[5] = 1;
    MAGIC.copy(hostile, 1024);
    hostile[1024 + 14] = 8;
    hostile[1024 + 15] = 2;
    hostile.fill(0xff, 1024 + 32, 1024 + 48); // a varint that never ends
    assert.equal(readGoBuildInfo(hostile), undefined);
    hostile[1024 + 15] = 0; // pointers into nowhere
    assert.equal(readGoBuildInfo(hostile), undefined);
    hostile.writeBigUInt64LE(0xffffffffffffff00n, 0x20); // program headers far past the end
    hostile.writeUInt16LE(0xffff, 0x38);
    hostile.writeUInt16LE(56, 0x36);
    assert.equal(readGoBuildInfo(hostile), undefined);
    assert.equal(readGoBuildInfo(Buffer.alloc(0)), undefined);
    assert.equal(parseGoVersionOutput('not go\n'), undefined);
    assert.equal(parseGoVersionOutput(''), undefined);
  });
});
