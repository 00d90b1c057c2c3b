import type { Kysely, Selectable, Transaction } from 'kysely';
import type { NewRegistryEvent } from '../events/registry-event.js';
import { toEventRow } from './event-rows.js';
import { matchName } from '../scanning/match-name.js';
import type { Distro, PackageKind, Severity } from '../scanning/model.js';
import type { Database } from './database-schema.js';
import type {
  AllowedAdvisory, NewAllowedAdvisory, VulnerabilityPolicy,
  AdvisoryRematch, CompletedScan, ImageKeyRange, FeedState, NewAdvisory, RangeRematch, RematchScope, NewFinding, PackageKey, ScanReport, ScanStatus, ScanStore, StoredAdvisory, StoredFinding,
  StoredPackage,
} from './scan-store.js';
import { countFindings } from './scan-store.js';
import { slices } from './slices.js';
import { projectImages, projectScanTotals } from './kysely-project-scans.js';
import { byEcosystem, rematchRange, rematchScope } from './kysely-scan-rematch.js';
import type { ProjectImage, ProjectImageCursor, ProjectScanTotals } from './scan-store.js';

type Write = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;
type ReportRow = Selectable<Database['scan_reports']>;

/** Rows per insert: 12 columns each stays far below SQLite's 32,766 bound variables. */
const rowsPerInsert = 500;

/**
 * The scan store over Kysely, for every dialect. Policies and allowlists go through the store's counted writes, so
 * the pull policy's caches drop with them on every node; scan results do not (see the constructor).
 */
export class KyselyScanStore implements ScanStore {
  readonly #db: Kysely<Database>;
  /** For policies and allowlists, which the pull policy caches per change version. */
  readonly #write: Write;
  /** For scan states, inventories, findings, advisories and feeds: background bookkeeping no cache is keyed to. */
  readonly #quiet: Write;

  constructor(db: Kysely<Database>, write: Write, quiet: Write) {
    this.#db = db;
    this.#write = write;
    this.#quiet = quiet;
  }

  async reports(digests: readonly string[]): Promise<Map<string, ScanReport>> {
    const reports = new Map<string, ScanReport>();
    for (const slice of slices([...new Set(digests)])) {
      for (const row of await this.#db.selectFrom('scan_reports').selectAll().where('digest', 'in', slice).execute()) reports.set(row.digest, toReport(row));
    }
    return reports;
  }

  async markQueued(digests: readonly string[], scanner: string, now: number): Promise<void> {
    if (digests.length === 0) return;
    await this.#quiet(async (trx) => {
      for (const slice of slices([...new Set(digests)], 500)) {
        await trx.insertInto('scan_reports').values(slice.map((digest) => ({ ...emptyReport(digest, scanner, now), status: 'queued' })))
          .onConflict((oc) => oc.column('digest').doUpdateSet({ status: 'queued', reason: null, scanner, queued_at: now })).execute();
      }
    });
  }

  async markScanning(digest: string, now: number): Promise<void> {
    await this.#quiet(async (trx) => {
      await trx.insertInto('scan_reports').values({ ...emptyReport(digest, 'berth', now), status: 'scanning', started_at: now })
        .onConflict((oc) => oc.column('digest').doUpdateSet({ status: 'scanning', reason: null, started_at: now })).execute();
    });
  }

  async markFailed(digest: string, reason: string, now: number, status: 'failed' | 'unsupported' = 'failed', events: readonly NewRegistryEvent[] = []): Promise<void> {
    await this.#quiet(async (trx) => {
      await trx.insertInto('scan_reports').values({ ...emptyReport(digest, 'berth', now), status, reason, finished_at: now })
        .onConflict((oc) => oc.column('digest').doUpdateSet({ status, reason, finished_at: now })).execute();
      await insertEvents(trx, events);
    });
  }

  async saveScan(digest: string, scan: CompletedScan, now: number, events: readonly NewRegistryEvent[] = []): Promise<void> {
    await this.#quiet(async (trx) => {
      const summary = countFindings(scan.findings);
      const report = {
        status: 'done', reason: scan.note ?? null, scanner: scan.scanner, distro: scan.distro ? JSON.stringify(scan.distro) : null,
        package_count: scan.packages.length, ...summary, finished_at: now, matched_at: now,
      };
      // The report first: it holds the image's key, which the inventory and the findings name it by.
      const { image_id: imageId } = await trx.insertInto('scan_reports').values({ ...emptyReport(digest, scan.scanner, now), ...report, started_at: now })
        .onConflict((oc) => oc.column('digest').doUpdateSet(report)).returning('image_id').executeTakeFirstOrThrow();
      await trx.deleteFrom('scan_findings').where('image_id', '=', imageId).execute();
      await trx.deleteFrom('scan_packages').where('image_id', '=', imageId).execute();
      const rows = scan.packages.map((pkg, seq) => ({
        image_id: imageId, seq, kind: pkg.kind, ecosystem: pkg.ecosystem, match_name: matchName(pkg), name: pkg.name, version: pkg.version,
        source_name: pkg.sourceName ?? null, source_version: pkg.sourceVersion ?? null, arch: pkg.arch ?? null, purl: pkg.purl, path: pkg.path,
      }));
      for (const slice of slices(rows, rowsPerInsert)) await trx.insertInto('scan_packages').values(slice).execute();
      await insertFindings(trx, imageId, scan.findings);
      await insertEvents(trx, events);
    });
  }

  async packages(digest: string): Promise<StoredPackage[]> {
    const rows = await this.#db.selectFrom('scan_packages as p').innerJoin('scan_reports as r', 'r.image_id', 'p.image_id').selectAll('p')
      .where('r.digest', '=', digest).orderBy('p.seq').execute();
    return rows.map((row) => ({
      seq: Number(row.seq), kind: row.kind as PackageKind, name: row.name, version: row.version,
      ...(row.source_name === null ? {} : { sourceName: row.source_name }),
      ...(row.source_version === null ? {} : { sourceVersion: row.source_version }),
      ...(row.arch === null ? {} : { arch: row.arch }),
      ecosystem: row.ecosystem, purl: row.purl, path: row.path,
    }));
  }

  async findings(digest: string): Promise<StoredFinding[]> {
    const rows = await this.#db.selectFrom('scan_findings as f')
      .innerJoin('scan_reports as r', 'r.image_id', 'f.image_id')
      .leftJoin('advisories as a', 'a.id', 'f.advisory_id')
      .select(['f.advisory_id', 'f.package_seq', 'f.fixed_version', 'f.severity', 'f.score', 'a.summary', 'a.aliases',
        'f.reported_by', 'f.package_name', 'f.package_version', 'f.summary as reported_summary', 'f.links'])
      .where('r.digest', '=', digest)
      .orderBy('f.package_seq').orderBy('f.advisory_id')
      .execute();
    return rows.map((row) => {
      const reported = row.reported_by === null ? undefined : {
        scanner: row.reported_by, package: row.package_name ?? '', version: row.package_version ?? '', summary: row.reported_summary ?? undefined,
        links: row.links ? JSON.parse(row.links) as string[] : [],
      };
      return {
        advisoryId: row.advisory_id, packageSeq: Number(row.package_seq), fixedVersion: row.fixed_version, severity: row.severity as Severity,
        score: row.score === null ? undefined : Number(row.score), summary: row.summary ?? reported?.summary, aliases: row.aliases ? JSON.parse(row.aliases) as string[] : [],
        ...(reported && { reported }),
      };
    });
  }

  async saveAdvisories(advisories: readonly NewAdvisory[], removed: readonly string[]): Promise<void> {
    if (advisories.length === 0 && removed.length === 0) return;
    await this.#quiet(async (trx) => {
      const replaced = [...new Set([...advisories.map((advisory) => advisory.id), ...removed])];
      for (const slice of slices(replaced)) {
        await trx.deleteFrom('advisory_packages').where('advisory_id', 'in', slice).execute();
        await trx.deleteFrom('advisories').where('id', 'in', slice).execute();
      }
      const rows = advisories.map((advisory) => ({
        id: advisory.id, modified: advisory.modified, summary: advisory.summary ?? null, aliases: JSON.stringify(advisory.aliases), record: advisory.record,
      }));
      for (const slice of slices(rows, rowsPerInsert)) await trx.insertInto('advisories').values(slice).execute();
      const keys = advisories.flatMap((advisory) => uniqueKeys(advisory.packages).map((key) => ({ ecosystem: key.ecosystem, name: key.name, advisory_id: advisory.id })));
      for (const slice of slices(keys, rowsPerInsert)) await trx.insertInto('advisory_packages').values(slice).execute();
    });
  }

  async advisoriesFor(packages: readonly PackageKey[]): Promise<StoredAdvisory[]> {
    const ids = new Set<string>();
    for (const [ecosystem, names] of byEcosystem(packages)) {
      for (const slice of slices(names)) {
        const rows = await this.#db.selectFrom('advisory_packages').select('advisory_id').where('ecosystem', '=', ecosystem).where('name', 'in', slice).execute();
        for (const row of rows) ids.add(row.advisory_id);
      }
    }
    const advisories: StoredAdvisory[] = [];
    for (const slice of slices([...ids].sort())) {
      const rows = await this.#db.selectFrom('advisories').select(['id', 'modified', 'record']).where('id', 'in', slice).orderBy('id').execute();
      for (const row of rows) advisories.push({ id: row.id, modified: Number(row.modified), record: row.record });
    }
    return advisories;
  }

  async advisoryModified(ids: readonly string[]): Promise<Map<string, number>> {
    const modified = new Map<string, number>();
    for (const slice of slices([...new Set(ids)])) {
      for (const row of await this.#db.selectFrom('advisories').select(['id', 'modified']).where('id', 'in', slice).execute()) modified.set(row.id, Number(row.modified));
    }
    return modified;
  }

  async advisoryCount(): Promise<number> {
    const row = await this.#db.selectFrom('advisories').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  // A feed change matched again as sets: the queries live in kysely-scan-rematch.ts.
  rematchScope(packages: readonly PackageKey[], advisoryIds: readonly string[]): Promise<RematchScope> {
    return rematchScope(this.#db, packages, advisoryIds);
  }

  rematchRange(rematch: AdvisoryRematch, range: ImageKeyRange, now: number): Promise<RangeRematch> {
    return this.#quiet((trx) => rematchRange(trx, rematch, range, now));
  }

  async replaceFindings(digest: string, findings: readonly NewFinding[], now: number, events: readonly NewRegistryEvent[] = []): Promise<boolean> {
    return this.#quiet(async (trx) => {
      const report = await trx.selectFrom('scan_reports').select('image_id').where('digest', '=', digest).where('status', '=', 'done').executeTakeFirst();
      if (report === undefined) return false;
      const imageId = report.image_id;
      // What external scanners reported stays: only a scan replaces it.
      await trx.deleteFrom('scan_findings').where('image_id', '=', imageId).where('reported_by', 'is', null).execute();
      await insertFindings(trx, imageId, findings);
      const all = await trx.selectFrom('scan_findings').select(['severity', 'fixed_version as fixedVersion']).where('image_id', '=', imageId).execute();
      await trx.updateTable('scan_reports').set({ ...countFindings(all.map((row) => ({ severity: row.severity as Severity, fixedVersion: row.fixedVersion }))), matched_at: now })
        .where('image_id', '=', imageId).execute();
      await insertEvents(trx, events);
      return true;
    });
  }

  async repositoriesWith(digests: readonly string[]): Promise<Map<string, string[]>> {
    const holders = new Map<string, string[]>();
    for (const slice of slices([...new Set(digests)])) {
      const rows = await this.#db.selectFrom('repository_manifests').select(['digest', 'repository']).where('digest', 'in', slice)
        .orderBy('digest').orderBy('repository').execute();
      for (const row of rows) {
        const repositories = holders.get(row.digest) ?? [];
        holders.set(row.digest, repositories);
        repositories.push(row.repository);
      }
    }
    return holders;
  }

  async inventoryEcosystems(): Promise<string[]> {
    // A skip scan: one index seek per ecosystem, where DISTINCT read every package of every image (400 ms at 100,000).
    const ecosystems: string[] = [];
    for (let after: string | undefined; ;) {
      let next = this.#db.selectFrom('scan_packages').select((eb) => eb.fn.min('ecosystem').as('ecosystem'));
      if (after !== undefined) next = next.where('ecosystem', '>', after);
      const found = (await next.executeTakeFirst())?.ecosystem;
      if (found === undefined || found === null) return ecosystems;
      ecosystems.push(found);
      after = found;
    }
  }

  async feeds(): Promise<FeedState[]> {
    const rows = await this.#db.selectFrom('advisory_feeds').selectAll().orderBy('source').execute();
    return rows.map((row) => ({
      source: row.source, location: row.location, newestModified: row.newest_modified === null ? undefined : Number(row.newest_modified),
      records: Number(row.records), refreshedAt: Number(row.refreshed_at), error: row.error ?? undefined,
    }));
  }

  async vulnerabilityPolicies(): Promise<Map<string, VulnerabilityPolicy>> {
    const rows = await this.#db.selectFrom('vulnerability_policies').selectAll().execute();
    return new Map(rows.map((row) => [row.project, {
      project: row.project, blockSeverity: (row.block_severity ?? undefined) as Severity | undefined, blockUnscanned: Number(row.block_unscanned) === 1,
      autoQuarantine: Number(row.auto_quarantine) === 1, updatedBy: row.updated_by, updatedAt: Number(row.updated_at),
    }]));
  }

  async saveVulnerabilityPolicy(policy: VulnerabilityPolicy): Promise<void> {
    const row = {
      project: policy.project, block_severity: policy.blockSeverity ?? null, block_unscanned: policy.blockUnscanned ? 1 : 0,
      auto_quarantine: policy.autoQuarantine ? 1 : 0, updated_by: policy.updatedBy, updated_at: policy.updatedAt,
    };
    await this.#write(async (trx) => {
      await trx.insertInto('vulnerability_policies').values(row).onConflict((oc) => oc.column('project').doUpdateSet(row)).execute();
    });
  }

  async allowlist(project: string): Promise<AllowedAdvisory[]> {
    const rows = await this.#db.selectFrom('vulnerability_allowlist').selectAll().where('project', '=', project).orderBy('advisory_id').execute();
    return rows.map(toAllowed);
  }

  async allowAdvisory(entry: NewAllowedAdvisory): Promise<AllowedAdvisory> {
    return this.#write(async (trx) => {
      await trx.deleteFrom('vulnerability_allowlist').where('project', '=', entry.project).where('advisory_id', '=', entry.advisoryId).execute();
      const row = await trx.insertInto('vulnerability_allowlist').values({
        project: entry.project, advisory_id: entry.advisoryId, reason: entry.reason, expires_at: entry.expiresAt ?? null,
        created_by: entry.createdBy, created_at: entry.createdAt,
      }).returningAll().executeTakeFirstOrThrow();
      return toAllowed(row);
    });
  }

  async disallowAdvisory(project: string, id: number): Promise<boolean> {
    return this.#write(async (trx) => {
      const result = await trx.deleteFrom('vulnerability_allowlist').where('project', '=', project).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  // The project overview: its queries live in kysely-project-scans.ts.
  projectImages(project: string, after: ProjectImageCursor | undefined, limit: number): Promise<ProjectImage[]> {
    return projectImages(this.#db, project, after, limit, toReport);
  }

  projectScanTotals(project: string): Promise<ProjectScanTotals> {
    return projectScanTotals(this.#db, project);
  }

  async saveFeed(feed: FeedState): Promise<void> {
    const row = {
      source: feed.source, location: feed.location, newest_modified: feed.newestModified ?? null, records: feed.records,
      refreshed_at: feed.refreshedAt, error: feed.error ?? null,
    };
    await this.#quiet(async (trx) => {
      await trx.insertInto('advisory_feeds').values(row).onConflict((oc) => oc.column('source').doUpdateSet(row)).execute();
    });
  }
}

async function insertEvents(trx: Transaction<Database>, events: readonly NewRegistryEvent[]): Promise<void> {
  if (events.length > 0) await trx.insertInto('events').values(events.map(toEventRow)).execute();
}

function findingRow(imageId: number, finding: NewFinding) {
  return {
    image_id: imageId, advisory_id: finding.advisoryId, package_seq: finding.packageSeq, fixed_version: finding.fixedVersion,
    severity: finding.severity, score: finding.score ?? null,
    // Every row names every column: rows of one insert must have the same shape (SQLite has no DEFAULT in VALUES).
    reported_by: finding.reported?.scanner ?? null, package_name: finding.reported?.package ?? null, package_version: finding.reported?.version ?? null,
    summary: finding.reported?.summary ?? null, links: finding.reported ? JSON.stringify(finding.reported.links) : null,
  };
}

async function insertFindings(trx: Transaction<Database>, imageId: number, findings: readonly NewFinding[]): Promise<void> {
  const rows = findings.map((finding) => findingRow(imageId, finding));
  for (const slice of slices(rows, rowsPerInsert)) {
    await trx.insertInto('scan_findings').values(slice).onConflict((oc) => oc.columns(['image_id', 'advisory_id', 'package_seq']).doNothing()).execute();
  }
}

function emptyReport(digest: string, scanner: string, now: number): Omit<ReportRow, 'image_id'> {
  return {
    digest, status: 'queued', reason: null, scanner, distro: null, package_count: 0, critical: 0, high: 0, medium: 0, low: 0, other: 0, fixable: 0,
    queued_at: now, started_at: null, finished_at: null, matched_at: null,
  };
}

function toReport(row: Omit<ReportRow, 'image_id'>): ScanReport {
  const optional = (value: number | null) => (value === null ? undefined : Number(value));
  return {
    digest: row.digest, status: row.status as ScanStatus, reason: row.reason ?? undefined, scanner: row.scanner,
    distro: row.distro ? JSON.parse(row.distro) as Distro : undefined, packageCount: Number(row.package_count),
    counts: { critical: Number(row.critical), high: Number(row.high), medium: Number(row.medium), low: Number(row.low), other: Number(row.other) },
    fixable: Number(row.fixable), queuedAt: Number(row.queued_at), startedAt: optional(row.started_at), finishedAt: optional(row.finished_at),
    matchedAt: optional(row.matched_at),
  };
}

function toAllowed(row: { id: number; project: string; advisory_id: string; reason: string; expires_at: number | null; created_by: string; created_at: number }): AllowedAdvisory {
  return {
    id: Number(row.id), project: row.project, advisoryId: row.advisory_id, reason: row.reason,
    expiresAt: row.expires_at === null ? undefined : Number(row.expires_at), createdBy: row.created_by, createdAt: Number(row.created_at),
  };
}

function uniqueKeys(keys: readonly PackageKey[]): PackageKey[] {
  const seen = new Map<string, PackageKey>();
  for (const key of keys) seen.set(`${key.ecosystem}\u0000${key.name}`, key);
  return [...seen.values()];
}
