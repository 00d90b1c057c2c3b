import type { VersionOrder } from '../model.js';

/**
 * Alpine's version order, as apk-tools' `src/version.c` defines it, for Alpine, Wolfi and Chainguard packages:
 * `digits{.digits}[letter]{_suffix[N]}[~hash][-rN]`, for example `1.2.2_pre2-r0`, `1.1.1k-r0`, `20240705-r0`.
 * Versions compare token by token. When one runs out first, or the two differ in the kind of their next token, the
 * one that goes on is greater unless it goes on with a pre-release suffix (`_alpha`, `_beta`, `_pre`, `_rc`):
 * `1.0_rc1 < 1.0 < 1.0_p1 < 1.0-r1`. A string apk would reject is no version here: it sorts before every version,
 * by code unit.
 */
export const apkOrder: VersionOrder = {
  compare(a, b) {
    const left = tokenize(a);
    const right = tokenize(b);
    if (left && right) return compareTokens(left, right);
    if (left) return 1;
    if (right) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  },
  isValid: (version) => tokenize(version) !== undefined,
};

// The kinds of token in the order a version may hold them; when two versions differ in kind at the same place, the
// earlier kind is the greater version (a further number beats a letter, a letter beats a suffix, and so on).
const Kind = { InitialDigits: 0, Digits: 1, Letter: 2, Suffix: 3, SuffixNumber: 4, CommitHash: 5, Revision: 6 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface Token {
  kind: Kind;
  text: string;
  /** For suffixes, the rank below. */
  rank?: number;
}

/** Suffix ranks: pre-releases below the plain version (no suffix, rank 4), the rest above it. */
const suffixRanks = new Map([['alpha', 0], ['beta', 1], ['pre', 2], ['rc', 3], ['cvs', 5], ['svn', 6], ['git', 7], ['hg', 8], ['p', 9]]);
const noSuffixRank = 4;

/** Longer strings are refused: real versions stay far below it, and it bounds the work of one comparison. */
const maxVersionLength = 256;

function tokenize(version: string): Token[] | undefined {
  if (version.length > maxVersionLength) return undefined;
  let position = 0;
  const span = (accepts: (c: string) => boolean): string => {
    const start = position;
    while (position < version.length && accepts(version[position]!)) position++;
    return version.slice(start, position);
  };
  const first = span(isDigit);
  if (first === '') return undefined;
  const tokens: Token[] = [{ kind: Kind.InitialDigits, text: first }];
  let last: Kind = Kind.InitialDigits;
  while (position < version.length) {
    const c = version[position]!;
    let token: Token;
    if (c >= 'a' && c <= 'z') {
      if (last > Kind.Digits) return undefined;
      token = { kind: Kind.Letter, text: c };
      position++;
    } else if (c === '.' || isDigit(c)) {
      // A digit can only start here right after a suffix name (`_p1`); after digits or a letter it needs a dot.
      if (c === '.') {
        if (last > Kind.Digits) return undefined;
        position++;
      } else if (last !== Kind.Suffix) {
        return undefined;
      }
      const text = span(isDigit);
      if (text === '') return undefined;
      token = { kind: last === Kind.Suffix ? Kind.SuffixNumber : Kind.Digits, text };
    } else if (c === '_') {
      if (last > Kind.SuffixNumber) return undefined;
      position++;
      const text = span((letter) => letter >= 'a' && letter <= 'z');
      const rank = suffixRanks.get(text);
      if (rank === undefined) return undefined;
      token = { kind: Kind.Suffix, text, rank };
    } else if (c === '~') {
      if (last >= Kind.CommitHash) return undefined;
      position++;
      const text = span((digit) => isDigit(digit) || (digit >= 'a' && digit <= 'f'));
      if (text === '') return undefined;
      token = { kind: Kind.CommitHash, text };
    } else if (c === '-') {
      if (last >= Kind.Revision || version[position + 1] !== 'r') return undefined;
      position += 2;
      const text = span(isDigit);
      if (text === '') return undefined;
      token = { kind: Kind.Revision, text };
    } else {
      return undefined;
    }
    tokens.push(token);
    last = token.kind;
  }
  return tokens;
}

function compareTokens(a: Token[], b: Token[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const left = a[i];
    const right = b[i];
    if (!left || !right || left.kind !== right.kind) return compareTails(left, right);
    const order = compareToken(left, right);
    if (order !== 0) return order;
  }
  return 0;
}

/** Where the versions part: `undefined` is the end of a version, which ranks after every kind of token. */
function compareTails(left: Token | undefined, right: Token | undefined): number {
  if (left?.kind === Kind.Suffix && left.rank! < noSuffixRank) return -1;
  if (right?.kind === Kind.Suffix && right.rank! < noSuffixRank) return 1;
  const leftKind = left?.kind ?? Number.POSITIVE_INFINITY;
  const rightKind = right?.kind ?? Number.POSITIVE_INFINITY;
  return leftKind > rightKind ? -1 : leftKind < rightKind ? 1 : 0;
}

function compareToken(left: Token, right: Token): number {
  switch (left.kind) {
    case Kind.Digits:
      // A component with a leading zero (`1.02`) compares as a string, as Gentoo's rules have it; since such
      // strings start with "0" they all sort below the components without one.
      if (left.text.startsWith('0') || right.text.startsWith('0')) return compareStrings(left.text, right.text);
      return compareNumbers(left.text, right.text);
    case Kind.InitialDigits:
    case Kind.SuffixNumber:
    case Kind.Revision:
      return compareNumbers(left.text, right.text);
    case Kind.Suffix:
      return Math.sign(left.rank! - right.rank!);
    default:
      // Letters and commit hashes.
      return compareStrings(left.text, right.text);
  }
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** Digit strings as numbers of any size (apk reads them into 64 bits; no real version comes near that). */
function compareNumbers(a: string, b: string): number {
  const left = BigInt(a);
  const right = BigInt(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
