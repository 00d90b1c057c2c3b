import { z } from 'zod';
import type { Severity } from '../../../scanning/model.js';
import { ExternalScannerError } from './adapter-http.js';

/**
 * A vulnerability as an external scanner reported it. A Harbor report names the package and its version only (no
 * ecosystem, no file, no source package), so this is all Berth knows of it; it is stored as the scanner said it and
 * never matched again when advisories change (Berth holds no inventory of its own for it).
 */
export interface ReportedVulnerability {
  /** The scanner's id for it (a CVE, a GHSA, a distro advisory). */
  readonly id: string;
  readonly package: string;
  readonly version: string;
  /** null when the scanner knows no fixed version. */
  readonly fixedVersion: string | null;
  readonly severity: Severity;
  /** The CVSS v3 score, else v2, when the scanner gave one. */
  readonly score: number | undefined;
  /** The first line of its description, cut. */
  readonly summary: string | undefined;
  /** http(s) links to fuller descriptions. */
  readonly links: readonly string[];
}

/** Harbor's severity scale onto Berth's. */
const severityOf: Readonly<Record<string, Severity>> = {
  unknown: 'UNKNOWN', negligible: 'NEGLIGIBLE', low: 'LOW', medium: 'MEDIUM', high: 'HIGH', critical: 'CRITICAL',
};

/** Bounds on what one report may bring, so a broken adapter cannot fill the database. */
const maxVulnerabilities = 200_000;
const maxSummaryChars = 500;
const maxLinks = 10;
const maxLinkChars = 2_000;

const shortText = z.string().max(1_000);
const score = z.number().finite().min(0).max(10);
const reportBody = z.object({
  artifact: z.object({ repository: z.string().optional(), digest: z.string().optional() }).passthrough().optional(),
  vulnerabilities: z.array(z.object({
    id: shortText.min(1),
    package: shortText.min(1),
    version: shortText.default(''),
    fix_version: shortText.optional().nullable(),
    severity: z.string().max(40).optional().nullable(),
    description: z.string().optional().nullable(),
    links: z.array(z.unknown()).optional().nullable(),
    preferred_cvss: z.object({ score_v3: score.optional().nullable(), score_v2: score.optional().nullable() }).passthrough().optional().nullable(),
  }).passthrough()).max(maxVulnerabilities).nullable().default([]),
}).passthrough();

/**
 * A Harbor vulnerability report (`application/vnd.security.vulnerability.report; version=1.1` or
 * `application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0`: the same body) as Berth's findings. A
 * report about another artifact than the one asked for is refused; the same vulnerability listed twice for one
 * package and version is kept once.
 */
export function translateReport(scanner: string, digest: string, body: unknown): ReportedVulnerability[] {
  const parsed = reportBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ExternalScannerError(scanner, 'invalid', `external scanner ${scanner} sent a report Berth cannot read (${issue.path.join('.') || 'body'}: ${issue.message})`);
  }
  const reported = parsed.data.artifact?.digest;
  if (reported !== undefined && reported !== '' && reported !== digest) {
    throw new ExternalScannerError(scanner, 'invalid', `external scanner ${scanner} sent the report of ${reported.slice(0, 80)} when asked for ${digest}`);
  }
  const seen = new Map<string, ReportedVulnerability>();
  for (const item of parsed.data.vulnerabilities ?? []) {
    const key = `${item.id}\u0000${item.package}\u0000${item.version}`;
    if (seen.has(key)) continue;
    const fix = item.fix_version?.trim();
    const preferred = item.preferred_cvss?.score_v3 ?? item.preferred_cvss?.score_v2 ?? undefined;
    seen.set(key, {
      id: item.id, package: item.package, version: item.version, fixedVersion: fix ? fix : null,
      severity: severityOf[(item.severity ?? '').toLowerCase()] ?? 'UNKNOWN',
      score: preferred ?? undefined,
      summary: summaryOf(item.description ?? undefined),
      links: linksOf(item.links ?? []),
    });
  }
  return [...seen.values()];
}

function summaryOf(description: string | undefined): string | undefined {
  const line = description?.trim().split('\n')[0]?.trim();
  if (!line) return undefined;
  return line.length > maxSummaryChars ? `${line.slice(0, maxSummaryChars)}…` : line;
}

/** Only absolute http(s) links: the UI makes them clickable, so nothing else (javascript:, data:) gets through. */
function linksOf(links: readonly unknown[]): string[] {
  const kept: string[] = [];
  for (const link of links) {
    if (typeof link !== 'string' || link.length > maxLinkChars) continue;
    try {
      const url = new URL(link);
      if (url.protocol === 'https:' || url.protocol === 'http:') kept.push(url.href);
    } catch {
      // Not a URL: left out.
    }
    if (kept.length === maxLinks) break;
  }
  return kept;
}
