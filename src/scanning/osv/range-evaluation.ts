import type { VersionOrder } from '../model.js';
import { eventParts, type OsvAffected, type OsvEventKind, type OsvRange } from './osv-record.js';

/**
 * Whether an installed version is affected, by the "Evaluation" section of the OSV schema: it is if `versions`
 * lists it or any ECOSYSTEM or SEMVER range holds it. A range holds a version when it is below one of the range's
 * limits (or there is none) and, walking the events sorted by version with `introduced: "0"` first, the last event
 * at or below it opened the range: `introduced <= v` opens, `fixed <= v` closes, `last_affected < v` closes.
 */

/** The orders the two evaluable range types compare with: the package's ecosystem's, and SemVer 2.0 for SEMVER ranges. */
export interface RangeOrders {
  readonly ecosystem: VersionOrder;
  readonly semver: VersionOrder;
}

export interface AffectedVerdict {
  readonly affected: boolean;
  /** The lowest `fixed` above the installed version among the ranges that hold it; null when only `versions`
   *  listed it or no holding range has a fix. */
  readonly fixedVersion: string | null;
}

/** What one range says of a version; `unevaluable` when a bound is no version of the range's order. */
export type RangeVerdict = { readonly holds: boolean; readonly fixed: string | undefined } | 'unevaluable';

// At equal versions an `introduced` goes first, so `introduced: X, fixed: X` is an empty range, not an open one.
const tieRank: Record<OsvEventKind, number> = { introduced: 0, last_affected: 1, fixed: 2, limit: 3 };

/**
 * One range against one installed version (which the caller has checked is valid in `order`). A bound the order
 * cannot read makes the whole range unevaluable: comparing junk would give an arbitrary answer, and dropping just
 * that event could turn a closed range into an open one.
 */
export function evaluateRange(installed: string, range: OsvRange, order: VersionOrder): RangeVerdict {
  const events = range.events.map(eventParts);
  for (const { kind, version } of events) {
    const special = (kind === 'introduced' && version === '0') || (kind === 'limit' && version === '*');
    if (!special && !order.isValid(version)) return 'unevaluable';
  }
  const limits = events.filter((event) => event.kind === 'limit');
  if (limits.length > 0 && !limits.some(({ version }) => version === '*' || order.compare(installed, version) < 0)) return { holds: false, fixed: undefined };
  const isZero = (event: { kind: OsvEventKind; version: string }) => event.kind === 'introduced' && event.version === '0';
  const sorted = events.filter((event) => event.kind !== 'limit').sort((a, b) => {
    if (isZero(a) || isZero(b)) return Number(isZero(b)) - Number(isZero(a));
    return order.compare(a.version, b.version) || tieRank[a.kind] - tieRank[b.kind];
  });
  let holds = false;
  let fixed: string | undefined;
  for (const event of sorted) {
    if (event.kind === 'introduced') {
      if (isZero(event) || order.compare(installed, event.version) >= 0) holds = true;
    } else if (event.kind === 'fixed') {
      if (order.compare(installed, event.version) >= 0) holds = false;
      // Sorted, so the first fix above the installed version is the lowest one.
      else fixed ??= event.version;
    } else if (order.compare(installed, event.version) > 0) {
      holds = false;
    }
  }
  return { holds, fixed: holds ? fixed : undefined };
}

/** An installed version against the affected entries of one record that name its package. */
export function evaluateAffected(installed: string, entries: readonly OsvAffected[], orders: RangeOrders): AffectedVerdict {
  let inRange = false;
  let fixedVersion: string | null = null;
  for (const entry of entries) {
    for (const range of entry.ranges) {
      const order = range.type === 'SEMVER' ? orders.semver : orders.ecosystem;
      if (!order.isValid(installed)) continue;
      const verdict = evaluateRange(installed, range, order);
      if (verdict === 'unevaluable' || !verdict.holds) continue;
      inRange = true;
      if (verdict.fixed !== undefined && (fixedVersion === null || isLower(verdict.fixed, fixedVersion, orders))) fixedVersion = verdict.fixed;
    }
  }
  if (inRange) return { affected: true, fixedVersion };
  return { affected: entries.some((entry) => listsVersion(entry.versions, installed, orders.ecosystem)), fixedVersion: null };
}

/** `versions` lists exact strings, but a list written `1.10` still names an installed `1.10.0` where the order says they are equal. */
function listsVersion(versions: readonly string[], installed: string, order: VersionOrder): boolean {
  if (versions.includes(installed)) return true;
  if (!order.isValid(installed)) return false;
  return versions.some((listed) => order.isValid(listed) && order.compare(listed, installed) === 0);
}

/** Whether fix `a` is below fix `b`, in the ecosystem's order when it reads both, else in SemVer's. */
function isLower(a: string, b: string, orders: RangeOrders): boolean {
  const order = orders.ecosystem.isValid(a) && orders.ecosystem.isValid(b) ? orders.ecosystem : orders.semver;
  return order.isValid(a) && order.isValid(b) && order.compare(a, b) < 0;
}
