import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Principal } from '../../auth/principal.js';
import { RegistryError } from '../../errors/registry-error.js';
import { scanCompletedEvent, scanFailedEvent, systemOrigin, type RegistryEvent } from '../../events/registry-event.js';
import { projectOf } from '../../auth/roles.js';
import type { JobContext } from '../../jobs/job-definition.js';
import type { MetadataStore, NewJob, StoredManifest } from '../../metadata/metadata-store.js';
import type { ScanReport, ScanStore, VulnerabilityPolicy } from '../../metadata/scan-store.js';
import { isDigest } from '../../oci/digest.js';
import { imageMediaTypes, indexMediaTypes } from '../../oci/media-types.js';
import { parseManifest, type ParsedManifest } from '../../oci/manifest.js';
import { type AdvisoryFeed, type FeedChanges, feedSources } from './advisory-feed.js';
import { ExternalScannerError } from './external/adapter-http.js';
import type { ExternalScanning, ExternalScanResult } from './external/external-scanning.js';
import { readImageInventory, skippedNote } from './image-inventory.js';
import type { WalkLimits } from '../../scanning/layers/merged-walker.js';
import { matchPackages, packageKeys, storedRecords } from './package-matching.js';
import { imageRanges, matchVariants, sameFindings } from './advisory-rematch.js';
import { sbomView } from './sbom-artifact.js';
import { newScanTally, type ScanTally } from './scan-tally.js';
import { buildVulnerabilityReport, type FindingFilter, type VulnerabilityReport } from './vulnerability-report.js';

export const scanJobKind = 'scan.artifact';
export const feedJobKind = 'scan.feed';
/** The built-in scanner's name in reports. */
export const builtInScanner = 'berth';
/**
 * Packages and findings read per rematch transaction (about 1,000 images for an advisory of one package): small
 * enough that a push waits for one only briefly.
 */
const rowsPerRematch = 2_000;

export interface ScanJobPayload {
  readonly repository: string;
  readonly digest: string;
}

export interface ScanAccess {
  /** Whether the principal may read the repository (pull). */
  mayRead(principal: Principal, repository: string): Promise<boolean>;
  /** Whether the principal may push to it: asking for a scan needs that. */
  mayPush(principal: Principal, repository: string): Promise<boolean>;
}

/**
 * The vulnerability scanner's rules: which manifests are scanned (images whose layers are file system changesets;
 * an index through its platforms), one scan of a digest at a time in the cluster (a job per digest, unique while
 * open), the inventory read once and stored, findings matched against the stored advisories, and matched again,
 * without reading a layer, when the feed changes them.
 */
export class ScanService {
  readonly #feed: AdvisoryFeed;
  /** This node's scans, for /metrics. */
  readonly tally: ScanTally = newScanTally();
  /** Moves whenever this node stores a scan result: the pull policy's verdicts made before it are stale. */
  epoch = 0;

  constructor(
    private readonly metadata: MetadataStore,
    private readonly readBlob: (digest: string) => Promise<Readable>,
    private readonly access: ScanAccess,
    private readonly enqueue: (job: Omit<NewJob, 'now'>) => Promise<number>,
    feed: AdvisoryFeed,
    private readonly log: Logger,
    /** Scanners speaking Harbor's Pluggable Scanner API, used beside or instead of the built-in one. */
    readonly external?: ExternalScanning,
    /** Caps on what one scan reads (`scanning.maxUncompressedBytes`). */
    private readonly walkLimits: Partial<WalkLimits> = {},
    /** Queues several jobs at once (one transaction); one by one through `enqueue` when not given. */
    private readonly enqueueAll: (jobs: readonly Omit<NewJob, 'now'>[]) => Promise<number[]> = (jobs) => Promise.all(jobs.map((job) => enqueue(job))),
    /** A new pace per scan, awaited between the layers' entries, so that a scan gives way to bursts of requests as it reads. */
    private readonly pace?: () => () => Promise<void>,
  ) {
    this.#feed = feed;
  }

  #scans(): ScanStore {
    return this.metadata.scans();
  }

  /** Queues a scan of each image among pushed manifests that has none yet (scan on push). */
  async onPushed(events: readonly RegistryEvent[]): Promise<void> {
    const images = events.filter((event) => event.digest !== undefined && isScannableType(event.data));
    const reports = await this.#scans().reports(images.map((event) => event.digest!));
    // Queued together, in two transactions whatever their number: a burst of pushes would otherwise cost two commits each.
    const fresh = new Map(images.filter((event) => !reports.has(event.digest!)).map((event) => [event.digest!, event.repository]));
    await this.#queue([...fresh].map(([digest, repository]) => ({ repository, digest })));
  }

  /** A scan asked for by a person or script: the image, or each platform of an index, scanned again. */
  async requestScan(principal: Principal, repository: string, reference: string): Promise<VulnerabilityReport> {
    const { manifest, parsed } = await this.#resolve(principal, repository, reference);
    if (!(await this.access.mayPush(principal, repository))) {
      throw new RegistryError('DENIED', `scanning ${repository} needs the right to push to it (developer or above)`);
    }
    const images = indexMediaTypes.has(parsed.mediaType) ? parsed.manifests.filter((child) => imageMediaTypes.has(child.mediaType)).map((child) => child.digest) : [manifest.digest];
    if (!indexMediaTypes.has(parsed.mediaType) && !isScannable(parsed)) {
      throw new RegistryError('INVALID_REQUEST', `${repository}@${manifest.digest} is not a container image (its layers are not file systems): there is nothing to scan`);
    }
    await this.#queue(images.map((digest) => ({ repository, digest })));
    return this.report(principal, repository, manifest.digest, {});
  }

  /** What is known of an image's (or an index's platforms') vulnerabilities, with findings filtered. */
  async report(principal: Principal, repository: string, reference: string, filter: FindingFilter): Promise<VulnerabilityReport> {
    const { manifest, parsed } = await this.#resolve(principal, repository, reference);
    const platforms = indexMediaTypes.has(parsed.mediaType)
      ? parsed.manifests.filter((child) => imageMediaTypes.has(child.mediaType)).map((child) => ({
        digest: child.digest, os: child.platform?.os, architecture: child.platform?.architecture,
        variant: typeof child.platform?.variant === 'string' ? child.platform.variant : undefined,
      }))
      : [{ digest: manifest.digest, os: undefined, architecture: undefined, variant: undefined }];
    const digests = platforms.map((platform) => platform.digest);
    const reports = await this.#scans().reports(digests);
    const details = await Promise.all(digests.map(async (digest) => reports.get(digest)?.status === 'done'
      ? { packages: await this.#scans().packages(digest), findings: await this.#scans().findings(digest) }
      : { packages: [], findings: [] }));
    const facts = await this.metadata.insight().facts(digests);
    // The SBOM Berth attached to each platform in this repository (sbom-attachment.ts).
    const sboms = await Promise.all(digests.map(async (digest) => sbomView(await this.metadata.referrers(repository, digest))));
    return buildVulnerabilityReport({
      repository, reference, digest: manifest.digest, mediaType: parsed.mediaType, scannable: indexMediaTypes.has(parsed.mediaType) || isScannable(parsed),
      platforms: platforms.map((platform, index) => ({
        ...platform,
        os: platform.os ?? facts.get(platform.digest)?.os, architecture: platform.architecture ?? facts.get(platform.digest)?.architecture,
        variant: platform.variant ?? facts.get(platform.digest)?.variant,
        report: reports.get(platform.digest), ...details[index]!, sbom: sboms[index],
      })),
    }, filter);
  }

  /** The advisory feed's state per source. */
  feeds() {
    return this.#scans().feeds();
  }

  /** The `scan.artifact` job: reads the image's layers into an inventory, matches it, stores both. */
  async runScan(payload: ScanJobPayload, context: JobContext): Promise<void> {
    const { repository, digest } = payload;
    const scans = this.#scans();
    const manifest = await this.metadata.manifestByDigest(repository, digest);
    if (manifest === undefined) {
      await scans.markFailed(digest, `${repository}@${digest} was deleted before it could be scanned`, Date.now());
      this.epoch++;
      return;
    }
    const started = Date.now();
    await scans.markScanning(digest, started);
    this.epoch++;
    let scanned: Awaited<ReturnType<typeof readImageInventory>>;
    try {
      const parsed = parseManifest(manifest.content, manifest.mediaType);
      if (!isScannable(parsed)) {
        await scans.markFailed(digest, 'not a container image (its layers are not file systems): there is nothing to scan', Date.now(), 'unsupported');
        this.epoch++;
        this.tally.unsupported++;
        return;
      }
      // With an external scanner used instead of the built-in one, Berth reads no layer and keeps no inventory.
      scanned = this.external?.builtInRuns === false ? noInventory : await readImageInventory(parsed.layers, this.readBlob, this.walkLimits, this.pace?.());
    } catch (error) {
      // What the image holds cannot be read (a corrupt or unsupported layer, a missing blob): the scan failed for good.
      const reason = error instanceof Error ? error.message : String(error);
      this.log.warn({ repository, digest, err: error }, 'an image could not be scanned');
      const now = Date.now();
      await scans.markFailed(digest, reason, now, 'failed', [scanFailedEvent(repository, digest, { reason }, now)]);
      this.epoch++;
      this.tally.failed++;
      this.tally.seconds += (now - started) / 1000;
      return;
    }
    const { inventory, walk } = scanned;
    // The first image of an ecosystem reads its advisories before it is matched: "done" then means matched, never
    // "clean because nothing was loaded yet". A feed that cannot be read leaves its error in the feed's state.
    const known = new Set((await scans.feeds()).map((feed) => feed.source));
    const unread = feedSources(inventory.packages.map((pkg) => pkg.ecosystem)).filter((source) => !known.has(source));
    if (unread.length > 0) {
      await context.progress({ done: walk.layersRead, note: `reading the ${unread.join(', ')} advisories for the first time` });
      await this.#feed.refresh((changes) => this.#rematch(changes), (progress) => context.progress(progress), context.signal, unread);
    }
    // Progress renews the job's lease with a write: worth it for a long scan, not for the many that take milliseconds.
    if (Date.now() - started > 2_000) await context.progress({ done: walk.layersRead, note: `${inventory.packages.length} packages found; matching advisories` });
    const findings = matchPackages(inventory.packages, storedRecords(await scans.advisoriesFor(packageKeys(inventory.packages))));
    const reported = await this.#externalScan(repository, manifest, context, started);
    if (reported === undefined) return;
    const all = [...findings, ...reported.findings];
    const scanner = [...(this.external?.builtInRuns === false ? [] : [builtInScanner]), ...reported.scanners].join('+');
    const now = Date.now();
    const completed = scanCompletedEvent(repository, digest, {
      scanner, distro: inventory.distro?.ecosystem ?? inventory.distro?.id ?? null, packages: inventory.packages.length,
      summary: countBySeverity(all),
    }, now);
    await scans.saveScan(digest, { scanner, distro: inventory.distro, packages: inventory.packages, findings: all, note: skippedNote(inventory.skipped) }, now, [completed]);
    this.epoch++;
    this.tally.completed++;
    // Advisories a feed refresh stored while this scan read its layers were matched against the images stored then,
    // not this one: match it once more against what is stored now.
    const again = matchPackages(inventory.packages, storedRecords(await scans.advisoriesFor(packageKeys(inventory.packages))));
    if (!sameFindings(findings, again)) await scans.replaceFindings(digest, again, Date.now());
    this.tally.seconds += (now - started) / 1000;
    this.log.info({ repository, digest, packages: inventory.packages.length, findings: findings.length, bytesRead: walk.bytesRead }, 'scanned an image');
  }

  /**
   * The external scanners' findings of an image (none without external scanners); undefined when one failed: the
   * scan is then marked failed with its reason (naming the scanner, the adapter's status and words), for good, as a
   * person must look at the adapter before another scan can do better.
   */
  async #externalScan(repository: string, manifest: StoredManifest, context: JobContext, started: number): Promise<ExternalScanResult | undefined> {
    if (this.external === undefined || !this.external.configured) return { scanners: [], findings: [] };
    try {
      return await this.external.scan({ repository, digest: manifest.digest, mediaType: manifest.mediaType }, context.signal,
        (note) => context.progress({ done: 0, note }));
    } catch (error) {
      if (!(error instanceof ExternalScannerError)) throw error;
      this.log.warn({ repository, digest: manifest.digest, scanner: error.scanner, status: error.status, reason: error.message }, 'an external scanner could not scan an image');
      const now = Date.now();
      await this.#scans().markFailed(manifest.digest, error.message, now, 'failed', [scanFailedEvent(repository, manifest.digest, { reason: error.message, scanner: error.scanner }, now)]);
      this.epoch++;
      this.tally.failed++;
      this.tally.seconds += (now - started) / 1000;
      return undefined;
    }
  }

  /** Records a scan that failed on its last attempt for a reason of its own (the database, the blob store). */
  async giveUp(payload: ScanJobPayload, attempts: number, error: unknown): Promise<void> {
    const now = Date.now();
    const reason = `the scan failed ${attempts} times, the last time: ${error instanceof Error ? error.message : String(error)}; ask for another with berth scan`;
    await this.#scans().markFailed(payload.digest, reason, now, 'failed', [scanFailedEvent(payload.repository, payload.digest, { reason }, now)]);
    this.epoch++;
    this.tally.failed++;
  }

  /** The `scan.feed` job: refreshes the advisories, then matches the images they touch again. */
  async refreshFeed(context: JobContext): Promise<void> {
    const results = await this.#feed.refresh((changes) => this.#rematch(changes), (progress) => context.progress(progress), context.signal);
    for (const result of results) {
      if (result.changed > 0 || result.error) this.log.info({ source: result.source, mode: result.mode, changed: result.changed, error: result.error }, 'advisory feed refreshed');
    }
  }

  /** Queues a refresh of the feed (or finds the one queued or running); answers its job id. */
  async queueFeedRefresh(): Promise<number> {
    return this.enqueue({ kind: feedJobKind, payload: {}, uniqueKey: `${feedJobKind}:now`, runAfter: Date.now(), maxAttempts: 3 });
  }

  /**
   * Matches again, as sets, the images that hold a package the changed advisories name or had a finding of one:
   * each distinct package version is matched once, and the store joins the verdicts to the images range of keys
   * by range, one transaction each, so that pushes are never held behind one long transaction. Only images whose
   * findings changed are written.
   */
  async #rematch(changes: FeedChanges): Promise<void> {
    const scans = this.#scans();
    const ids = new Set(changes.ids);
    const records = storedRecords((await scans.advisoriesFor(changes.packages)).filter((advisory) => ids.has(advisory.id)));
    const scope = await scans.rematchScope(changes.packages, changes.ids);
    const rematch = { advisoryIds: changes.ids, findings: matchVariants(records, scope.variants) };
    const rows = scope.variants.reduce((sum, variant) => sum + variant.packages, 0) + scope.findings;
    for (const range of imageRanges(scope.imageKeys, rows, rowsPerRematch)) {
      const now = Date.now();
      const { written, critical } = await scans.rematchRange(rematch, range, now);
      if (written === 0) continue;
      this.epoch++;
      this.tally.rematched += written;
      // Policies read once per range (a new critical advisory may reach 100,000 images), and only if one quarantines.
      const quarantining = critical.length === 0 ? new Map() : await scans.vulnerabilityPolicies();
      if (![...quarantining.values()].some((policy) => policy.autoQuarantine)) continue;
      for (const image of critical) await this.#quarantineWherePolicySays(quarantining, image.digest, image.advisories, image.repositories, now);
    }
  }

  /** Quarantines the image in the repositories whose project asks for it when a rescan finds a new critical vulnerability. */
  async #quarantineWherePolicySays(policies: ReadonlyMap<string, VulnerabilityPolicy>, digest: string, advisories: readonly string[],
    repositories: readonly string[], now: number): Promise<void> {
    for (const repository of repositories) {
      if (!policies.get(projectOf(repository))?.autoQuarantine) continue;
      await this.metadata.policies().quarantine({
        repository, digest, children: [], origin: systemOrigin, now,
        reason: `a rescan found critical vulnerabilities (${advisories.slice(0, 5).join(', ')}${advisories.length > 5 ? ', …' : ''}) `
          + `and project ${projectOf(repository)}'s policy quarantines such images`,
      });
      this.log.warn({ repository, digest, advisories }, 'quarantined an image a rescan found critical vulnerabilities in');
    }
  }

  async #queue(images: readonly ScanJobPayload[]): Promise<void> {
    if (images.length === 0) return;
    await this.#scans().markQueued(images.map((image) => image.digest), builtInScanner, Date.now());
    this.epoch++;
    await this.enqueueAll(images.map(({ repository, digest }) => ({
      kind: scanJobKind, payload: { repository, digest } satisfies ScanJobPayload, uniqueKey: `${scanJobKind}:${digest}`, runAfter: Date.now(), maxAttempts: 3,
    })));
  }

  async #resolve(principal: Principal, repository: string, reference: string): Promise<{ manifest: StoredManifest; parsed: ParsedManifest }> {
    if (!(await this.access.mayRead(principal, repository))) {
      throw new RegistryError('NAME_UNKNOWN', `there is no repository "${repository.slice(0, 255)}" you may see: check the name, or sign in`, { repository });
    }
    const byDigest = reference.includes(':');
    if (byDigest && !isDigest(reference)) throw new RegistryError('INVALID_REQUEST', `reference: "${reference.slice(0, 80)}" is neither a tag nor a digest`);
    const manifest = byDigest ? await this.metadata.manifestByDigest(repository, reference) : await this.metadata.manifestByTag(repository, reference);
    if (!manifest) throw new RegistryError('MANIFEST_UNKNOWN', `${repository} has no manifest ${reference.slice(0, 140)}`, { repository, reference });
    return { manifest, parsed: parseManifest(manifest.content, manifest.mediaType) };
  }
}

/** What the built-in scanner knows of an image it does not read (an external scanner is used instead). */
const noInventory: Awaited<ReturnType<typeof readImageInventory>> = {
  inventory: { packages: [] },
  walk: { layersRead: 0, entriesSeen: 0, entriesRejected: 0, rejected: [], filesTaken: 0, bytesRead: 0, bytesTaken: 0 },
};

function countBySeverity(findings: readonly { severity: string }[]): Record<string, number> {
  const counts: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0, other: 0 };
  for (const { severity } of findings) {
    const key = severity === 'NEGLIGIBLE' || severity === 'UNKNOWN' ? 'other' : severity.toLowerCase();
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Layer media types that are file system changesets (tar, possibly compressed); anything else is not an image. */
const fileSystemLayer = /^application\/vnd\.(oci\.image\.layer(\.nondistributable)?\.v1\.tar(\+gzip|\+zstd)?|docker\.image\.rootfs\.(foreign\.)?diff\.tar(\.gzip)?)$/;

/** An image manifest with at least one layer, all of them file systems, and no artifactType (signatures, SBOMs). */
export function isScannable(manifest: ParsedManifest): boolean {
  return imageMediaTypes.has(manifest.mediaType) && manifest.artifactType === manifest.config?.mediaType && isImageConfig(manifest.config?.mediaType)
    && manifest.layers.length > 0 && manifest.layers.every((layer) => fileSystemLayer.test(layer.mediaType));
}

function isImageConfig(mediaType: string | undefined): boolean {
  return mediaType === 'application/vnd.oci.image.config.v1+json' || mediaType === 'application/vnd.docker.container.image.v1+json';
}

/** From an `artifact.pushed` event's data: an image manifest that is no artifact (no artifactType, no subject). */
function isScannableType(data: RegistryEvent['data']): boolean {
  const fields = (data ?? {}) as { mediaType?: unknown; artifactType?: unknown; subject?: unknown };
  return typeof fields.mediaType === 'string' && imageMediaTypes.has(fields.mediaType) && fields.subject === undefined
    && (fields.artifactType === undefined || isImageConfig(fields.artifactType as string));
}

export type { ScanReport };
