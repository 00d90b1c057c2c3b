import type { VersionOrder } from '../model.js';

/**
 * Maven's version order, with the semantics of `org.apache.maven.artifact.versioning.ComparableVersion` in Maven
 * 3.8/3.9. A version is split at `.`, at `-` and where digits and letters meet; `-` and a digit/letter transition
 * open a nested list, so `1-1` is not `1.1`. Numbers compare as numbers and trailing null items (`0`, `""`, `ga`,
 * `final`, `release`) are dropped, so `1.0 = 1`. Qualifiers order `alpha < beta < milestone < rc = cr < snapshot
 * < "" (release) < sp < anything else (alphabetical)`, and `a1`, `b1`, `m1` mean `alpha-1`, `beta-1`,
 * `milestone-1`. Where ComparableVersion contradicts itself (a few odd shapes, see `Band`) this order stays
 * consistent instead. Maven takes any string; here anything but 1 to 256 printable ASCII characters is no version
 * and sorts before every version, by code unit.
 */
export const mavenOrder: VersionOrder = {
  compare(a, b) {
    const left = isMavenVersion(a) ? parseMavenVersion(a) : undefined;
    const right = isMavenVersion(b) ? parseMavenVersion(b) : undefined;
    if (left && right) return compareLists(left.items, right.items);
    if (left) return 1;
    if (right) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  },
  isValid: isMavenVersion,
};

type Item = NumberItem | QualifierItem | ListItem;
interface NumberItem {
  kind: 'number';
  value: bigint;
  /** Whether the items after it sort below (-1), level with (0) or above (1) nothing; set when settled. */
  rest: number;
}
interface QualifierItem {
  kind: 'qualifier';
  value: string;
  rest: number;
}
interface ListItem {
  kind: 'list';
  items: Item[];
  /** Whether the list sorts below (-1), level with (0) or above (1) nothing; set once it is normalised. */
  side: number;
}

/** Longer strings are refused: it bounds the work of one comparison and the nesting depth of a parsed version. */
const maxVersionLength = 256;

function isMavenVersion(version: string): boolean {
  return version.length <= maxVersionLength && /^[\x21-\x7e]+$/.test(version);
}

function parseMavenVersion(text: string): ListItem {
  const version = text.toLowerCase();
  const root: ListItem = { kind: 'list', items: [], side: 0 };
  // Every list opened, outermost first; each is the last item of the one before it.
  const lists = [root];
  let list = root;
  const openList = (): void => {
    const nested: ListItem = { kind: 'list', items: [], side: 0 };
    list.items.push(nested);
    lists.push(nested);
    list = nested;
  };
  let inDigits = false;
  let start = 0;
  for (let i = 0; i < version.length; i++) {
    const c = version[i]!;
    if (c === '.' || c === '-') {
      list.items.push(i === start ? number('0') : parseItem(inDigits, version.slice(start, i)));
      start = i + 1;
      if (c === '-') openList();
    } else if (isDigit(c)) {
      if (!inDigits && i > start) {
        // A qualifier followed by digits (`rc1`) starts a list of its own: 1.0.0.x1 < 1.0.0-x2.
        if (list.items.length > 0) openList();
        list.items.push(qualifier(version.slice(start, i), true));
        start = i;
        openList();
      }
      inDigits = true;
    } else {
      if (inDigits && i > start) {
        list.items.push(parseItem(true, version.slice(start, i)));
        start = i;
        openList();
      }
      inDigits = false;
    }
  }
  if (version.length > start) {
    // A trailing qualifier after a dot counts as after a hyphen: `1.x` = `1-x`.
    if (!inDigits && list.items.length > 0) openList();
    list.items.push(parseItem(inDigits, version.slice(start)));
  }
  // Innermost first, so a list emptied by normalising is itself null in its parent, and a list's side is known
  // before its parent's is worked out.
  for (let i = lists.length - 1; i >= 0; i--) {
    normalize(lists[i]!);
    settle(lists[i]!);
  }
  return root;
}

function parseItem(digits: boolean, text: string): Item {
  return digits ? number(text) : qualifier(text, false);
}

function number(digits: string): NumberItem {
  return { kind: 'number', value: BigInt(digits), rest: 0 };
}

const qualifierAliases = new Map([['ga', ''], ['final', ''], ['release', ''], ['cr', 'rc']]);
const shortQualifiers = new Map([['a', 'alpha'], ['b', 'beta'], ['m', 'milestone']]);

function qualifier(text: string, followedByDigit: boolean): QualifierItem {
  const value = (followedByDigit ? shortQualifiers.get(text) : undefined) ?? text;
  return { kind: 'qualifier', value: qualifierAliases.get(value) ?? value, rest: 0 };
}

/** Drops trailing null items, looking past nested lists (which may hold more items than their null tail). */
function normalize(list: ListItem): void {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const item = list.items[i]!;
    if (isNull(item)) list.items.splice(i, 1);
    else if (item.kind !== 'list') break;
  }
}

/** Works out, from the last item to the first, where the items after each one and the list itself sit against nothing. */
function settle(list: ListItem): void {
  let rest = 0;
  for (let i = list.items.length - 1; i >= 0; i--) {
    const item = list.items[i]!;
    if (item.kind !== 'list') item.rest = rest;
    rest = compareItems(item, undefined) || rest;
  }
  list.side = rest;
}

function isNull(item: Item): boolean {
  if (item.kind === 'number') return item.value === 0n;
  if (item.kind === 'qualifier') return item.value === '';
  return item.items.length === 0;
}

const knownQualifiers = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const releaseKey = String(knownQualifiers.indexOf(''));

/** Maven's sort key of a qualifier: its index when known, else "7-" and itself, so unknown ones follow `sp`. */
function qualifierKey(value: string): string {
  const index = knownQualifiers.indexOf(value);
  return index === -1 ? `${knownQualifiers.length}-${value}` : String(index);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Where an item sits among all others; items in one band compare by value. Maven ranks items by kind (a number beats
 * a list, a list beats a qualifier) but also compares each with nothing (`undefined`: the shorter version padded),
 * and the two disagree, so ComparableVersion has cycles: `1.0.0.beta-2 < 1 < 1.0-1 < 1.0.0.beta-2` (a number beats
 * a list), `1-alpha < 1 < 1.sp.1 < 1-alpha` (a list beats a qualifier). Sorting, or finding the lowest fixed
 * version, needs a consistent order, so these bands follow Maven except where it contradicts itself: an item level
 * with nothing (a 0, the release qualifier) sits where the items after it sit, so `1.0.2` still beats `1.0-1` but
 * `1.0.0.beta-2` stays below it, and a list below nothing sits below the qualifiers that are not.
 */
const Band = {
  PreRelease: 0, ReleaseBelowNothing: 1, ListBelowNothing: 2, ZeroBelowNothing: 3, Nothing: 4, ReleaseAboveNothing: 5, PostRelease: 6,
  ListAboveNothing: 7, Number: 8,
} as const;

function band(item: Item | undefined): number {
  if (item === undefined) return Band.Nothing;
  switch (item.kind) {
    case 'number':
      if (item.value > 0n || item.rest > 0) return Band.Number;
      return item.rest < 0 ? Band.ZeroBelowNothing : Band.Nothing;
    case 'qualifier': {
      const order = compareStrings(qualifierKey(item.value), releaseKey);
      if (order !== 0) return order < 0 ? Band.PreRelease : Band.PostRelease;
      return item.rest < 0 ? Band.ReleaseBelowNothing : item.rest > 0 ? Band.ReleaseAboveNothing : Band.Nothing;
    }
    case 'list':
      return item.side < 0 ? Band.ListBelowNothing : item.side === 0 ? Band.Nothing : Band.ListAboveNothing;
  }
}

/** Two items, either of which may be nothing (the shorter version padded). */
function compareItems(a: Item | undefined, b: Item | undefined): number {
  const bandOrder = band(a) - band(b);
  if (bandOrder !== 0) return Math.sign(bandOrder);
  if (a?.kind === 'number' && b?.kind === 'number') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  if (a?.kind === 'qualifier' && b?.kind === 'qualifier') return compareStrings(qualifierKey(a.value), qualifierKey(b.value));
  if (a?.kind === 'list' && b?.kind === 'list') return compareLists(a.items, b.items);
  // Nothing, the release qualifier, a 0 with nothing after it and an empty list are all level with nothing.
  return 0;
}

function compareLists(a: Item[], b: Item[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const order = compareItems(a[i], b[i]);
    if (order !== 0) return order;
  }
  return 0;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
