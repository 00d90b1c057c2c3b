/**
 * The Go toolchain and modules a Go binary was built from, read the way golang/go `src/debug/buildinfo` does,
 * without Go: find the 14-byte magic `\xff Go buildinf:` at a 16-byte-aligned offset in the ELF section
 * `.go.buildinfo` (else the first writable, non-executable PT_LOAD segment, else anywhere in the file). Byte 14 is
 * the pointer size, byte 15 flags. With flag 2 (Go 1.18 and later) the version and the module info follow at
 * offset 32 as uvarint-prefixed strings; before that, offsets 16 and 16+ptrSize hold pointers to Go string headers
 * (`{data pointer, length}`), mapped to file offsets through the program headers, in the byte order of flag 1.
 * Only ELF is read: container images run Linux binaries. The text `go version -m` prints is read too.
 */
import type { InstalledPackage } from '../model.js';
import { packageUrl } from './purl.js';

export interface GoModule {
  path: string;
  /** As Go writes it, with the `v`. */
  version: string;
}

export interface GoBuildInfo {
  /** `go1.20.4`, as the binary records it. */
  goVersion: string;
  /** The main module; its version is `(devel)` unless it was built by `go install path@version`. */
  main?: GoModule;
  /** The dependencies compiled in, replacements applied. */
  deps: GoModule[];
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const ALIGN = 16;
// Go reads this much from the start of the data; the magic sits at its beginning.
const SEARCH_WINDOW = 64 * 1024;
// Module info of the largest real binaries is tens of kilobytes; longer strings are junk.
const MAX_STRING_LENGTH = 1024 * 1024;
const MAX_MODULES = 10_000;
const FLAG_BIG_ENDIAN = 1;
const FLAG_INLINE_STRINGS = 2;
const PT_LOAD = 1;
const PF_X = 1;
const PF_W = 2;

interface Elf {
  bytes: Buffer;
  is64: boolean;
  word(offset: number): number;
  half(offset: number): number;
  addr(offset: number): number;
  segments: { vaddr: number; offset: number; fileSize: number; flags: number }[];
}

/** The build info of an ELF Go binary, or undefined for anything else (other programs, junk, a truncated file). */
export function readGoBuildInfo(binary: Uint8Array): GoBuildInfo | undefined {
  const elf = parseElf(Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength));
  if (elf === undefined) return undefined;
  for (const start of dataStarts(elf)) {
    const found = findMagic(elf.bytes, start, Math.min(elf.bytes.length, start + SEARCH_WINDOW));
    if (found !== undefined) return decode(elf, found);
  }
  return decode(elf, findMagic(elf.bytes, 0, elf.bytes.length));
}

/** Bytes read past the magic for the module info of a large binary: real ones are tens of kilobytes. */
const WINDOW_TAIL = MAX_STRING_LENGTH;

/**
 * For a binary too large to hold: where Go's build info would be, from its head (the ELF header and program
 * headers): the start of its first writable data segment, where Go's linker puts `.go.buildinfo`.
 */
export function goBuildInfoWindow(head: Buffer): { from: number; length: number } | undefined {
  const elf = parseElf(head);
  const data = elf?.segments.find((segment) => (segment.flags & (PF_X | PF_W)) === PF_W);
  return data === undefined ? undefined : { from: data.offset, length: SEARCH_WINDOW + WINDOW_TAIL };
}

/**
 * The build info of a large binary read in part: its head and the window `goBuildInfoWindow` asked for. Only the
 * inline form of Go 1.18 and later is read so; older toolchains point at strings elsewhere in the file.
 */
export function readGoBuildInfoWindow(head: Buffer, window: { from: number; bytes: Buffer }): GoBuildInfo | undefined {
  const elf = parseElf(head);
  if (elf === undefined) return undefined;
  const found = findMagic(window.bytes, 0, Math.min(window.bytes.length, SEARCH_WINDOW));
  if (found === undefined || (window.bytes[found + 15]! & FLAG_INLINE_STRINGS) === 0) return undefined;
  return decode({ ...elf, bytes: window.bytes }, found);
}

function parseElf(bytes: Buffer): Elf | undefined {
  if (bytes.length < 52 || bytes.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = bytes[4] === 2;
  const littleEndian = bytes[5] === 1;
  if ((bytes[4] !== 1 && !is64) || (bytes[5] !== 1 && bytes[5] !== 2) || (is64 && bytes.length < 64)) return undefined;
  const inFile = (offset: number, length: number): boolean => offset >= 0 && length >= 0 && offset + length <= bytes.length;
  const half = (offset: number): number => (inFile(offset, 2) ? (littleEndian ? bytes.readUInt16LE(offset) : bytes.readUInt16BE(offset)) : 0);
  const word = (offset: number): number => (inFile(offset, 4) ? (littleEndian ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset)) : 0);
  // Offsets and addresses past 2^53 are junk in any binary that fits in memory; Number keeps the rest exact.
  const addr = (offset: number): number => {
    if (!is64) return word(offset);
    if (!inFile(offset, 8)) return 0;
    const value = littleEndian ? bytes.readBigUInt64LE(offset) : bytes.readBigUInt64BE(offset);
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  };
  const elf: Elf = { bytes, is64, word, half, addr, segments: [] };
  const phoff = addr(is64 ? 0x20 : 0x1c);
  const phentsize = half(is64 ? 0x36 : 0x2a);
  const phnum = half(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum && phentsize > 0; i++) {
    const at = phoff + i * phentsize;
    if (!inFile(at, phentsize) || word(at) !== PT_LOAD) continue;
    elf.segments.push(
      is64
        ? { flags: word(at + 4), offset: addr(at + 8), vaddr: addr(at + 16), fileSize: addr(at + 32) }
        : { offset: word(at + 4), vaddr: word(at + 8), fileSize: word(at + 16), flags: word(at + 24) },
    );
  }
  return elf;
}

/** File offsets where Go would look: the `.go.buildinfo` section, else the first writable data segment. */
function dataStarts(elf: Elf): number[] {
  const starts: number[] = [];
  const section = findSection(elf, '.go.buildinfo');
  if (section !== undefined) starts.push(section);
  const data = elf.segments.find((segment) => (segment.flags & (PF_X | PF_W)) === PF_W);
  if (data !== undefined) starts.push(data.offset);
  return starts;
}

function findSection(elf: Elf, wanted: string): number | undefined {
  const { is64, bytes } = elf;
  const shoff = elf.addr(is64 ? 0x28 : 0x20);
  const shentsize = elf.half(is64 ? 0x3a : 0x2e);
  const shnum = elf.half(is64 ? 0x3c : 0x30);
  const shstrndx = elf.half(is64 ? 0x3e : 0x32);
  const minimum = is64 ? 64 : 40;
  if (shoff === 0 || shentsize < minimum || shstrndx >= shnum || shoff + shnum * shentsize > bytes.length) return undefined;
  const headerOffset = (index: number): number => shoff + index * shentsize;
  const fileOffset = (index: number): number => elf.addr(headerOffset(index) + (is64 ? 24 : 16));
  const names = fileOffset(shstrndx);
  const target = Buffer.from(`${wanted}\0`, 'latin1');
  for (let i = 0; i < shnum; i++) {
    const nameAt = names + elf.word(headerOffset(i));
    if (nameAt + target.length <= bytes.length && bytes.subarray(nameAt, nameAt + target.length).equals(target)) return fileOffset(i);
  }
  return undefined;
}

/** The first occurrence of the magic between two file offsets at a multiple of 16 from the first. */
function findMagic(bytes: Buffer, from: number, to: number): number | undefined {
  let at = bytes.indexOf(MAGIC, from);
  while (at !== -1 && at + ALIGN * 2 <= to) {
    if ((at - from) % ALIGN === 0) return at;
    at = bytes.indexOf(MAGIC, at + 1);
  }
  return undefined;
}

function decode(elf: Elf, at: number | undefined): GoBuildInfo | undefined {
  if (at === undefined) return undefined;
  const { bytes } = elf;
  const ptrSize = bytes[at + 14]!;
  const flags = bytes[at + 15]!;
  let version: string | undefined;
  let modinfo: string | undefined;
  if (flags & FLAG_INLINE_STRINGS) {
    const first = inlineString(bytes, at + 32);
    version = first?.text;
    modinfo = first === undefined ? undefined : inlineString(bytes, first.end)?.text;
  } else if (ptrSize === 4 || ptrSize === 8) {
    const pointer = pointerReader(bytes, ptrSize, (flags & FLAG_BIG_ENDIAN) === 0);
    const stringAt = (offset: number): string | undefined => {
      const header = fileOffsetOf(elf, pointer(offset));
      if (header === undefined) return undefined;
      const data = fileOffsetOf(elf, pointer(header));
      const length = pointer(header + ptrSize);
      if (data === undefined || length > MAX_STRING_LENGTH || data + length > bytes.length) return undefined;
      return bytes.toString('utf8', data, data + length);
    };
    version = stringAt(at + 16);
    modinfo = stringAt(at + 16 + ptrSize);
  }
  if (version === undefined || !version.startsWith('go')) return undefined;
  // The module info is framed by two 16-byte sentinels, the second preceded by a newline.
  const framed = modinfo !== undefined && modinfo.length >= 33 && modinfo[modinfo.length - 17] === '\n';
  return parseModuleInfo(version, framed ? modinfo!.slice(16, -16) : '');
}

function inlineString(bytes: Buffer, offset: number): { text: string; end: number } | undefined {
  let length = 0;
  let shift = 0;
  let at = offset;
  for (;;) {
    if (at >= bytes.length || shift > 28) return undefined;
    const byte = bytes[at++]!;
    length += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) break;
  }
  if (length > MAX_STRING_LENGTH || at + length > bytes.length) return undefined;
  return { text: bytes.toString('utf8', at, at + length), end: at + length };
}

function pointerReader(bytes: Buffer, size: number, littleEndian: boolean): (offset: number) => number {
  return (offset) => {
    if (offset < 0 || offset + size > bytes.length) return -1;
    if (size === 4) return littleEndian ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset);
    const value = littleEndian ? bytes.readBigUInt64LE(offset) : bytes.readBigUInt64BE(offset);
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(value);
  };
}

/** The file offset of a virtual address, through the loadable segments. */
function fileOffsetOf(elf: Elf, address: number): number | undefined {
  if (address < 0) return undefined;
  const segment = elf.segments.find((s) => address >= s.vaddr && address < s.vaddr + s.fileSize);
  return segment === undefined ? undefined : segment.offset + (address - segment.vaddr);
}

/** The text `go version -m <binary>` prints: `<file>: go1.x.y`, then the module info, indented by a tab. */
export function parseGoVersionOutput(text: string): GoBuildInfo | undefined {
  const lines = text.split('\n', MAX_MODULES * 2);
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first === -1) return undefined;
  const header = lines[first]!.trim();
  const colon = header.lastIndexOf(': ');
  const version = colon === -1 ? header : header.slice(colon + 2).trim();
  if (!version.startsWith('go')) return undefined;
  return parseModuleInfo(version, lines.slice(first + 1).map((line) => line.replace(/^\s+/, '')).join('\n'));
}

/** Module info lines (`path`, `mod`, `dep`, `=>` replacing the line before, `build`), tab-separated. */
export function parseModuleInfo(goVersion: string, modinfo: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion: goVersion.trim(), deps: [] };
  let last: GoModule | undefined;
  for (const line of modinfo.split('\n', MAX_MODULES * 2)) {
    const [kind, path, version] = line.split('\t');
    if (path === undefined || path === '') continue;
    if (kind === 'mod' || kind === 'dep') {
      last = { path, version: version ?? '' };
      if (kind === 'mod') info.main = last;
      else if (info.deps.length < MAX_MODULES) info.deps.push(last);
    } else if (kind === '=>' && last !== undefined) {
      // A replacement by another module names what was compiled; one by a local directory has no version.
      last.path = path;
      last.version = version ?? '';
    }
  }
  return info;
}

/**
 * The inventory of a binary: `stdlib` at the toolchain's version, in the semver form golang/vulndb uses
 * (`go1.20` → `1.20.0`, `go1.21rc2` → `1.21.0-rc.2`), and each versioned module without its `v`. A main module
 * or a replacement without a release version (`(devel)`, a local directory) names nothing to match.
 */
export function goPackages(info: GoBuildInfo, path: string): InstalledPackage[] {
  const modules: GoModule[] = [];
  const stdlib = goToolchainSemver(info.goVersion);
  if (stdlib !== undefined) modules.push({ path: 'stdlib', version: stdlib });
  for (const module of info.main === undefined ? info.deps : [info.main, ...info.deps]) {
    if (/^v\d/.test(module.version) && !/\s/.test(module.version) && !/\s/.test(module.path)) {
      modules.push({ path: module.path, version: module.version.slice(1) });
    }
  }
  return modules.map((module) => {
    const pkg: InstalledPackage = { kind: 'go', name: module.path, version: module.version, ecosystem: 'Go', purl: '', path };
    pkg.purl = packageUrl(pkg);
    return pkg;
  });
}

function goToolchainSemver(goVersion: string): string | undefined {
  const match = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?(?:$|[\s+-])/.exec(goVersion);
  if (match === null) return undefined;
  const [, major, minor, patch, pre, preNumber] = match;
  return `${major}.${minor}.${patch ?? '0'}${pre === undefined ? '' : `-${pre}.${preNumber}`}`;
}
