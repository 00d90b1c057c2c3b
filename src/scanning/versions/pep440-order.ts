import pep440 from '@renovatebot/pep440';
import type { VersionOrder } from '../model.js';

/**
 * PEP 440's version order for PyPI packages: `1.0.dev0 < 1.0a1 < 1.0b2 < 1.0rc1 < 1.0 < 1.0.post1`, `1.0 = 1.0.0`,
 * epochs (`1!0.9 > 2.0`) and the spellings PEP 440 normalises (`1.0-alpha1` = `1.0a1`, a leading `v`). The
 * public version is compared by `@renovatebot/pep440`; the local part (`+ubuntu1`) here, because the library reads
 * a local segment such as `0x1f` or `1e3` as a number, where PEP 440 reads only digit runs as numbers. A string
 * that is no PEP 440 version sorts before every version, by code unit.
 */
export const pep440Order: VersionOrder = {
  compare(a, b) {
    const left = isPep440Version(a);
    const right = isPep440Version(b);
    if (left && right) {
      const [leftPublic, leftLocal] = splitLocal(a);
      const [rightPublic, rightLocal] = splitLocal(b);
      return Math.sign(pep440.compare(leftPublic, rightPublic)) || compareLocal(leftLocal, rightLocal);
    }
    if (left) return 1;
    if (right) return -1;
    return compareStrings(a, b);
  },
  isValid: isPep440Version,
};

/** Longer strings are refused: it bounds the library's regular expression and the work of one comparison. */
const maxVersionLength = 256;

function isPep440Version(version: string): boolean {
  return version.length <= maxVersionLength && pep440.valid(version) !== null;
}

/** The public version and the local segment's parts; in a valid version only the local segment holds a `+`. */
function splitLocal(version: string): [string, string[] | undefined] {
  const plus = version.indexOf('+');
  if (plus < 0) return [version, undefined];
  return [version.slice(0, plus), version.slice(plus + 1).toLowerCase().split(/[-_.]/)];
}

/**
 * PEP 440: no local segment sorts first; then part by part, digit runs as numbers and after any other part, other
 * parts alphabetically; a shorter segment that is a prefix of the other sorts first.
 */
function compareLocal(a: string[] | undefined, b: string[] | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compareLocalPart(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return Math.sign(a.length - b.length);
}

function compareLocalPart(a: string, b: string): number {
  const aNumeric = /^[0-9]+$/.test(a);
  const bNumeric = /^[0-9]+$/.test(b);
  if (aNumeric && bNumeric) {
    const left = BigInt(a);
    const right = BigInt(b);
    return left < right ? -1 : left > right ? 1 : 0;
  }
  if (aNumeric !== bNumeric) return aNumeric ? 1 : -1;
  return compareStrings(a, b);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
