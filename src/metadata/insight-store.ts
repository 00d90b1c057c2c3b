import type { ArtifactFacts, ArtifactPlatform } from './artifact-facts.js';
import type { Job, JobStatus } from './metadata-store.js';

/**
 * The read side of what the registry holds, for the query API, "latest", the usage figures and the UI's lists, and
 * the pull statistics written from the outbox. Every implementation passes test/suites/insight-store.suite.ts.
 */
export interface InsightStore {
  /** Stored facts of those of `digests` that have them (children of an index being pushed, for its roll-up). */
  facts(digests: readonly string[]): Promise<Map<string, StoredFacts>>;
  /** Every tag of a repository with its artifact's facts and pull figures, in tag name order. */
  tagRows(repository: string): Promise<TagRow[]>;
  /** The platforms of each of `digests` that has any. */
  platforms(digests: readonly string[]): Promise<Map<string, ArtifactPlatform[]>>;
  /**
   * Tags across repositories matching the filter's indexed parts, in the sort's order after `after`, at most
   * `limit`: one batch of a keyset scan (patterns are matched by the caller on the rows).
   */
  queryTags(filter: TagFilter, sort: TagSort, after: TagCursor | undefined, limit: number): Promise<TagRow[]>;
  /** Repositories of a project with their figures, in name order after `after`, at most `limit`. */
  repositories(project: string, contains: string | undefined, after: string | undefined, limit: number): Promise<RepositorySummary[]>;
  repository(name: string): Promise<RepositorySummary | undefined>;
  /** Stored bytes (blobs shared between the project's repositories counted once) and pulls of a project. */
  projectUsage(project: string): Promise<ProjectUsage>;
  /** When a manifest was first pushed to (or mounted in) a repository; undefined when it is not there. */
  pushedAt(repository: string, digest: string): Promise<number | undefined>;
  /** Pulls of a digest in a repository, and of the tags they went through. */
  pullFigures(repository: string, digest: string): Promise<PullFigures>;
  /** Repositories, tags and labels whose text contains `text`, within `scope`, at most `limit` of each. */
  search(text: string, scope: ProjectScope, limit: number): Promise<SearchHits>;

  /**
   * Adds a batch of pulls (outbox events in id order) to the per-digest and per-tag figures, in one transaction
   * that also records the last event id counted; events at or before the recorded id are skipped, so a batch
   * delivered again is not counted twice.
   */
  recordPulls(pulls: readonly PullRecord[]): Promise<void>;
  /**
   * Drops the figures of a deleted manifest, or of a deleted tag, for the outbox event `eventId`: skipped, as pulls
   * are, when that event was already counted.
   */
  forgetPulls(repository: string, what: { digest: string } | { tag: string }, eventId: number): Promise<void>;

  /** Manifests stored before their facts were kept (older Berths), in digest order after `after`, at most `limit`. */
  manifestsWithoutFacts(after: string | undefined, limit: number): Promise<FactlessManifest[]>;
  /** Stores facts learnt after the push (backfill); a manifest that has facts keeps them. */
  saveFacts(digest: string, facts: ArtifactFacts, annotations: Readonly<Record<string, string>> | undefined): Promise<void>;

  /** Jobs newest first, after the id `after`, at most `limit`. */
  jobs(filter: { status?: JobStatus | undefined; kind?: string | undefined }, after: number | undefined, limit: number): Promise<Job[]>;
}

export interface FactlessManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly content: Buffer;
}

/** Projects a caller may see: every project, or those named. */
export type ProjectScope = 'all' | readonly string[];

export interface StoredFacts {
  readonly digest: string;
  readonly os: string | undefined;
  readonly architecture: string | undefined;
  readonly variant: string | undefined;
  readonly created: number | undefined;
  readonly labels: Record<string, string>;
  readonly totalSize: number;
}

export interface TagRow {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType: string | undefined;
  /** The artifact's total size when its facts are known, else its manifest's. */
  readonly size: number;
  /** When the tag was last pointed at its digest. */
  readonly pushedAt: number;
  readonly created: number | undefined;
  readonly labels: Record<string, string>;
  /** Pulls of the digest in this repository, by tag or digest. */
  readonly pulls: number;
  readonly lastPulledAt: number | undefined;
  /** Pulls through this tag. */
  readonly tagPulls: number;
  readonly quarantined: boolean;
}

export interface PropertyFilter {
  readonly key: string;
  /** Absent: the key only has to be present. */
  readonly value?: string | undefined;
}

export interface TagFilter {
  readonly scope: ProjectScope;
  readonly project?: string | undefined;
  /** Repositories whose name starts with this (the literal head of a pattern). */
  readonly repositoryPrefix?: string | undefined;
  readonly labels: readonly PropertyFilter[];
  readonly annotations: readonly PropertyFilter[];
  readonly platform?: { readonly os: string; readonly architecture: string; readonly variant?: string | undefined } | undefined;
  readonly mediaType?: string | undefined;
  readonly artifactType?: string | undefined;
  readonly pushedAfter?: number | undefined;
  readonly pushedBefore?: number | undefined;
  readonly pulledAfter?: number | undefined;
  readonly pulledBefore?: number | undefined;
  readonly minSize?: number | undefined;
  readonly maxSize?: number | undefined;
}

export interface TagSort {
  readonly by: 'name' | 'pushed' | 'size' | 'pulled';
  readonly order: 'asc' | 'desc';
}

/** Where a keyset scan stopped: the last row's sort value (absent for name order), repository and tag. */
export interface TagCursor {
  readonly value?: number | undefined;
  readonly repository: string;
  readonly tag: string;
}

export interface RepositorySummary {
  readonly name: string;
  readonly artifactCount: number;
  readonly tagCount: number;
  /** Bytes of the blobs and manifests the repository links. */
  readonly storedBytes: number;
  readonly pulls: number;
  readonly lastPulledAt: number | undefined;
  /** When a tag of it last moved, else when it was created. */
  readonly updatedAt: number;
}

export interface ProjectUsage {
  readonly repositories: number;
  /** Bytes stored for the project, each blob and manifest counted once however many of its repositories link it. */
  readonly storedBytes: number;
  /** The sum of its repositories' stored bytes: what the project would take without deduplication. */
  readonly logicalBytes: number;
  readonly pulls: number;
  readonly lastPulledAt: number | undefined;
}

export interface PullFigures {
  readonly pulls: number;
  readonly lastPulledAt: number | undefined;
  readonly tags: ReadonlyMap<string, { pulls: number; lastPulledAt: number }>;
}

export interface SearchHits {
  readonly repositories: string[];
  readonly tags: { repository: string; tag: string; digest: string }[];
  readonly labels: { repository: string; tag: string; digest: string; key: string; value: string }[];
}

export interface PullRecord {
  /** The outbox event's id. */
  readonly id: number;
  readonly repository: string;
  readonly digest: string;
  readonly tag: string | undefined;
  readonly at: number;
}
