import { artifactPulledEvent } from '../events/registry-event.js';
import { ConflictError } from '../errors/backend-errors.js';
import { RegistryError } from '../errors/registry-error.js';
import type { MetadataStore, StoredManifest } from '../metadata/metadata-store.js';
import { createHasher, looksLikeDigest, type DigestAlgorithm } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import { mediaTypes } from '../oci/media-types.js';
import { deletesDisabled } from './refusals.js';
import { assertName, assertTag, requireDigest } from './validate.js';
import { VersionedCache } from '../metadata/versioned-cache.js';
import type { PolicyPoint } from './policy-point.js';
import type { PullRecorder } from './pull-recorder.js';
import type { ArtifactFactsCollector } from './artifact-facts-collector.js';
import type { RequestContext } from './request-context.js';

export interface PushedManifest {
  readonly digest: string;
  /** Every tag the push pointed at the manifest (the reference, if a tag, and each `?tag=`). */
  readonly tags: readonly string[];
  /** The subject's digest, answered as OCI-Subject so clients know the registry indexed the referrer. */
  readonly subject: string | undefined;
}

const ociMediaTypes: ReadonlySet<string> = new Set([mediaTypes.ociManifest, mediaTypes.ociIndex]);

type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string; algorithm: DigestAlgorithm };

export interface ManifestOptions {
  /** Largest manifest accepted. */
  readonly maxBytes: number;
  readonly deleteEnabled: boolean;
  /**
   * Accept an index whose child manifests are not all in the repository (a mirror that copies some platforms only),
   * as Distribution 3's `validation.manifests.indexes.platforms` does. Blobs must still be present.
   */
  readonly allowSparseIndexes?: boolean;
}

/** Whether a read serves the manifest (GET, recorded as a pull) or only says it is there (HEAD). */
export type ReadIntent = 'pull' | 'check';

/**
 * Manifests and tags: validation on push (every referenced blob and child manifest must be in the repository),
 * content negotiation on pull, deletes by tag (only the tag) and by digest (the manifest and its tags).
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-manifests
 */
export class ManifestService {
  /** Manifests by repository and reference: a manifest GET or HEAD between writes costs no database read. */
  readonly #cache = new VersionedCache<StoredManifest | null>(64 * 1024 * 1024, (manifest) => 256 + (manifest?.size ?? 0), 'manifests');

  constructor(
    private readonly metadata: MetadataStore,
    private readonly options: ManifestOptions,
    private readonly policies: PolicyPoint,
    private readonly pulls: PullRecorder,
    private readonly facts: ArtifactFactsCollector,
  ) {}

  /** Largest manifest accepted; the HTTP layer refuses larger bodies before reading them. */
  get manifestMaxBytes(): number {
    return this.options.maxBytes;
  }

  /**
   * Stores a manifest under its digest and points tags at it: the reference when it is a tag, and each of
   * `extraTags` (the spec's `?tag=` query parameters, several tags in one push).
   */
  async put(context: RequestContext, repository: string, referenceValue: string, body: Buffer, contentType: string | undefined,
    extraTags: readonly string[] = []): Promise<PushedManifest> {
    assertName(repository);
    const reference = parseReference(referenceValue);
    for (const tag of extraTags) assertTag(tag);
    const tags = [...new Set([...(reference.kind === 'tag' ? [reference.tag] : []), ...extraTags])];
    if (body.length > this.options.maxBytes) throw manifestTooLarge(this.options.maxBytes);
    const algorithm = reference.kind === 'digest' ? reference.algorithm : 'sha256';
    const digest = `${algorithm}:${createHasher(algorithm).update(body).digest('hex')}`;
    if (reference.kind === 'digest' && reference.digest !== digest) {
      throw new RegistryError('DIGEST_INVALID',
        `the manifest's digest is ${digest}, not ${reference.digest}: push it under its own digest or by tag`,
        { expected: reference.digest, actual: digest });
    }
    const manifest = parseManifest(body, contentType);
    await this.#checkReferences(repository, manifest.blobs, this.options.allowSparseIndexes ? [] : manifest.manifests);
    const keepTags: string[] = [];
    await this.policies.checkPush(context, {
      repository, digest, tags,
      currentDigest: async (tag) => (await this.metadata.manifestByTag(repository, tag))?.digest,
      keep: (tag) => { keepTags.push(tag); },
    });
    await this.policies.beforeWrite(context, repository);
    const facts = await this.facts.collect(digest, body.length, manifest);
    // Pulls gathered so far go into the outbox first, so consumers see them in the order they happened.
    await this.pulls.flush();
    await this.metadata.putManifest({
      repository,
      digest,
      mediaType: manifest.mediaType,
      content: body,
      artifactType: manifest.artifactType,
      subjectDigest: manifest.subject?.digest,
      annotations: manifest.annotations,
      references: [
        ...manifest.blobs.map((blob) => ({ digest: blob.digest, kind: 'blob' as const })),
        ...manifest.manifests.map((child) => ({ digest: child.digest, kind: 'manifest' as const })),
      ],
      facts,
      tags,
      keepTags,
      origin: context.origin,
      now: Date.now(),
    }).catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error;
      throw new RegistryError('DENIED', `${error.message}, and the tag is immutable: push under a new tag`, { repository, digest });
    });
    return { digest, tags, subject: manifest.subject?.digest };
  }

  /**
   * The manifest a tag or digest names. An OCI manifest or index that `accept` leaves out is answered
   * MANIFEST_UNKNOWN saying which type exists, as Distribution does (old Docker clients cannot read OCI); Docker
   * types are served whatever `accept` says, since Distribution serves them too (or a schema 1 conversion that
   * Berth does not offer).
   */
  async get(context: RequestContext, repository: string, referenceValue: string, accept: readonly string[],
    intent: ReadIntent = 'pull'): Promise<StoredManifest> {
    assertName(repository);
    const version = this.metadata.changeVersion();
    const manifest = await this.#lookup(repository, referenceValue, version);
    if (!manifest) throw new RegistryError('MANIFEST_UNKNOWN', undefined, { repository, reference: referenceValue });
    if (!acceptable(manifest.mediaType, accept)) {
      throw new RegistryError('MANIFEST_UNKNOWN',
        `the manifest exists as ${manifest.mediaType}, which the Accept header does not include: add it to Accept`,
        { repository, reference: referenceValue, mediaType: manifest.mediaType });
    }
    await this.policies.checkPull(context, { repository, reference: referenceValue, digest: manifest.digest, mediaType: manifest.mediaType, version });
    if (intent === 'pull') {
      this.pulls.record(artifactPulledEvent(repository, manifest.digest, referenceValue, manifest.mediaType, context.origin, Date.now()));
    }
    return manifest;
  }

  /** The manifest a reference names, from the cache when nothing was written since `version` was read. */
  async #lookup(repository: string, referenceValue: string, version: number): Promise<StoredManifest | null> {
    const key = `${repository}\n${referenceValue}`;
    const cached = this.#cache.get(key, version);
    if (cached !== undefined) return cached;
    const reference = parseReference(referenceValue);
    const manifest = (reference.kind === 'tag'
      ? await this.metadata.manifestByTag(repository, reference.tag)
      : await this.metadata.manifestByDigest(repository, reference.digest)) ?? null;
    this.#cache.set(key, manifest, version);
    return manifest;
  }

  /**
   * Deletes a tag (the manifest stays) or, by digest, the manifest with every tag that points to it; answers the
   * manifest's digest (what the tag named).
   */
  async delete(context: RequestContext, repository: string, referenceValue: string): Promise<string> {
    assertName(repository);
    const reference = parseReference(referenceValue);
    if (!this.options.deleteEnabled) throw deletesDisabled('GET, HEAD, PUT');
    const unknown = () => new RegistryError('MANIFEST_UNKNOWN', undefined, { repository, reference: referenceValue });
    await this.pulls.flush();
    if (reference.kind === 'tag') {
      const current = await this.metadata.manifestByTag(repository, reference.tag);
      if (!current) throw unknown();
      await this.policies.checkDelete(context, { repository, digest: current.digest, tag: reference.tag, tags: async () => [reference.tag] });
      const removed = await this.metadata.deleteTag(repository, reference.tag, context.origin);
      if (removed === undefined) throw unknown();
      return removed;
    }
    await this.policies.checkDelete(context, {
      repository, digest: reference.digest, tag: undefined, tags: () => this.metadata.tagsOf(repository, reference.digest),
    });
    if (!(await this.metadata.deleteManifest(repository, reference.digest, context.origin))) throw unknown();
    return reference.digest;
  }

  async #checkReferences(repository: string, blobs: readonly { digest: string; size: number }[],
    children: readonly { digest: string }[]): Promise<void> {
    const sizes = await this.metadata.linkedBlobSizes(repository, blobs.map((blob) => blob.digest));
    for (const blob of blobs) {
      const size = sizes.get(blob.digest);
      if (size === undefined) {
        throw new RegistryError('MANIFEST_BLOB_UNKNOWN',
          `the manifest references blob ${blob.digest}, which this repository does not have: push or mount it first`,
          { digest: blob.digest });
      }
      if (size !== blob.size) {
        throw new RegistryError('MANIFEST_INVALID',
          `the manifest gives blob ${blob.digest} a size of ${blob.size} bytes, but it has ${size}: fix the descriptor's size`,
          { digest: blob.digest, declared: blob.size, actual: size });
      }
    }
    const present = await this.metadata.linkedManifests(repository, children.map((child) => child.digest));
    const missing = children.find((child) => !present.has(child.digest));
    if (missing) {
      throw new RegistryError('MANIFEST_BLOB_UNKNOWN',
        `the index references manifest ${missing.digest}, which this repository does not have: push it first`,
        { digest: missing.digest });
    }
  }
}

function parseReference(value: string): Reference {
  if (looksLikeDigest(value)) {
    const parsed = requireDigest(value, 'manifest digest');
    return { kind: 'digest', digest: parsed.value, algorithm: parsed.algorithm };
  }
  assertTag(value);
  return { kind: 'tag', tag: value };
}

function acceptable(mediaType: string, accept: readonly string[]): boolean {
  if (accept.length === 0 || !ociMediaTypes.has(mediaType)) return true;
  return accept.some((type) => type === mediaType || type === '*/*' || type === 'application/*');
}

export function manifestTooLarge(limit: number): RegistryError {
  return RegistryError.tooLarge(`manifest is larger than this registry's limit of ${limit} bytes: split it or raise limits.manifestMaxBytes`, limit);
}
