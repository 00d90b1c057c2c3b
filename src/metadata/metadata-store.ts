/**
 * The source of truth for what exists where. The registry asks it which blobs and manifests a repository may see,
 * what a tag points to, what refers to what; storage is only asked for bytes. Every implementation passes
 * test/suites/metadata-store.suite.ts. Each write method is one transaction: it is wholly visible or not at all.
 */
export interface MetadataStore {
  /**
   * A number that changes whenever a write may have changed what a read returns: this process's writes and, where
   * the database has other writers (other processes or nodes), theirs. Cheap enough to call on every request, so
   * caches above the store can check it before serving.
   */
  changeVersion(): number;

  /** Size of a blob linked to the repository, or undefined when the repository may not see it. */
  linkedBlob(repository: string, digest: string): Promise<{ size: number } | undefined>;
  /** Sizes of those of `digests` linked to the repository. */
  linkedBlobSizes(repository: string, digests: readonly string[]): Promise<Map<string, number>>;
  /** Repositories that link a blob, in name order, at most `limit`. */
  repositoriesWithBlob(digest: string, limit: number): Promise<string[]>;
  /**
   * Records a blob (whose bytes are durable) and links it to the repository, creating the repository if new; when
   * `endSession` names the upload session that brought the blob, the session ends in the same transaction.
   */
  linkBlob(repository: string, digest: string, size: number, endSession?: string): Promise<void>;
  /** Removes a repository's link to a blob; false when there was none. The bytes stay for a later sweep. */
  unlinkBlob(repository: string, digest: string): Promise<boolean>;

  /** Those of `digests` that are manifests of the repository. */
  linkedManifests(repository: string, digests: readonly string[]): Promise<Set<string>>;
  /** Stores a manifest, links it to the repository and, when given, points the tag at it; one transaction. */
  putManifest(manifest: NewManifest): Promise<void>;
  /** A manifest of the repository by digest, or undefined. */
  manifestByDigest(repository: string, digest: string): Promise<StoredManifest | undefined>;
  /** The manifest a tag points to, or undefined. */
  manifestByTag(repository: string, tag: string): Promise<StoredManifest | undefined>;
  /** Unlinks a manifest from the repository and removes the tags that point to it; false when it was not there. */
  deleteManifest(repository: string, digest: string): Promise<boolean>;
  /** Removes one tag, leaving the manifest; false when the tag did not exist. */
  deleteTag(repository: string, tag: string): Promise<boolean>;
  /** Manifests of the repository whose subject is `digest`, optionally of one artifact type, in digest order. */
  referrers(repository: string, digest: string, artifactType?: string): Promise<Referrer[]>;

  repositoryExists(repository: string): Promise<boolean>;
  /** Tags of a repository in lexical order after `last`, at most `limit` (keyset pagination). */
  listTags(repository: string, after: string | undefined, limit: number): Promise<string[]>;
  /** Repository names in lexical order after `last`, at most `limit`. */
  listRepositories(after: string | undefined, limit: number): Promise<string[]>;

  createUploadSession(id: string, repository: string, now: number): Promise<void>;
  uploadSession(id: string): Promise<UploadSession | undefined>;
  touchUploadSession(id: string, now: number): Promise<void>;
  deleteUploadSession(id: string): Promise<void>;
  /** Ids of sessions untouched since `before`. */
  staleUploadSessions(before: number): Promise<string[]>;
  /** Whether the ids name open sessions; for sweeping orphaned upload bytes. */
  existingUploadSessions(ids: readonly string[]): Promise<Set<string>>;

  close(): Promise<void>;
}

export interface NewManifest {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly content: Buffer;
  readonly artifactType: string | undefined;
  readonly subjectDigest: string | undefined;
  readonly annotations: Record<string, string> | undefined;
  readonly references: readonly { digest: string; kind: 'blob' | 'manifest' }[];
  readonly tag: string | undefined;
  readonly now: number;
}

export interface StoredManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly content: Buffer;
}

export interface Referrer {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType: string | undefined;
  readonly annotations: Record<string, string> | undefined;
}

export interface UploadSession {
  readonly id: string;
  readonly repository: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}
