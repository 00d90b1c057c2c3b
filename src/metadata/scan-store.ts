import type { NewRegistryEvent } from '../events/registry-event.js';
import type { Distro, InstalledPackage, Severity } from '../scanning/model.js';

/**
 * What the vulnerability scanner keeps (migration 0008): each image's scan state, inventory and findings, and the
 * advisories loaded from the feed. Every implementation passes test/suites/scan-store.suite.ts.
 */
export interface ScanStore {
  /** Scan states of those of `digests` that have one. */
  reports(digests: readonly string[]): Promise<Map<string, ScanReport>>;
  /** Records that a scan of `digest` is queued; a report already done or failed keeps its results until replaced. */
  markQueued(digest: string, scanner: string, now: number): Promise<void>;
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

  /** Digests whose inventory holds a package with one of these (ecosystem, match name) pairs: whom an advisory may touch. */
  digestsWithPackages(packages: readonly PackageKey[]): Promise<string[]>;
  /** Digests with findings of any of these advisories: whom a changed or withdrawn advisory may no longer touch. */
  digestsWithFindings(advisoryIds: readonly string[]): Promise<string[]>;
  /**
   * Replaces an image's findings with `findings`, matched again against the advisories as they now are, and recounts
   * its report: a rescan after the feed changed. False when the image has no finished scan (nothing is written).
   */
  replaceFindings(digest: string, findings: readonly NewFinding[], now: number, events?: readonly NewRegistryEvent[]): Promise<boolean>;
  /** The repositories that hold the manifest `digest`: where a rematch's events are told. */
  repositoriesWith(digest: string): Promise<string[]>;
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
  /** Why the scan failed. */
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
}

/** A package of the inventory as stored; `seq` its position. */
export interface StoredPackage extends InstalledPackage {
  readonly seq: number;
}

/** A match of the package at `packageSeq` of the inventory against an advisory. */
export interface NewFinding {
  readonly advisoryId: string;
  readonly packageSeq: number;
  readonly fixedVersion: string | null;
  readonly severity: Severity;
  readonly score: number | undefined;
}

export interface StoredFinding extends NewFinding {
  readonly summary: string | undefined;
  readonly aliases: readonly string[];
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
