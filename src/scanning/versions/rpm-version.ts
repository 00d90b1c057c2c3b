import type { VersionOrder } from '../model.js';

/**
 * RPM's version order for `[epoch:]version[-release]` (Red Hat, Rocky, AlmaLinux, SUSE, Mageia), as rpm 4.18's
 * `rpm.vercmp` applies it: epoch (missing = 0), then version, then release, each by rpmvercmp. A missing release
 * sorts before any release, so the order stays total (rpm's dependency matching instead lets it match anything).
 * A string that is not such a version sorts before every version, by code unit.
 */
export const rpmOrder: VersionOrder = {
  compare(a, b) {
    const left = parseRpmVersion(a);
    const right = parseRpmVersion(b);
    if (left && right) return compareRpmVersions(left, right);
    if (left) return 1;
    if (right) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  },
  isValid: (version) => parseRpmVersion(version) !== undefined,
};

interface RpmVersion {
  epoch: string;
  version: string;
  release: string | undefined;
}

/** Longer strings are refused: real versions stay far below it, and it bounds the work of one comparison. */
const maxVersionLength = 256;
// rpmbuild accepts letters, digits and `._+~^` in a version or release; the release follows the last hyphen.
// Neither class holds `-` or `:`, so the expression runs in linear time.
const evrPattern = /^(?:([0-9]+):)?([A-Za-z0-9._+~^]+)(?:-([A-Za-z0-9._+~^]+))?$/;

function parseRpmVersion(text: string): RpmVersion | undefined {
  if (text.length > maxVersionLength) return undefined;
  const match = evrPattern.exec(text);
  if (!match) return undefined;
  return { epoch: match[1] ?? '0', version: match[2]!, release: match[3] };
}

function compareRpmVersions(a: RpmVersion, b: RpmVersion): number {
  const order = rpmvercmp(a.epoch, b.epoch) || rpmvercmp(a.version, b.version);
  if (order !== 0 || a.release === b.release) return order;
  if (a.release === undefined) return -1;
  if (b.release === undefined) return 1;
  return rpmvercmp(a.release, b.release);
}

/**
 * rpmvercmp: the strings are read as segments of letters or of digits; every other character only separates
 * them, except `~`, which sorts before anything (even the end: `1.0~rc1 < 1.0`), and `^`, which sorts after the
 * end but before any segment (`1.0 < 1.0^git1 < 1.0.1`). A digit segment beats a letter one; digit segments compare
 * as numbers (leading zeros ignored), letter segments by character code. When all segments match, the string with
 * segments left is greater.
 */
function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && isSeparator(a[i]!)) i++;
    while (j < b.length && isSeparator(b[j]!)) j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]!);
    const inSegment = numeric ? isDigit : isLetter;
    let iEnd = i;
    while (iEnd < a.length && inSegment(a[iEnd]!)) iEnd++;
    let jEnd = j;
    while (jEnd < b.length && inSegment(b[jEnd]!)) jEnd++;
    // The other side has a segment of the other kind here.
    if (jEnd === j) return numeric ? 1 : -1;
    let left = a.slice(i, iEnd);
    let right = b.slice(j, jEnd);
    if (numeric) {
      left = left.replace(/^0+/, '');
      right = right.replace(/^0+/, '');
      if (left.length !== right.length) return left.length > right.length ? 1 : -1;
    }
    if (left !== right) return left < right ? -1 : 1;
    i = iEnd;
    j = jEnd;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isLetter(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

function isSeparator(c: string): boolean {
  return !isDigit(c) && !isLetter(c) && c !== '~' && c !== '^';
}
