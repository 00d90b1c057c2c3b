import type { NewRegistryEvent } from '../events/registry-event.js';
import type { Distro, InstalledPackage, Severity } from '../scanning/model.js';

/**
 * What the vulnerability scanner keeps (migration 0008): each image's scan state, inventory and findings, and the
 * advisories loaded from the feed. Every implementation passes test/suites/scan-store.suite.ts.
 */
export interface ScanStore {
  /** Scan states of those of `digests` that have one. */
  reports(digests: readonly string[]): Promise<Map<string, ScanReport>>;
  /** Records that scans of `digests` are queued (one transaction); a report done or failed keeps its results until replaced. */
  markQueued(digests: readonly string[], scanner: string, now: number): Promise<void>;
  markScanning(digest: string, now: number): Promise<void>;
  /** A scan that ended without results: failed (with why), or unsupported (not an image: nothing to scan). */
  markFailed(digest: string, reason: string, now: number, status?: 'failed' | 'unsupported', events?: readonly NewRegistryEvent[]): Promise<void>;
  /**
   * Stores an image's inventory and findings, replacing any earlier ones, and marks its scan done, with `events`:
   * one transaction.
   */
  saveScan(digest: string, scan: CompletedScan, now: number, events?: readonly NewRegistryEvent[]): Promise<void>;
  /** An image's inventory, in the order it was stored (`seq`). */
  packages(digest: string): Promise<StoredPackage[]>;
  /** An image's findings with the advisory's summary and aliases. */
  findings(digest: string): Promise<StoredFinding[]>;

  /** Stores advisories (replacing those with the same id) and drops the ids in `removed` (withdrawn): one transaction. */
  saveAdvisories(advisories: readonly NewAdvisory[], removed: readonly string[]): Promise<void>;
  /** Advisories naming any of the (ecosystem, match name) pairs, as stored (the record is JSON). */
  advisoriesFor(packages: readonly PackageKey[]): Promise<StoredAdvisory[]>;
  /** The stored `modified` time of those of `ids` that are stored. */
  advisoryModified(ids: readonly string[]): Promise<Map<string, number>>;
  /** How many advisories are stored. */
  advisoryCount(): Promise<number>;

  /**
   * What a rematch of changed advisories must read: the distinct package versions, in images whose scan is done,
   * that advisories name by one of these (ecosystem, match name) pairs, each with how many packages of the images it
   * is; and how many of Berth's own findings of `advisoryIds` those images hold now. An advisory's verdict depends
   * only on the package version, so each variant is matched once however many images hold it.
   */
  rematchScope(packages: readonly PackageKey[], advisoryIds: readonly string[]): Promise<RematchScope>;
  /**
   * Matches the changed advisories again in the images whose key is in `range`, as sets, in one transaction:
   * each image's own findings of `rematch.advisoryIds` become those `rematch.findings` give its packages (reported
   * ones stay); only images whose findings change are written, their counts recounted and `matchedAt` moved to
   * `now`; an image that gains a critical advisory it did not have gets a `vulnerability.found` event in each
   * repository holding it. Images whose scan is not done are left alone.
   */
  rematchRange(rematch: AdvisoryRematch, range: ImageKeyRange, now: number): Promise<RangeRematch>;
  /**
   * Replaces an image's findings with `findings`, matched again against the advisories as they now are, and recounts
   * its report. Findings external scanners reported are kept. False when the image has no finished scan (nothing is
   * written).
   */
  replaceFindings(digest: string, findings: readonly NewFinding[], now: number, events?: readonly NewRegistryEvent[]): Promise<boolean>;
  /** The repositories that hold each of these manifests: where a rematch's events are told. */
  repositoriesWith(digests: readonly string[]): Promise<Map<string, string[]>>;
  /** The ecosystems of every stored inventory: which feeds to load. */
  inventoryEcosystems(): Promise<string[]>;

  feeds(): Promise<FeedState[]>;
  saveFeed(feed: FeedState): Promise<void>;

  /** Every project's vulnerability policy (projects without one have none). */
  vulnerabilityPolicies(): Promise<Map<string, VulnerabilityPolicy>>;
  saveVulnerabilityPolicy(policy: VulnerabilityPolicy): Promise<void>;
  /** A project's allowlist entries, or with `project` '' the registry-wide ones, expired ones included. */
  allowlist(project: string): Promise<AllowedAdvisory[]>;
  /** Adds an entry, or replaces the project's entry for the same advisory. */
  allowAdvisory(entry: NewAllowedAdvisory): Promise<AllowedAdvisory>;
  /** Removes an entry of the project ('' registry-wide); false when it has no entry with that id. */
  disallowAdvisory(project: string, id: number): Promise<boolean>;

  // The project overview (GET /api/v1/projects/{name}/vulnerabilities): a project's images, worst first.
  /**
   * A page of the project's images, worst first: most critical findings, then high, medium, low, other, then most
   * fixable; ties by repository and digest. An image is a container-image manifest of one of the project's
   * repositories (not an index, not a referrer), one row per repository; one without a report comes unscanned.
   * One indexed range over the project's repositories joined to the reports by digest: no report of another
   * project is read.
   */
  projectImages(project: string, after: ProjectImageCursor | undefined, limit: number): Promise<ProjectImage[]>;
  /** Figures of all the project's images (as projectImages counts them): per scan status, per worst finding, per severity. */
  projectScanTotals(project: string): Promise<ProjectScanTotals>;
}

/** An image of a project's vulnerability overview. */
export interface ProjectImage {
  readonly repository: string;
  readonly digest: string;
  /** When it was pushed to the repository. */
  readonly pushedAt: number;
  /** The first few tags (by name) that name it, or name an index of the repository that holds it. */
  readonly tags: readonly string[];
  /** How many such tags there are. */
  readonly tagCount: number;
  /** Its scan, if one was ever asked for. */
  readonly report: ScanReport | undefined;
}

/** Where a page of projectImages stopped: its last row's counts (critical, high, medium, low, other, fixable) and name. */
export interface ProjectImageCursor {
  readonly rank: readonly number[];
  readonly repository: string;
  readonly digest: string;
}

export interface ProjectScanTotals {
  readonly images: number;
  /** Images per scan status; 'not scanned': those without a report. */
  readonly byStatus: Readonly<Record<ScanStatus | 'not scanned', number>>;
  /** Images whose findings were ever matched, by their worst finding; `none`: no finding at all. */
  readonly byWorst: SeverityCounts & { readonly none: number };
  /** Findings over all the images, per severity, and how many of them have a fix. */
  readonly findings: SeverityCounts & { readonly fixable: number };
}

/** A project's rules for pulls of vulnerable images. */
export interface VulnerabilityPolicy {
  readonly project: string;
  /** Pulls of images with a finding at or above this severity (not allowlisted) are refused; undefined: none are. */
  readonly blockSeverity: Severity | undefined;
  /** Pulls of images whose scan has not finished are refused. */
  readonly blockUnscanned: boolean;
  /** A rescan that finds a new critical vulnerability quarantines the image. */
  readonly autoQuarantine: boolean;
  readonly updatedBy: string;
  readonly updatedAt: number;
}

export interface NewAllowedAdvisory {
  /** '' for the whole registry. */
  readonly project: string;
  /** An advisory id or one of its aliases (a CVE). */
  readonly advisoryId: string;
  readonly reason: string;
  readonly expiresAt: number | undefined;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface AllowedAdvisory extends NewAllowedAdvisory {
  readonly id: number;
}

export type ScanStatus = 'queued' | 'scanning' | 'done' | 'failed' | 'unsupported';

export interface SeverityCounts {
  readonly critical: number;
  readonly high: number;
  readonly medium: number;
  readonly low: number;
  /** Negligible and unknown. */
  readonly other: number;
}

export interface ScanReport {
  readonly digest: string;
  readonly status: ScanStatus;
  /** Why the scan failed; for a done scan, what it could not read (the files it skipped, and why), if anything. */
  readonly reason: string | undefined;
  readonly scanner: string;
  readonly distro: Distro | undefined;
  readonly packageCount: number;
  readonly counts: SeverityCounts;
  /** Findings with a fixed version. */
  readonly fixable: number;
  readonly queuedAt: number;
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
  /** When the findings were last matched (the scan, or a rescan after the feed changed). */
  readonly matchedAt: number | undefined;
}

export interface CompletedScan {
  readonly scanner: string;
  readonly distro: Distro | undefined;
  readonly packages: readonly InstalledPackage[];
  readonly findings: readonly NewFinding[];
  /** What the scan could not read (files it skipped), in a sentence: stored as the report's reason. */
  readonly note?: string | undefined;
}

/** A package of the inventory as stored; `seq` its position. */
export interface StoredPackage extends InstalledPackage {
  readonly seq: number;
}

/**
 * A match of the package at `packageSeq` of the inventory against an advisory; or, with `reported`, a vulnerability
 * an external scanner reported, whose `packageSeq` is negative (-1, -2, … within the image: no inventory package).
 */
export interface NewFinding {
  readonly advisoryId: string;
  readonly packageSeq: number;
  readonly fixedVersion: string | null;
  readonly severity: Severity;
  readonly score: number | undefined;
  /** Set for a finding an external scanner reported (migration 0009); undefined for Berth's own matches. */
  readonly reported?: ReportedBy | undefined;
}

/** Who reported a finding Berth did not match itself, of which package, and what it said of it. */
export interface ReportedBy {
  /** The external scanner's name. */
  readonly scanner: string;
  readonly package: string;
  readonly version: string;
  readonly summary: string | undefined;
  readonly links: readonly string[];
}

export interface StoredFinding extends NewFinding {
  /** The advisory's summary, else (for a reported finding) what the scanner said. */
  readonly summary: string | undefined;
  readonly aliases: readonly string[];
}

/** A distinct package version of the stored inventories, as matching reads it. */
export interface PackageVariant {
  readonly ecosystem: string;
  readonly kind: InstalledPackage['kind'];
  readonly matchName: string;
  readonly version: string;
  readonly sourceVersion: string | null;
}

export interface RematchScope {
  /** The variants, each with how many packages of images whose scan is done it is. */
  readonly variants: readonly (PackageVariant & { readonly packages: number })[];
  /** How many findings of the changed advisories are stored. */
  readonly findings: number;
  /** The lowest and highest image keys (see ImageKeyRange); undefined when no image was ever scanned. */
  readonly imageKeys: ImageKeyRange | undefined;
}

/** An advisory's finding on every package of one variant. */
export interface VariantFinding extends PackageVariant {
  readonly advisoryId: string;
  readonly fixedVersion: string | null;
  readonly severity: Severity;
  readonly score: number | undefined;
}

/** Changed advisories (withdrawn and removed ones among them) and what they now find, per package variant. */
export interface AdvisoryRematch {
  readonly advisoryIds: readonly string[];
  /** At most one per variant and advisory. */
  readonly findings: readonly VariantFinding[];
}

/**
 * Scanned images by the store's own key, from `first` to `last` (both included). The key numbers images in the
 * order they were first scanned, and each image's packages and findings are stored in its order, so a rematch that
 * walks it in ranges writes each range's own run of pages.
 */
export interface ImageKeyRange {
  readonly first: number;
  readonly last: number;
}

export interface RangeRematch {
  /** How many images' findings changed. */
  readonly written: number;
  /** Those that gained critical advisories: which, and the repositories told of it. */
  readonly critical: readonly { readonly digest: string; readonly advisories: readonly string[]; readonly repositories: readonly string[] }[];
}

/** An (ecosystem, name) pair as advisories name packages: an OS package's source, a PEP 503-normalised PyPI name. */
export interface PackageKey {
  readonly ecosystem: string;
  readonly name: string;
}

export interface NewAdvisory {
  readonly id: string;
  readonly modified: number;
  readonly summary: string | undefined;
  readonly aliases: readonly string[];
  /** The (ecosystem, name) pairs its affected entries name. */
  readonly packages: readonly PackageKey[];
  /** The record as JSON. */
  readonly record: string;
}

export interface StoredAdvisory {
  readonly id: string;
  readonly modified: number;
  readonly record: string;
}

/** A feed source (an OSV ecosystem folder: `Debian`, `Alpine`, `npm`, ...) and how far it was read. */
export interface FeedState {
  readonly source: string;
  /** Where it was loaded from (a URL or a folder). */
  readonly location: string;
  /** The newest `modified` among the records read, in ms: the next refresh reads what changed after it. */
  readonly newestModified: number | undefined;
  readonly records: number;
  readonly refreshedAt: number;
  /** Why the last refresh failed; undefined when it succeeded. */
  readonly error: string | undefined;
}

/** A report's counts of these findings: by severity, and how many have a fixed version. */
export function countFindings(findings: readonly { severity: Severity; fixedVersion: string | null }[]): SeverityCounts & { fixable: number } {
  let critical = 0, high = 0, medium = 0, low = 0, other = 0, fixable = 0;
  for (const finding of findings) {
    if (finding.severity === 'CRITICAL') critical++;
    else if (finding.severity === 'HIGH') high++;
    else if (finding.severity === 'MEDIUM') medium++;
    else if (finding.severity === 'LOW') low++;
    else other++;
    if (finding.fixedVersion !== null) fixable++;
  }
  return { critical, high, medium, low, other, fixable };
}
