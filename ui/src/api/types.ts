/** The shapes /api/v1 answers with (src/http/api/openapi.ts and the insight contract describe them). */

export interface Me {
  readonly kind: 'user' | 'robot';
  readonly username?: string;
  readonly name?: string;
  readonly admin: boolean;
  readonly source: string | null;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly groups: string[];
}

export interface AuthMethods {
  readonly password: boolean;
  readonly oidc: { readonly name: string } | null;
}

export interface Project {
  readonly id: number;
  readonly name: string;
  readonly public: boolean;
  readonly createdBy: string | null;
  readonly createdAt: string | null;
  /** What the caller may do here, when the API says (else the UI works it out from the members). */
  readonly capabilities?: string[];
}

export interface ProjectUsage {
  readonly project: string;
  readonly storedBytes: number;
  readonly logicalBytes: number;
  readonly savedByDeduplication: number;
  readonly pulls: number;
  readonly lastPulledAt: string | null;
  readonly repositories: number;
}

export interface Repository {
  readonly name: string;
  readonly project: string;
  readonly artifactCount: number;
  readonly tagCount: number;
  readonly storedBytes: number;
  readonly pulls: number;
  readonly lastPulledAt: string | null;
  readonly updatedAt: string | null;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string | null;
}

export interface TagRow {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType: string | null;
  readonly size: number;
  readonly platforms: Platform[];
  readonly pushedAt: string | null;
  readonly lastPulledAt: string | null;
  readonly pulls: number;
  readonly quarantined: boolean;
  readonly labels: Record<string, string>;
}

export interface ImageConfig {
  readonly labels: Record<string, string> | null;
  readonly env: string[] | null;
  readonly entrypoint: string[] | null;
  readonly cmd: string[] | null;
  readonly workingDir: string | null;
  readonly user: string | null;
  readonly created: string | null;
  readonly author: string | null;
}

export interface ArtifactPlatform extends Platform {
  readonly digest: string;
  readonly size: number;
  readonly config: ImageConfig | null;
  readonly layers: { readonly digest: string; readonly mediaType: string; readonly size: number }[];
  readonly history: { readonly created: string | null; readonly createdBy: string | null; readonly emptyLayer: boolean; readonly comment: string | null }[];
}

export interface Referrer {
  readonly digest: string;
  readonly artifactType: string | null;
  readonly mediaType: string;
  readonly size: number;
  readonly annotations: Record<string, string> | null;
  readonly group: 'signature' | 'sbom' | 'attestation' | 'other';
}

export interface Artifact {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType: string | null;
  readonly size: number;
  readonly tags: string[];
  readonly pushedAt: string | null;
  readonly lastPulledAt: string | null;
  readonly pulls: number;
  readonly annotations: Record<string, string> | null;
  readonly manifest: unknown;
  readonly platforms: ArtifactPlatform[];
  readonly referrers: Referrer[];
  readonly quarantine: { readonly reason: string; readonly by: string; readonly at: string | null } | null;
}

/** A row of /api/v1/artifacts: the same shape as a tag list's row (both are the server's tagView). */
export type ArtifactRow = TagRow;

export interface SearchResults {
  readonly repositories: ({ readonly name: string; readonly project: string } | string)[];
  readonly tags: { readonly repository: string; readonly tag: string; readonly digest: string }[];
  readonly labels: { readonly repository: string; readonly tag: string; readonly digest: string; readonly key: string; readonly value: string }[];
}

export interface Member {
  readonly kind: 'user' | 'group';
  readonly name: string;
  readonly role: Role;
}

export const roles = ['limited-guest', 'guest', 'developer', 'maintainer', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface Robot {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  readonly permissions: { readonly project: string; readonly actions: string[] }[];
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly createdBy: string;
  readonly createdAt: string | null;
  readonly lastUsedAt: string | null;
}

export interface Webhook {
  readonly id: string;
  readonly project: string;
  readonly url: string;
  readonly events: string[];
  readonly repositories: string;
  readonly tags: string;
  readonly description: string | null;
  readonly enabled: boolean;
  readonly createdBy: string;
  readonly createdAt: string | null;
}

export interface Delivery {
  readonly id: number | string;
  readonly type: string;
  readonly repository: string;
  readonly digest: string;
  readonly tag: string | null;
  readonly status: string;
  readonly responseCode: number | null;
  readonly error: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly attempts: { readonly attempt: number; readonly status: string; readonly responseCode: number | null; readonly durationMs: number; readonly error: string | null; readonly at: string | null }[];
}

export interface ImmutableRule {
  readonly id: number;
  readonly project: string;
  readonly tags: string;
  readonly repositories: string;
  readonly createdBy: string;
  readonly createdAt: string | null;
}

export interface Puller {
  readonly actor: string;
  readonly actorKind: string;
  readonly count: number;
  readonly firstPull: string | null;
  readonly lastPull: string | null;
  readonly addresses: string[];
}

export interface AuditEvent {
  readonly id: number;
  readonly at: string | null;
  readonly actor: string;
  readonly actorKind: string;
  readonly action: string;
  readonly repository: string | null;
  readonly digest: string | null;
  readonly tag: string | null;
  readonly address: string | null;
  readonly outcome: string;
  readonly detail: unknown;
}

export interface User {
  readonly id: number;
  readonly username: string;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly source: string;
  readonly admin: boolean;
  readonly disabled: boolean;
  readonly createdAt: string | null;
  readonly lastLoginAt: string | null;
}

export interface Group {
  readonly id: number;
  readonly name: string;
  readonly source: string;
  readonly externalName: string | null;
  readonly createdAt: string | null;
}

export interface Job {
  readonly id: number | string;
  readonly kind: string;
  readonly status: string;
  readonly attempts: number;
  readonly progress: { readonly done: number; readonly total: number; readonly note?: string | null } | null;
  readonly lastError: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

/** A scan's state; an index takes the least advanced of its platforms' (src/features/scanning/vulnerability-report.ts). */
export type ScanStatus = 'queued' | 'scanning' | 'done' | 'failed' | 'unsupported' | 'not scanned';

/** Severities as the API writes them; `severity=` filters take them in any case. */
export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'NEGLIGIBLE' | 'UNKNOWN';

/** Counts of findings; `other` is negligible and unknown together. */
export interface SeveritySummary {
  readonly critical: number;
  readonly high: number;
  readonly medium: number;
  readonly low: number;
  readonly other: number;
  readonly fixable: number;
  readonly total: number;
}

export interface Distro {
  readonly id: string;
  readonly versionId: string;
  readonly prettyName?: string;
  /** The OSV ecosystem of its packages (`Debian:12`); absent for a distro OSV has no advisories for. */
  readonly ecosystem?: string;
}

/** One image's scan (an index has one per platform). Fields without a value are left out of the JSON. */
export interface PlatformScan {
  readonly digest: string;
  /** os/architecture[/variant], when known. */
  readonly platform?: string;
  readonly status: ScanStatus;
  /** Why the scan failed. */
  readonly reason?: string;
  readonly scanner?: string;
  readonly distro?: Distro;
  readonly packages: number;
  /** All of this image's findings, whatever the filter. */
  readonly summary: SeveritySummary;
  readonly queuedAt?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** When the findings were last matched against the advisories (the scan, or a rescan after the feed changed). */
  readonly matchedAt?: string;
  /** The SBOM Berth attached to the image as a referrer in this repository; null until one is. */
  readonly sbom?: AttachedSbom | null;
}

/** An SBOM referrer Berth attached to a scanned image. */
export interface AttachedSbom {
  readonly digest: string;
  readonly artifactType: string;
  readonly format?: 'cyclonedx' | 'spdx';
  readonly size: number;
  readonly created?: string;
}

export interface Vulnerability {
  readonly id: string;
  readonly aliases: string[];
  /** Written by the advisory's author: text, never markup. */
  readonly summary?: string;
  readonly severity: Severity;
  readonly score?: number;
  readonly package: string;
  readonly version: string;
  /** null when no fixed version is known. */
  readonly fixedVersion: string | null;
  /** `reported`: named by an external scanner's report, without ecosystem, file or purl. */
  readonly kind: 'dpkg' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'go' | 'maven' | 'reported';
  readonly ecosystem: string;
  /** The source package advisories name, for OS packages. */
  readonly sourcePackage?: string;
  readonly path: string;
  readonly purl: string;
  /** `berth` (the built-in scanner) or the external scanner that reported it. */
  readonly scanner?: string;
  /** Links an external scanner gave to fuller descriptions (http and https only). */
  readonly links?: readonly string[];
  /** The image digests (platforms) it was found in. */
  readonly platforms: string[];
}

/** GET /api/v1/vulnerabilities (and POST /api/v1/scans, which answers the report as the scan is queued). */
export interface VulnerabilityReport {
  readonly repository: string;
  readonly reference: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly status: ScanStatus;
  /** Counts of the findings listed, after the filter (a finding on two platforms counts once). */
  readonly summary: SeveritySummary;
  readonly platforms: PlatformScan[];
  readonly vulnerabilities: Vulnerability[];
}

/** GET /api/v1/advisory-feeds: one entry per source (OSV ecosystem without its suffix: `Debian`, `npm`). */
export interface AdvisoryFeed {
  readonly source: string;
  readonly location: string;
  /** Advisories stored, all sources together. */
  readonly records: number;
  readonly refreshedAt: string;
  readonly newestModified: string | null;
  /** Why the last refresh failed; null when it succeeded. */
  readonly error: string | null;
}
