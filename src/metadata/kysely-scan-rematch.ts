import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { vulnerabilityFoundEvent } from '../events/registry-event.js';
import type { PackageKind } from '../scanning/model.js';
import type { Database } from './database-schema.js';
import { toEventRow } from './event-rows.js';
import type { AdvisoryRematch, ImageKeyRange, PackageKey, RangeRematch, RematchScope, VariantFinding } from './scan-store.js';
import { slices } from './slices.js';

/**
 * A feed change matched again as sets, in SQL (ScanStore.rematchScope and rematchRange). A new advisory may name a
 * package 100,000 images hold: their rows never pass through JavaScript. JavaScript matches each distinct package
 * version once; SQL joins those verdicts to the inventories, compares them with the stored findings, and writes
 * only the images whose findings changed. Everything here runs on SQLite and PostgreSQL alike.
 */

/** Verdicts and advisory ids per statement: 9 variables a verdict stays far below either database's bound. */
const chunkFindings = 1_000;
const chunkIds = 1_000;
/** Images per write statement. */
const imagesPerWrite = 1_000;

export async function rematchScope(db: Kysely<Database>, packages: readonly PackageKey[], advisoryIds: readonly string[]): Promise<RematchScope> {
  const variants: RematchScope['variants'][number][] = [];
  for (const [ecosystem, names] of byEcosystem(packages)) {
    for (const slice of slices(names)) {
      // From the index alone; a variant only images not done hold costs one verdict that joins to nothing.
      const rows = await db.selectFrom('scan_packages')
        .select((eb) => ['kind', 'match_name', 'version', 'source_version', eb.fn.countAll<number>().as('packages')])
        .where('ecosystem', '=', ecosystem).where('match_name', 'in', slice)
        .groupBy(['match_name', 'version', 'kind', 'source_version'])
        .execute();
      for (const row of rows) {
        variants.push({
          ecosystem, kind: row.kind as PackageKind, matchName: row.match_name, version: row.version, sourceVersion: row.source_version,
          packages: Number(row.packages),
        });
      }
    }
  }
  let findings = 0;
  for (const slice of slices([...new Set(advisoryIds)])) {
    const row = await db.selectFrom('scan_findings').select((eb) => eb.fn.countAll<number>().as('count')).where('advisory_id', 'in', slice).executeTakeFirstOrThrow();
    findings += Number(row.count);
  }
  const keys = await db.selectFrom('scan_reports').select((eb) => [eb.fn.min('image_id').as('first'), eb.fn.max('image_id').as('last')]).executeTakeFirst();
  const imageKeys = keys?.first === null || keys?.first === undefined ? undefined : { first: Number(keys.first), last: Number(keys.last) };
  return { variants, findings, imageKeys };
}

export async function rematchRange(trx: Transaction<Database>, rematch: AdvisoryRematch, range: ImageKeyRange, now: number): Promise<RangeRematch> {
  let written = 0;
  const gained = new Map<number, Set<string>>();
  for (const chunk of chunks(rematch)) {
    // Per changed image, what its counts gain and lose (one row each), and the critical advisories it gains (a row each).
    const rows = await sql<MovedRow>`${withMatches(chunk, range)},
      moved AS (SELECT image_id, severity, fixed_version, 1 AS sign FROM gained UNION ALL SELECT image_id, severity, fixed_version, -1 AS sign FROM lost)
      SELECT image_id, CAST(NULL AS TEXT) AS advisory,
        SUM(CASE WHEN severity = 'CRITICAL' THEN sign ELSE 0 END) AS critical, SUM(CASE WHEN severity = 'HIGH' THEN sign ELSE 0 END) AS high,
        SUM(CASE WHEN severity = 'MEDIUM' THEN sign ELSE 0 END) AS medium, SUM(CASE WHEN severity = 'LOW' THEN sign ELSE 0 END) AS low,
        SUM(CASE WHEN severity IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW') THEN 0 ELSE sign END) AS other,
        SUM(CASE WHEN fixed_version IS NULL THEN 0 ELSE sign END) AS fixable
      FROM moved GROUP BY image_id
      UNION ALL
      SELECT DISTINCT g.image_id, g.advisory_id, 0, 0, 0, 0, 0, 0 FROM gained g
      WHERE g.severity = 'CRITICAL' AND NOT EXISTS (
        SELECT 1 FROM old o WHERE o.image_id = g.image_id AND o.advisory_id = g.advisory_id AND o.severity = 'CRITICAL')`.execute(trx);
    // Images of a rematch mostly move alike (they hold the same package versions): one update per distinct move.
    const moves = new Map<string, { move: Record<'critical' | 'high' | 'medium' | 'low' | 'other' | 'fixable', number>; images: number[] }>();
    const changed: number[] = [];
    for (const row of rows.rows) {
      const image = Number(row.image_id);
      if (row.advisory !== null) {
        const advisories = gained.get(image) ?? new Set<string>();
        gained.set(image, advisories);
        advisories.add(row.advisory);
        continue;
      }
      const move = { critical: Number(row.critical), high: Number(row.high), medium: Number(row.medium), low: Number(row.low), other: Number(row.other), fixable: Number(row.fixable) };
      const key = Object.values(move).join(',');
      const group = moves.get(key) ?? { move, images: [] };
      moves.set(key, group);
      group.images.push(image);
      changed.push(image);
    }
    for (const { move, images } of moves.values()) {
      for (const slice of slices(images.sort((a, b) => a - b), imagesPerWrite)) {
        await trx.updateTable('scan_reports').set((eb) => ({
          critical: eb('critical', '+', move.critical), high: eb('high', '+', move.high), medium: eb('medium', '+', move.medium),
          low: eb('low', '+', move.low), other: eb('other', '+', move.other), fixable: eb('fixable', '+', move.fixable), matched_at: now,
        })).where('image_id', 'in', slice).execute();
      }
    }
    changed.sort((a, b) => a - b);
    for (const images of slices(changed, imagesPerWrite)) {
      await trx.deleteFrom('scan_findings').where('image_id', 'in', images).where('advisory_id', 'in', chunk.ids).where('reported_by', 'is', null).execute();
      if (chunk.findings.length > 0) {
        await sql`${withMatches(chunk, range)}
          INSERT INTO scan_findings (image_id, advisory_id, package_seq, fixed_version, severity, score, reported_by, package_name, package_version, summary, links)
          SELECT image_id, advisory_id, package_seq, fixed_version, severity, score, NULL, NULL, NULL, NULL, NULL
          FROM matched WHERE image_id IN (${list(images)})`.execute(trx);
      }
    }
    written += changed.length;
  }
  return { written, critical: await criticalNews(trx, gained, now) };
}

/** A row of a chunk's comparison: an image's count moves (advisory null), or a critical advisory it gains. */
interface MovedRow {
  readonly image_id: number | string;
  readonly advisory: string | null;
  readonly critical: number | string;
  readonly high: number | string;
  readonly medium: number | string;
  readonly low: number | string;
  readonly other: number | string;
  readonly fixable: number | string;
}

/** The changed advisories in pieces small enough for one statement's variables, each advisory with all its verdicts. */
function chunks(rematch: AdvisoryRematch): { ids: string[]; findings: VariantFinding[] }[] {
  const byAdvisory = new Map<string, VariantFinding[]>();
  for (const id of [...new Set(rematch.advisoryIds)].sort()) byAdvisory.set(id, []);
  for (const finding of rematch.findings) byAdvisory.get(finding.advisoryId)?.push(finding);
  const pieces: { ids: string[]; findings: VariantFinding[] }[] = [];
  let piece: { ids: string[]; findings: VariantFinding[] } = { ids: [], findings: [] };
  for (const [id, findings] of byAdvisory) {
    if (piece.ids.length > 0 && (piece.ids.length >= chunkIds || piece.findings.length + findings.length > chunkFindings)) {
      pieces.push(piece);
      piece = { ids: [], findings: [] };
    }
    piece.ids.push(id);
    piece.findings.push(...findings);
  }
  if (piece.ids.length > 0) pieces.push(piece);
  return pieces;
}

/** The verdicts as a table, `verdict`; with none, an empty one of the same columns. */
function withVerdicts(findings: readonly VariantFinding[]): RawBuilder<unknown> {
  if (findings.length === 0) {
    return sql`WITH verdict (ecosystem, kind, match_name, version, source_version, advisory_id, fixed_version, severity, score) AS (
      SELECT CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT),
        CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS REAL) WHERE 1 = 0)`;
  }
  // Typed, so that PostgreSQL compares the score as the stored `real` and not as a double the column never held.
  const rows = findings.map((f) => sql`(${f.ecosystem}, ${f.kind}, ${f.matchName}, ${f.version}, CAST(${f.sourceVersion} AS TEXT), ${f.advisoryId},
    CAST(${f.fixedVersion} AS TEXT), ${f.severity}, CAST(${f.score ?? null} AS REAL))`);
  return sql`WITH verdict (ecosystem, kind, match_name, version, source_version, advisory_id, fixed_version, severity, score) AS (VALUES ${sql.join(rows)})`;
}

/**
 * The tables a chunk is compared by, each made once (MATERIALIZED: left to itself, SQLite plans the comparison by
 * reading every package of the range's images rather than seeking each verdict's packages), for images of `range`
 * whose scan is done (bounded by >= and <=: SQLite seeks a BETWEEN joined to another table by its lower bound only,
 * and read every later package of the variant): `matched`, the findings the verdicts give their packages; `old`, Berth's own stored findings of
 * the chunk's advisories; `gained` and `lost`, what is in one and not the other (a finding whose severity, fix or
 * score changed is in both).
 */
function withMatches(chunk: { ids: readonly string[]; findings: readonly VariantFinding[] }, range: ImageKeyRange): RawBuilder<unknown> {
  return sql`${withVerdicts(chunk.findings)},
    matched AS MATERIALIZED (
      SELECT p.image_id, v.advisory_id, p.seq AS package_seq, v.fixed_version, v.severity, v.score
      FROM verdict v JOIN scan_packages p ON p.ecosystem = v.ecosystem AND p.match_name = v.match_name AND p.version = v.version
        AND p.kind = v.kind AND p.source_version IS NOT DISTINCT FROM v.source_version
      JOIN scan_reports r ON r.image_id = p.image_id
      WHERE p.image_id >= ${range.first} AND p.image_id <= ${range.last} AND r.status = 'done'),
    old AS MATERIALIZED (
      SELECT f.image_id, f.advisory_id, f.package_seq, f.fixed_version, f.severity, f.score
      FROM scan_findings f JOIN scan_reports r ON r.image_id = f.image_id
      WHERE f.advisory_id IN (${list(chunk.ids)}) AND f.image_id >= ${range.first} AND f.image_id <= ${range.last} AND f.reported_by IS NULL
        AND r.status = 'done'),
    gained AS (SELECT * FROM matched EXCEPT SELECT * FROM old),
    lost AS (SELECT * FROM old EXCEPT SELECT * FROM matched)`;
}

/** A `vulnerability.found` event per image that gained critical advisories, in each repository holding it. */
async function criticalNews(trx: Transaction<Database>, gained: ReadonlyMap<number, ReadonlySet<string>>, now: number): Promise<RangeRematch['critical']> {
  const news: { digest: string; advisories: string[]; repositories: string[] }[] = [];
  for (const images of slices([...gained.keys()].sort((a, b) => a - b), imagesPerWrite)) {
    const rows = await trx.selectFrom('scan_reports as r').leftJoin('repository_manifests as m', 'm.digest', 'r.digest')
      .select(['r.image_id', 'r.digest', 'r.critical', 'm.repository']).where('r.image_id', 'in', images).orderBy('r.image_id').orderBy('m.repository').execute();
    const events = [];
    for (const row of rows) {
      let image = news.at(-1);
      if (image?.digest !== row.digest) {
        image = { digest: row.digest, advisories: [...gained.get(Number(row.image_id))!].sort(), repositories: [] };
        news.push(image);
      }
      if (row.repository === null) continue;
      image.repositories.push(row.repository);
      events.push(toEventRow(vulnerabilityFoundEvent(row.repository, row.digest, { advisories: image.advisories, critical: Number(row.critical) }, now)));
    }
    for (const slice of slices(events, 500)) await trx.insertInto('events').values(slice).execute();
  }
  return news;
}

const list = (values: readonly (string | number)[]): RawBuilder<unknown> => sql.join(values.map((value) => sql`${value}`));

/** Names grouped per ecosystem, each list sorted and without repeats. */
export function byEcosystem(keys: readonly PackageKey[]): Map<string, string[]> {
  const grouped = new Map<string, Set<string>>();
  for (const key of keys) {
    const names = grouped.get(key.ecosystem) ?? new Set<string>();
    grouped.set(key.ecosystem, names);
    names.add(key.name);
  }
  return new Map([...grouped].map(([ecosystem, names]) => [ecosystem, [...names].sort()]));
}
