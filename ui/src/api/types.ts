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
