import { RegistryError } from '../errors/registry-error.js';
import type { MetadataStore, StoredManifest } from '../metadata/metadata-store.js';
import { createHasher, looksLikeDigest, type DigestAlgorithm } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import { mediaTypes } from '../oci/media-types.js';
import { deletesDisabled } from './refusals.js';
import { assertName, assertTag, requireDigest } from './validate.js';
import { VersionedCache } from '../metadata/versioned-cache.js';

export interface PushedManifest {
  readonly digest: string;
  /** The subject's digest, answered as OCI-Subject so clients know the registry indexed the referrer. */
  readonly subject: string | undefined;
}

const ociMediaTypes: ReadonlySet<string> = new Set([mediaTypes.ociManifest, mediaTypes.ociIndex]);

type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string; algorithm: DigestAlgorithm };

/**
 * Manifests and tags: validation on push (every referenced blob and child manifest must be in the repository),
 * content negotiation on pull, deletes by tag (only the tag) and by digest (the manifest and its tags).
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-manifests
 */
export class ManifestService {
  /** Manifests by repository and reference: a manifest GET or HEAD between writes costs no database read. */
  readonly #cache = new VersionedCache<StoredManifest | null>(64 * 1024 * 1024, (manifest) => 256 + (manifest?.size ?? 0));

  constructor(
    private readonly metadata: MetadataStore,
    private readonly maxBytes: number,
    private readonly deleteEnabled: boolean,
  ) {}

  /** Largest manifest accepted; the HTTP layer refuses larger bodies before reading them. */
  get manifestMaxBytes(): number {
    return this.maxBytes;
  }

  async put(repository: string, referenceValue: string, body: Buffer, contentType: string | undefined): Promise<PushedManifest> {
    assertName(repository);
    const reference = parseReference(referenceValue);
    if (body.length > this.maxBytes) throw manifestTooLarge(this.maxBytes);
    const algorithm = reference.kind === 'digest' ? reference.algorithm : 'sha256';
    const digest = `${algorithm}:${createHasher(algorithm).update(body).digest('hex')}`;
    if (reference.kind === 'digest' && reference.digest !== digest) {
      throw new RegistryError('DIGEST_INVALID',
        `the manifest's digest is ${digest}, not ${reference.digest}: push it under its own digest or by tag`,
        { expected: reference.digest, actual: digest });
    }
    const manifest = parseManifest(body, contentType);
    await this.#checkReferences(repository, manifest.blobs, manifest.manifests);
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
      tag: reference.kind === 'tag' ? reference.tag : undefined,
      now: Date.now(),
    });
    return { digest, subject: manifest.subject?.digest };
  }

  /**
   * The manifest a tag or digest names. An OCI manifest or index that `accept` leaves out is answered
   * MANIFEST_UNKNOWN saying which type exists, as Distribution does (old Docker clients cannot read OCI); Docker
   * types are served whatever `accept` says, since Distribution serves them too (or a schema 1 conversion that
   * Berth does not offer).
   */
  async get(repository: string, referenceValue: string, accept: readonly string[]): Promise<StoredManifest> {
    assertName(repository);
    const manifest = await this.#lookup(repository, referenceValue);
    if (!manifest) throw new RegistryError('MANIFEST_UNKNOWN', undefined, { repository, reference: referenceValue });
    if (!acceptable(manifest.mediaType, accept)) {
      throw new RegistryError('MANIFEST_UNKNOWN',
        `the manifest exists as ${manifest.mediaType}, which the Accept header does not include: add it to Accept`,
        { repository, reference: referenceValue, mediaType: manifest.mediaType });
    }
    return manifest;
  }

  /** The manifest a reference names, from the cache when nothing was written since it was read. */
  async #lookup(repository: string, referenceValue: string): Promise<StoredManifest | null> {
    const key = `${repository}\n${referenceValue}`;
    const version = this.metadata.changeVersion();
    const cached = this.#cache.get(key, version);
    if (cached !== undefined) return cached;
    const reference = parseReference(referenceValue);
    const manifest = (reference.kind === 'tag'
      ? await this.metadata.manifestByTag(repository, reference.tag)
      : await this.metadata.manifestByDigest(repository, reference.digest)) ?? null;
    this.#cache.set(key, manifest, version);
    return manifest;
  }

  /** Deletes a tag (the manifest stays) or, by digest, the manifest with every tag that points to it. */
  /** Deletes a tag, or a manifest by digest with its tags; answers the manifest's digest (what the tag named). */
  async delete(repository: string, referenceValue: string): Promise<string> {
    assertName(repository);
    const reference = parseReference(referenceValue);
    if (!this.deleteEnabled) throw deletesDisabled('GET, HEAD, PUT');
    const removed = reference.kind === 'tag'
      ? await this.metadata.deleteTag(repository, reference.tag)
      : (await this.metadata.deleteManifest(repository, reference.digest) ? reference.digest : undefined);
    if (removed === undefined) throw new RegistryError('MANIFEST_UNKNOWN', undefined, { repository, reference: referenceValue });
    return removed;
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
