import type { VersionOrder } from '../model.js';

/**
 * Debian's version order (`man deb-version`), the one `dpkg --compare-versions` applies, for Debian and Ubuntu
 * packages: `[epoch:]upstream[-revision]`, the revision being what follows the LAST hyphen. Epochs compare as
 * numbers, then upstream, then revision (a missing revision equals `0`). Versions come from image files and feeds,
 * so a string dpkg would warn about or refuse is no version here: it sorts before every version, by code unit.
 */
export const dpkgOrder: VersionOrder = {
  compare(a, b) {
    const left = parseDebianVersion(a);
    const right = parseDebianVersion(b);
    if (left && right) return compareDebianVersions(left, right);
    if (left) return 1;
    if (right) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  },
  isValid: (version) => parseDebianVersion(version) !== undefined,
};

interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** Longer strings are refused: real versions stay far below it, and it bounds the work of one comparison. */
const maxVersionLength = 256;
/** dpkg refuses epochs above INT_MAX ("epoch in version is too big"). */
const maxEpoch = 2_147_483_647;
// Both sets are dpkg's own (parseversion): it warns about any other character. A colon can only appear after an
// epoch, because the epoch ends at the first colon.
const upstreamPattern = /^[0-9][A-Za-z0-9.+~:-]*$/;
const revisionPattern = /^[A-Za-z0-9.+~]+$/;

function parseDebianVersion(version: string): DebianVersion | undefined {
  if (version.length === 0 || version.length > maxVersionLength) return undefined;
  const colon = version.indexOf(':');
  let epoch = 0;
  if (colon >= 0) {
    const epochText = version.slice(0, colon);
    if (!/^[0-9]+$/.test(epochText)) return undefined;
    epoch = Number(epochText);
    if (epoch > maxEpoch) return undefined;
  }
  const rest = version.slice(colon + 1);
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (!upstreamPattern.test(upstream)) return undefined;
  if (hyphen >= 0 && !revisionPattern.test(revision)) return undefined;
  return { epoch, upstream, revision };
}

function compareDebianVersions(a: DebianVersion, b: DebianVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return Math.sign(comparePart(a.upstream, b.upstream) || comparePart(a.revision, b.revision));
}

/**
 * dpkg's verrevcmp: alternating runs of non-digits and digits. Non-digits compare character by character with
 * `~` before the end of the run, the end before letters, letters before everything else; digit runs compare as
 * numbers (an empty run is 0), so leading zeros do not count.
 */
function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const difference = weight(a.charCodeAt(i)) - weight(b.charCodeAt(j));
      if (difference !== 0) return difference;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === zero) i++;
    while (b.charCodeAt(j) === zero) j++;
    let firstDifference = 0;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDifference === 0) firstDifference = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDifference !== 0) return firstDifference;
  }
  return 0;
}

const zero = 0x30;
const tilde = 0x7e;

function isDigit(code: number): boolean {
  return code >= zero && code <= 0x39;
}

function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** A character's weight in a non-digit run; past the end of the string (NaN) and digits weigh 0, like the end. */
function weight(code: number): number {
  if (Number.isNaN(code) || isDigit(code)) return 0;
  if (isLetter(code)) return code;
  if (code === tilde) return -1;
  return code + 256;
}
