import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import { imageMediaTypes } from '../oci/media-types.js';
import type { Database } from './database-schema.js';
import type { ProjectImage, ProjectImageCursor, ProjectScanTotals, ScanReport, ScanStatus } from './scan-store.js';
import { slices } from './slices.js';

/**
 * The project vulnerability overview's queries (ScanStore.projectImages, projectScanTotals). Both start from the
 * project's rows of `repository_manifests`, a range of its primary key (`<project>` and `<project>/…`), and reach
 * each manifest and report by primary key: their cost follows the project's size, never the registry's. The order
 * (counts descending, then name) is sorted by the database over that range; a page is a keyset on it, so a page
 * neither repeats nor skips rows while scans finish.
 */

/** The report's counts in rank order: critical findings first, fixable ones last. */
const rankColumns = ['critical', 'high', 'medium', 'low', 'other', 'fixable'] as const;
/** Tags listed per image; the rest are counted. */
const tagsPerImage = 5;
/** Config media types of images (an image manifest's artifact type when it sets none of its own). */
const imageConfigTypes = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'];

type Joined = Database & { rm: Database['repository_manifests']; m: Database['manifests']; sr: Database['scan_reports'] };
type ReportRow = Database['scan_reports'];

export async function projectImages(
  db: Kysely<Database>, project: string, after: ProjectImageCursor | undefined, limit: number, toReport: (row: ReportRow) => ScanReport,
): Promise<ProjectImage[]> {
  const rows = await projectImagesQuery(db, project, after, limit).execute();
  const tags = await tagsOf(db, rows.map((row) => ({ repository: row.image_repository, digest: row.image_digest })));
  return rows.map((row) => {
    const names = tags.get(`${row.image_repository}@${row.image_digest}`) ?? [];
    return {
      repository: row.image_repository, digest: row.image_digest, pushedAt: Number(row.pushed_at),
      tags: names.slice(0, tagsPerImage), tagCount: names.length,
      // A left join: a manifest never scanned has no report row, so every report column is null.
      report: row.status === null ? undefined : toReport({ ...(row as unknown as ReportRow), digest: row.image_digest }),
    };
  });
}

/** The page's query on its own, so that a test can ask the database how it runs it. */
export function projectImagesQuery(db: Kysely<Database>, project: string, after: ProjectImageCursor | undefined, limit: number) {
  let query = projectImageRows(db, project)
    .select(['rm.repository as image_repository', 'rm.digest as image_digest', 'rm.created_at as pushed_at'])
    .selectAll('sr');
  if (after !== undefined) query = query.where((eb) => afterCursor(eb, after));
  for (const column of rankColumns) query = query.orderBy(rank(column), 'desc');
  return query.orderBy('rm.repository').orderBy('rm.digest').limit(limit);
}

export function projectScanTotalsQuery(db: Kysely<Database>, project: string) {
  const worst = sql<string>`case when sr.matched_at is null then 'unmatched' when sr.critical > 0 then 'critical' when sr.high > 0 then 'high'
    when sr.medium > 0 then 'medium' when sr.low > 0 then 'low' when sr.other > 0 then 'other' else 'none' end`;
  const status = sql<string>`coalesce(sr.status, 'not scanned')`;
  // Aliases unlike any column: PostgreSQL groups by an input column before an output one of the same name.
  return projectImageRows(db, project)
    .select((eb) => [
      status.as('scan_status'), worst.as('worst_severity'), eb.fn.countAll<number>().as('images'),
      ...rankColumns.map((column) => eb.fn.sum<number>(rank(column)).as(`sum_${column}`)),
    ])
    .groupBy(['scan_status', 'worst_severity']);
}

export async function projectScanTotals(db: Kysely<Database>, project: string): Promise<ProjectScanTotals> {
  const rows = await projectScanTotalsQuery(db, project).execute();
  const byStatus: Record<ScanStatus | 'not scanned', number> = { queued: 0, scanning: 0, done: 0, failed: 0, unsupported: 0, 'not scanned': 0 };
  const byWorst = { critical: 0, high: 0, medium: 0, low: 0, other: 0, none: 0 };
  const findings = { critical: 0, high: 0, medium: 0, low: 0, other: 0, fixable: 0 };
  let images = 0;
  for (const row of rows) {
    const count = Number(row.images);
    images += count;
    byStatus[row.scan_status as ScanStatus] = (byStatus[row.scan_status as ScanStatus] ?? 0) + count;
    if (row.worst_severity in byWorst) byWorst[row.worst_severity as keyof typeof byWorst] += count;
    for (const column of rankColumns) findings[column] += Number(row[`sum_${column}`] ?? 0);
  }
  return { images, byStatus, byWorst, findings };
}

/** The project's images: its repositories' image manifests that are neither indexes nor referrers, with their reports. */
function projectImageRows(db: Kysely<Database>, project: string) {
  return db.selectFrom('repository_manifests as rm')
    .innerJoin('manifests as m', 'm.digest', 'rm.digest')
    .leftJoin('scan_reports as sr', 'sr.digest', 'rm.digest')
    .where((eb) => eb.or([
      eb('rm.repository', '=', project),
      eb.and([eb('rm.repository', '>=', `${project}/`), eb('rm.repository', '<', `${project}0`)]),
    ]))
    .where('m.media_type', 'in', [...imageMediaTypes])
    // Not `is null`: SQLite would then walk every manifest without a subject through that index (the whole registry)
    // instead of the project's range; written so, it reads the manifest of each of the project's rows by key.
    .where(sql<SqlBool>`coalesce(m.subject_digest, '') = ''`)
    .where((eb) => eb.or([eb('m.artifact_type', 'is', null), eb('m.artifact_type', 'in', imageConfigTypes)]));
}

/** A report count, 0 for an image without a report. */
function rank(column: (typeof rankColumns)[number]) {
  return sql<number>`coalesce(${sql.ref(`sr.${column}`)}, 0)`;
}

/** Rows after the cursor in the overview's order: each count descending, then repository and digest ascending. */
function afterCursor(eb: ExpressionBuilder<Joined, 'rm' | 'm' | 'sr'>, after: ProjectImageCursor): Expression<SqlBool> {
  const keys: { expression: Expression<unknown>; value: number | string; direction: '<' | '>' }[] = [
    ...rankColumns.map((column, index) => ({ expression: rank(column), value: after.rank[index] ?? 0, direction: '<' as const })),
    { expression: eb.ref('rm.repository'), value: after.repository, direction: '>' },
    { expression: eb.ref('rm.digest'), value: after.digest, direction: '>' },
  ];
  return eb.or(keys.map((key, index) => eb.and([
    ...keys.slice(0, index).map((earlier) => eb(earlier.expression, '=', earlier.value)),
    eb(key.expression, key.direction, key.value),
  ])));
}

/** Tags per `repository@digest`, in name order: those naming the image, and those naming an index that lists it. */
async function tagsOf(db: Kysely<Database>, images: readonly { repository: string; digest: string }[]): Promise<Map<string, string[]>> {
  const wanted = new Set(images.map((image) => `${image.repository}@${image.digest}`));
  const repositories = [...new Set(images.map((image) => image.repository))];
  const digests = [...new Set(images.map((image) => image.digest))];
  const found = new Map<string, Set<string>>();
  const add = (repository: string, digest: string, tag: string) => {
    const key = `${repository}@${digest}`;
    if (!wanted.has(key)) return;
    const tags = found.get(key) ?? new Set<string>();
    found.set(key, tags);
    tags.add(tag);
  };
  for (const slice of slices(digests, 500)) {
    const [direct, viaIndex] = await Promise.all([
      db.selectFrom('tags').select(['repository', 'digest', 'name']).where('repository', 'in', repositories).where('digest', 'in', slice).execute(),
      db.selectFrom('tags as t').innerJoin('manifest_references as r', 'r.manifest_digest', 't.digest')
        .select(['t.repository', 'r.child_digest', 't.name'])
        .where('r.kind', '=', 'manifest').where('r.child_digest', 'in', slice).where('t.repository', 'in', repositories).execute(),
    ]);
    for (const row of direct) add(row.repository, row.digest, row.name);
    for (const row of viaIndex) add(row.repository, row.child_digest, row.name);
  }
  return new Map([...found].map(([key, tags]) => [key, [...tags].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))]));
}
