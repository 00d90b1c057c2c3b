import type { Readable } from 'node:stream';
import type { Principal } from '../auth/principal.js';
import { RegistryError } from '../errors/registry-error.js';
import type { MetadataStore, StoredManifest } from '../metadata/metadata-store.js';
import { readImageConfig, imageConfigMediaTypes, type ImageConfigFacts } from '../oci/image-config.js';
import { isDigest } from '../oci/digest.js';
import { arrayField, numberField, objectField, stringField, stringRecord } from '../oci/json-fields.js';
import { readSmallBlob } from '../registry/read-small-blob.js';
import type { ProjectScopes } from './project-scope.js';
import { cosignTagSuffixes, referrerGroup, type ReferrerGroup } from './referrer-groups.js';

/** Children of an index described at most (an index may list hundreds; the UI shows platforms, not all of them). */
const childrenMax = 64;
const configMaxBytes = 4 * 1024 * 1024;

export interface ArtifactDetail {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType: string | undefined;
  readonly size: number;
  readonly tags: string[];
  readonly pushedAt: number | undefined;
  readonly pulls: number;
  readonly lastPulledAt: number | undefined;
  readonly tagPulls: Record<string, { pulls: number; lastPulledAt: number }>;
  readonly annotations: Record<string, string>;
  readonly manifest: unknown;
  readonly platforms: PlatformDetail[];
  readonly referrers: ReferrerDetail[];
  readonly quarantine: { reason: string; by: string; at: number; via: string | undefined } | undefined;
}

export interface PlatformDetail {
  readonly digest: string;
  readonly mediaType: string;
  readonly os: string | undefined;
  readonly architecture: string | undefined;
  readonly variant: string | undefined;
  readonly size: number;
  readonly annotations: Record<string, string>;
  readonly artifactType: string | undefined;
  readonly config: ImageConfigFacts | undefined;
  readonly layers: { digest: string; mediaType: string; size: number }[];
}

export interface ReferrerDetail {
  readonly digest: string;
  readonly artifactType: string | undefined;
  readonly mediaType: string;
  readonly size: number;
  readonly annotations: Record<string, string>;
  readonly group: ReferrerGroup;
  /** Found through cosign's tag (`sha256-<hex>.sig`) rather than the referrers API. */
  readonly tag?: string | undefined;
}

/**
 * Everything the artifact page shows of one manifest: the manifest itself, each platform's config (labels, env,
 * entrypoint, history) and layers, referrers grouped by kind, tags, pulls and quarantine. Reads config blobs, so it
 * serves one artifact at a time, never a list.
 */
export class ArtifactInspector {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly readBlob: (digest: string) => Promise<Readable>,
    private readonly scopes: ProjectScopes,
  ) {}

  async inspect(principal: Principal, repository: string, reference: string): Promise<ArtifactDetail> {
    if (!(await this.scopes.mayRead(principal, repository))) {
      throw new RegistryError('NAME_UNKNOWN', `there is no repository "${repository.slice(0, 255)}" you may see: check the name, or sign in`, { repository });
    }
    const byDigest = reference.includes(':');
    if (byDigest && !isDigest(reference)) {
      throw new RegistryError('INVALID_REQUEST', `reference: "${reference.slice(0, 80)}" is neither a tag nor a digest (sha256:<64 hex>)`);
    }
    const stored = byDigest ? await this.metadata.manifestByDigest(repository, reference) : await this.metadata.manifestByTag(repository, reference);
    if (!stored) throw new RegistryError('MANIFEST_UNKNOWN', `${repository} has no manifest ${reference.slice(0, 140)}`, { repository, reference });
    const manifest = parseJson(stored.content);
    const insight = this.metadata.insight();
    const [tags, pulls, quarantines, referrers, facts, pushedAt] = await Promise.all([
      this.metadata.tagsOf(repository, stored.digest),
      insight.pullFigures(repository, stored.digest),
      this.metadata.policies().quarantinesIn(repository),
      this.#referrers(repository, stored.digest),
      insight.facts([stored.digest]),
      insight.pushedAt(repository, stored.digest),
    ]);
    const quarantine = quarantines.get(stored.digest);
    return {
      repository,
      digest: stored.digest,
      mediaType: stored.mediaType,
      artifactType: stringField(manifest, 'artifactType') ?? stringField(objectField(manifest, 'config'), 'mediaType'),
      size: facts.get(stored.digest)?.totalSize ?? stored.size,
      tags,
      pushedAt,
      pulls: pulls.pulls,
      lastPulledAt: pulls.lastPulledAt,
      tagPulls: Object.fromEntries(pulls.tags),
      annotations: stringRecord(objectField(manifest, 'annotations')),
      manifest,
      platforms: await this.#platforms(repository, stored, manifest),
      referrers,
      quarantine: quarantine && { reason: quarantine.reason, by: quarantine.createdBy, at: quarantine.createdAt, via: quarantine.via },
    };
  }

  async #platforms(repository: string, stored: StoredManifest, manifest: unknown): Promise<PlatformDetail[]> {
    const entries = arrayField(manifest, 'manifests');
    if (entries === undefined) return [await this.#image(stored.digest, stored.mediaType, stored.size, manifest, undefined)];
    const details: PlatformDetail[] = [];
    for (const entry of entries.slice(0, childrenMax)) {
      const digest = stringField(entry, 'digest');
      if (digest === undefined) continue;
      const child = await this.metadata.manifestByDigest(repository, digest);
      const platform = objectField(entry, 'platform');
      if (!child) {
        details.push({
          digest, mediaType: stringField(entry, 'mediaType') ?? '', os: stringField(platform, 'os'), architecture: stringField(platform, 'architecture'),
          variant: stringField(platform, 'variant'), size: numberField(entry, 'size') ?? 0, annotations: stringRecord(objectField(entry, 'annotations')),
          artifactType: stringField(entry, 'artifactType'), config: undefined, layers: [],
        });
        continue;
      }
      details.push(await this.#image(digest, child.mediaType, child.size, parseJson(child.content), entry));
    }
    return details;
  }

  async #image(digest: string, mediaType: string, size: number, manifest: unknown, entry: unknown): Promise<PlatformDetail> {
    const config = objectField(manifest, 'config');
    const configDigest = stringField(config, 'digest');
    const configType = stringField(config, 'mediaType') ?? '';
    const facts = configDigest !== undefined && imageConfigMediaTypes.has(configType) && (numberField(config, 'size') ?? 0) <= configMaxBytes
      ? readImageConfig(await readSmallBlob(this.readBlob, configDigest, configMaxBytes))
      : undefined;
    const platform = objectField(entry, 'platform');
    const layers = (arrayField(manifest, 'layers') ?? []).map((layer) => ({
      digest: stringField(layer, 'digest') ?? '', mediaType: stringField(layer, 'mediaType') ?? '', size: numberField(layer, 'size') ?? 0,
    }));
    return {
      digest, mediaType,
      os: stringField(platform, 'os') ?? facts?.os,
      architecture: stringField(platform, 'architecture') ?? facts?.architecture,
      variant: stringField(platform, 'variant') ?? facts?.variant,
      size: size + (numberField(config, 'size') ?? 0) + layers.reduce((sum, layer) => sum + layer.size, 0),
      annotations: stringRecord(objectField(manifest, 'annotations')),
      artifactType: stringField(manifest, 'artifactType') ?? (configType || undefined),
      config: facts,
      layers,
    };
  }

  async #referrers(repository: string, digest: string): Promise<ReferrerDetail[]> {
    const found: ReferrerDetail[] = (await this.metadata.referrers(repository, digest)).map((referrer) => ({
      digest: referrer.digest, artifactType: referrer.artifactType, mediaType: referrer.mediaType, size: referrer.size,
      annotations: referrer.annotations ?? {}, group: referrerGroup(referrer.artifactType),
    }));
    const [algorithm, hex] = digest.split(':');
    for (const [suffix, group] of Object.entries(cosignTagSuffixes)) {
      const tag = `${algorithm}-${hex}.${suffix}`;
      const manifest = await this.metadata.manifestByTag(repository, tag);
      if (!manifest || found.some((referrer) => referrer.digest === manifest.digest)) continue;
      found.push({ digest: manifest.digest, artifactType: undefined, mediaType: manifest.mediaType, size: manifest.size, annotations: {}, group, tag });
    }
    return found;
  }
}

function parseJson(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return null;
  }
}
