import type { Readable } from 'node:stream';
import type { ArtifactFacts, ArtifactPlatform } from '../metadata/artifact-facts.js';
import type { InsightStore } from '../metadata/insight-store.js';
import { imageConfigMediaTypes, readImageConfig, type ImageConfigFacts } from '../oci/image-config.js';
import type { ParsedManifest } from '../oci/manifest.js';
import { readSmallBlob } from './read-small-blob.js';

/** Configs larger than this are not read for facts (real ones are kilobytes; the image is stored all the same). */
const configMaxBytes = 4 * 1024 * 1024;
/** Config facts remembered (a few hundred bytes each). */
const configsKept = 512;

/**
 * Learns what queries need of a manifest being pushed: for an image, its config's platform, created time, author
 * and labels (reading the config blob, which the push has just checked is there); for an index, a roll-up of its
 * children's stored facts and the platforms its entries name. What cannot be read is left unknown; a push never
 * fails for want of facts.
 */
export class ArtifactFactsCollector {
  readonly #configs = new Map<string, ImageConfigFacts | undefined>();

  constructor(
    private readonly readBlob: (digest: string) => Promise<Readable>,
    private readonly insight: () => InsightStore,
  ) {}

  async collect(digest: string, bytes: number, manifest: ParsedManifest): Promise<ArtifactFacts> {
    return manifest.config ? this.#image(digest, bytes, manifest) : this.#index(bytes, manifest);
  }

  async #image(digest: string, bytes: number, manifest: ParsedManifest): Promise<ArtifactFacts> {
    const config = manifest.config!;
    const totalSize = bytes + config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
    const facts = imageConfigMediaTypes.has(config.mediaType) && config.size <= configMaxBytes ? await this.#configFacts(config.digest) : undefined;
    const platforms: ArtifactPlatform[] = facts?.os && facts.architecture
      ? [{ digest, os: facts.os, architecture: facts.architecture, variant: facts.variant ?? '' }]
      : [];
    return {
      configDigest: config.digest,
      os: facts?.os,
      architecture: facts?.architecture,
      variant: facts?.variant,
      created: facts?.created,
      author: facts?.author,
      labels: facts?.labels ?? {},
      totalSize,
      platforms,
    };
  }

  /**
   * A config's facts, read once per config digest while it stays among the last few hundred read: a config is
   * content-addressed, so its facts never change, and pushes that share one (a retag, a promotion from one repository
   * to another, many manifests over one config) read it once.
   */
  async #configFacts(digest: string): Promise<ImageConfigFacts | undefined> {
    if (this.#configs.has(digest)) return this.#configs.get(digest);
    const facts = readImageConfig(await readSmallBlob(this.readBlob, digest, configMaxBytes));
    if (this.#configs.size >= configsKept) this.#configs.delete(this.#configs.keys().next().value!);
    this.#configs.set(digest, facts);
    return facts;
  }

  async #index(bytes: number, manifest: ParsedManifest): Promise<ArtifactFacts> {
    const children = await this.insight().facts(manifest.manifests.map((child) => child.digest));
    const labels: Record<string, string> = {};
    const platforms: ArtifactPlatform[] = [];
    let created: number | undefined;
    let totalSize = bytes;
    for (const entry of manifest.manifests) {
      const child = children.get(entry.digest);
      totalSize += child?.totalSize ?? entry.size;
      if (child?.created !== undefined && (created === undefined || child.created > created)) created = child.created;
      for (const [key, value] of Object.entries(child?.labels ?? {})) if (!(key in labels)) labels[key] = value;
      const os = entry.platform?.os ?? child?.os;
      const architecture = entry.platform?.architecture ?? child?.architecture;
      // buildx's attestation manifests say unknown/unknown: they run nowhere, so they are no platform of the index.
      if (!os || !architecture || os === 'unknown') continue;
      const variant = typeof entry.platform?.variant === 'string' ? entry.platform.variant : (child?.variant ?? '');
      platforms.push({ digest: entry.digest, os, architecture, variant });
    }
    return { configDigest: undefined, os: undefined, architecture: undefined, variant: undefined, created, author: undefined, labels, totalSize, platforms };
  }
}
