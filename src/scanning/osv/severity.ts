import cvss from 'ae-cvss-calculator';
import type { Severity } from '../model.js';
import type { OsvAffected, OsvRecord, OsvSeverity } from './osv-record.js';

export interface SeverityRating {
  readonly severity: Severity;
  /** The CVSS base score, when the rating came from a CVSS vector. */
  readonly score?: number;
}

/**
 * How bad a matched advisory is, as Trivy rates it: the distro's own rating first (it knows how the package is
 * built and used there), then GitHub's reviewed rating, then the highest CVSS version's base score; UNKNOWN when the
 * record has none of them. `entries` are the affected entries that matched, whose own fields outrank the record's.
 */
export function rateSeverity(record: OsvRecord, entries: readonly OsvAffected[]): SeverityRating {
  const vendor = highest(entries.map(debianUrgency)) ?? highest([...entries.flatMap((entry) => entry.severity), ...record.severity].map(ubuntuPriority))
    ?? githubSeverity(record);
  if (vendor !== undefined) return { severity: vendor };
  // OSV: an affected entry's `severity` replaces the record's for that package.
  const withOwn = entries.filter((entry) => entry.severity.length > 0);
  const scores = withOwn.length > 0 ? withOwn.flatMap((entry) => entry.severity) : record.severity;
  for (const type of ['CVSS_V4', 'CVSS_V3', 'CVSS_V2']) {
    for (const entry of scores) {
      if (entry.type !== type) continue;
      const score = cvssBaseScore(entry);
      if (score !== undefined) return { severity: severityOfScore(score), score };
    }
  }
  return { severity: 'UNKNOWN' };
}

/** CVSS's qualitative scale. A 0.0 ("None") is NEGLIGIBLE, the Harbor scale's name for it. */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'NEGLIGIBLE';
}

/** The metrics a vector must set for a base score, per CVSS version; the calculator scores a partial vector as 0. */
const baseMetrics: Record<string, readonly string[]> = {
  'CVSS:4.0': ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'],
  'CVSS:3.1': ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'],
  'CVSS:3.0': ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'],
  'CVSS:2.0': ['AV', 'AC', 'Au', 'C', 'I', 'A'],
};

const calculators = { 'CVSS:4.0': cvss.Cvss4P0, 'CVSS:3.1': cvss.Cvss3P1, 'CVSS:3.0': cvss.Cvss3P0, 'CVSS:2.0': cvss.Cvss2 };
const versionsOfType: Record<string, readonly (keyof typeof calculators)[]> = { CVSS_V4: ['CVSS:4.0'], CVSS_V3: ['CVSS:3.1', 'CVSS:3.0'], CVSS_V2: ['CVSS:2.0'] };

/** The base score of a CVSS vector, or undefined when it is not a complete vector of the version its type names. */
export function cvssBaseScore(entry: OsvSeverity): number | undefined {
  // No real vector is this long; the cap keeps the calculator's work small whatever a feed holds.
  if (entry.score.length > 256) return undefined;
  const parts = entry.score.trim().split('/');
  // v2 vectors carry no prefix.
  const version = parts[0]?.startsWith('CVSS:') ? parts.shift()! : 'CVSS:2.0';
  const calculator = versionsOfType[entry.type]?.find((candidate) => candidate === version);
  if (calculator === undefined) return undefined;
  // `X` is "not defined", which base metrics may not be.
  const set = new Set(parts.filter((part) => !part.endsWith(':X')).map((part) => part.split(':')[0]));
  if (!baseMetrics[calculator]!.every((metric) => set.has(metric))) return undefined;
  try {
    const base = new calculators[calculator](entry.score.trim()).calculateScores().base;
    return typeof base === 'number' && Number.isFinite(base) && base >= 0 && base <= 10 ? base : undefined;
  } catch {
    return undefined; // the calculator throws on an unknown metric or value
  }
}

const urgencies: Record<string, Severity> = { unimportant: 'LOW', low: 'LOW', medium: 'MEDIUM', high: 'HIGH' };

/** Debian's security tracker urgency; `not yet assigned` and `end-of-life` say nothing of severity, so they fall through. */
function debianUrgency(entry: OsvAffected): Severity | undefined {
  const urgency = entry.ecosystem_specific?.urgency;
  if (typeof urgency !== 'string' || !entry.package.ecosystem.startsWith('Debian')) return undefined;
  // The tracker marks a guess with `*` ("low*").
  return urgencies[urgency.replace(/\*+$/, '').trim().toLowerCase()];
}

const ubuntuPriorities: Record<string, Severity> = { negligible: 'NEGLIGIBLE', low: 'LOW', medium: 'MEDIUM', high: 'HIGH', critical: 'CRITICAL' };

/** Ubuntu's priority, which its OSV records carry as a severity of type `Ubuntu`; `untriaged` falls through. */
function ubuntuPriority(entry: OsvSeverity): Severity | undefined {
  return entry.type === 'Ubuntu' ? ubuntuPriorities[entry.score.toLowerCase()] : undefined;
}

const githubSeverities: Record<string, Severity> = { LOW: 'LOW', MODERATE: 'MEDIUM', HIGH: 'HIGH', CRITICAL: 'CRITICAL' };

/** GitHub's reviewed rating, in `database_specific.severity` of GHSA records. */
function githubSeverity(record: OsvRecord): Severity | undefined {
  const severity = record.database_specific?.severity;
  return typeof severity === 'string' ? githubSeverities[severity.toUpperCase()] : undefined;
}

const rank: Severity[] = ['UNKNOWN', 'NEGLIGIBLE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

/** The worst of several ratings (one package can match several affected entries), or undefined when none is given. */
function highest(severities: readonly (Severity | undefined)[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const severity of severities) {
    if (severity !== undefined && (worst === undefined || rank.indexOf(severity) > rank.indexOf(worst))) worst = severity;
  }
  return worst;
}
