import { countFindings, type ImageFinding, type NamedPackage, type NewFinding } from '../../metadata/scan-store.js';
import { AdvisoryIndex } from '../../scanning/osv/advisory-index.js';
import { matchInventory } from '../../scanning/osv/matcher.js';
import type { OsvRecord } from '../../scanning/osv/osv-record.js';

/** One image whose findings of the changed advisories differ from what it had. */
export interface ChangedImage {
  readonly digest: string;
  readonly finishedAt: number;
  /** Its findings of the changed advisories now. */
  readonly findings: readonly NewFinding[];
  /** Those of them that are critical and were not before: news for those who run the image. */
  readonly newCritical: readonly string[];
  readonly delta: ReturnType<typeof countFindings>;
  /** Whether it had findings of the changed advisories before. */
  readonly hadFindings: boolean;
}

/**
 * Matches changed advisories against stored inventories as sets: an advisory's verdict depends only on a package's
 * ecosystem, kind, match name and version, so each distinct package version is matched once however many images
 * hold it (a new OpenSSL advisory meets 100,000 images holding a handful of versions). Answers only the images
 * whose findings of `records`' ids (and of `removedIds`, withdrawn or gone) differ from `before`.
 */
export function rematchImages(records: readonly OsvRecord[], packages: readonly NamedPackage[], before: readonly ImageFinding[]): ChangedImage[] {
  const index = new AdvisoryIndex();
  for (const record of records) index.add(record);
  const verdicts = new Map<string, readonly { advisoryId: string; fixedVersion: string | null; severity: NewFinding['severity']; score: number | undefined }[]>();
  const after = new Map<string, { finishedAt: number; findings: NewFinding[] }>();
  for (const pkg of packages) {
    const variant = `${pkg.ecosystem}\u0000${pkg.kind}\u0000${pkg.matchName}\u0000${pkg.version}\u0000${pkg.sourceVersion ?? ''}`;
    let matched = verdicts.get(variant);
    if (matched === undefined) {
      matched = records.length === 0 ? [] : matchInventory({
        packages: [{
          kind: pkg.kind, ecosystem: pkg.ecosystem, name: pkg.matchName, sourceName: pkg.matchName, version: pkg.version,
          ...(pkg.sourceVersion === undefined ? {} : { sourceVersion: pkg.sourceVersion }), purl: '', path: '',
        }],
      }, index).map((found) => ({ advisoryId: found.id, fixedVersion: found.fixedVersion, severity: found.severity, score: found.score }));
      verdicts.set(variant, matched);
    }
    const image = after.get(pkg.digest) ?? { finishedAt: pkg.finishedAt, findings: [] };
    after.set(pkg.digest, image);
    for (const found of matched) {
      image.findings.push({ advisoryId: found.advisoryId, packageSeq: pkg.seq, fixedVersion: found.fixedVersion, severity: found.severity, score: found.score });
    }
  }
  const had = new Map<string, ImageFinding[]>();
  for (const finding of before) {
    const list = had.get(finding.digest) ?? [];
    had.set(finding.digest, list);
    list.push(finding);
  }
  const changed: ChangedImage[] = [];
  for (const digest of new Set([...after.keys(), ...had.keys()])) {
    const then = had.get(digest) ?? [];
    const findings = after.get(digest)?.findings ?? [];
    if (sameFindings(findings, then)) continue;
    // An image the changed advisories no longer name any package of keeps none of their findings.
    const finishedAt = after.get(digest)?.finishedAt ?? then[0]!.finishedAt;
    const known = new Set(then.filter((finding) => finding.severity === 'CRITICAL').map((finding) => `${finding.advisoryId}\u0000${finding.packageSeq}`));
    const newCritical = [...new Set(findings.filter((finding) => finding.severity === 'CRITICAL' && !known.has(`${finding.advisoryId}\u0000${finding.packageSeq}`))
      .map((finding) => finding.advisoryId))].sort();
    const gained = countFindings(findings);
    const lost = countFindings(then);
    changed.push({
      digest, finishedAt, findings, newCritical, hadFindings: then.length > 0,
      delta: {
        critical: gained.critical - lost.critical, high: gained.high - lost.high, medium: gained.medium - lost.medium,
        low: gained.low - lost.low, other: gained.other - lost.other, fixable: gained.fixable - lost.fixable,
      },
    });
  }
  return changed;
}

/** Whether two lists hold the same findings, whatever their order. */
export function sameFindings(a: readonly NewFinding[], b: readonly NewFinding[]): boolean {
  if (a.length !== b.length) return false;
  // Most images hold one package version an advisory names: compared field by field, without keys or sorting.
  if (a.length === 1) return sameFinding(a[0]!, b[0]!);
  const key = (finding: NewFinding) => `${finding.advisoryId}\u0000${finding.packageSeq}\u0000${finding.severity}\u0000${finding.fixedVersion}\u0000${finding.score}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.every((value, at) => value === right[at]);
}

function sameFinding(a: NewFinding, b: NewFinding): boolean {
  return a.advisoryId === b.advisoryId && a.packageSeq === b.packageSeq && a.severity === b.severity && a.fixedVersion === b.fixedVersion
    && a.score === b.score;
}
