import type { ImageKeyRange, NewFinding, PackageVariant, VariantFinding } from '../../metadata/scan-store.js';
import { AdvisoryIndex } from '../../scanning/osv/advisory-index.js';
import { matchInventory } from '../../scanning/osv/matcher.js';
import type { OsvRecord } from '../../scanning/osv/osv-record.js';

/**
 * Matches changed advisories against the distinct package versions of the stored inventories: an advisory's verdict
 * depends only on a package's ecosystem, kind, match name and version, so each is matched once however many images
 * hold it (a new OpenSSL advisory meets 100,000 images holding a handful of versions). The store joins the verdicts
 * to the images (ScanStore.rematchRange). At most one finding per variant and advisory.
 */
export function matchVariants(records: readonly OsvRecord[], variants: readonly PackageVariant[]): VariantFinding[] {
  if (records.length === 0) return [];
  const index = new AdvisoryIndex();
  for (const record of records) index.add(record);
  const findings: VariantFinding[] = [];
  for (const variant of variants) {
    const matched = matchInventory({
      packages: [{
        kind: variant.kind, ecosystem: variant.ecosystem, name: variant.matchName, sourceName: variant.matchName, version: variant.version,
        ...(variant.sourceVersion === null ? {} : { sourceVersion: variant.sourceVersion }), purl: '', path: '',
      }],
    }, index);
    const seen = new Set<string>();
    for (const found of matched) {
      if (seen.has(found.id)) continue;
      seen.add(found.id);
      const { ecosystem, kind, matchName, version, sourceVersion } = variant;
      findings.push({ ecosystem, kind, matchName, version, sourceVersion, advisoryId: found.id, fixedVersion: found.fixedVersion, severity: found.severity, score: found.score });
    }
  }
  return findings;
}

/**
 * Ranges of image keys that split `rows` rows spread over the images `keys` into pieces of about `perRange` (as
 * even as the keys are: those of images scanned since are as many as the images).
 */
export function imageRanges(keys: ImageKeyRange | undefined, rows: number, perRange: number): ImageKeyRange[] {
  if (keys === undefined) return [];
  const span = keys.last - keys.first + 1;
  const count = Math.max(1, Math.min(span, Math.ceil(rows / perRange)));
  const step = Math.ceil(span / count);
  const ranges: ImageKeyRange[] = [];
  for (let first = keys.first; first <= keys.last; first += step) ranges.push({ first, last: Math.min(keys.last, first + step - 1) });
  return ranges;
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
