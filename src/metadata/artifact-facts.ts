import type { Database } from './database-schema.js';
import { labelLimits } from '../oci/image-config.js';

/**
 * What the registry learnt of a manifest when it was pushed, stored with it in the push's transaction (migration
 * 0007) so that queries, "latest" and the UI's lists never parse a manifest or read a config blob.
 */
export interface ArtifactFacts {
  readonly configDigest: string | undefined;
  readonly os: string | undefined;
  readonly architecture: string | undefined;
  readonly variant: string | undefined;
  /** The image config's `created`, in milliseconds; for an index, its newest child's. */
  readonly created: number | undefined;
  readonly author: string | undefined;
  /** Config labels; for an index, its children's (the first child's value where they differ). */
  readonly labels: Readonly<Record<string, string>>;
  /** Bytes of the manifest, its config and layers; for an index, its own bytes and its children's totals. */
  readonly totalSize: number;
  readonly platforms: readonly ArtifactPlatform[];
}

export interface ArtifactPlatform {
  /** The manifest that runs on the platform: the artifact itself, or a child of an index. */
  readonly digest: string;
  readonly os: string;
  readonly architecture: string;
  readonly variant: string;
}

type Row<T extends keyof Database> = Database[T];

/** The rows an artifact's facts and annotations are stored as; pushed data, so within the label limits. */
export function artifactFactRows(digest: string, facts: ArtifactFacts, annotations: Readonly<Record<string, string>> | undefined): {
  artifact: Row<'artifacts'>;
  platforms: Row<'artifact_platforms'>[];
  properties: Row<'artifact_properties'>[];
} {
  const labelsJson = Object.keys(facts.labels).length > 0 ? JSON.stringify(facts.labels) : null;
  const properties: Row<'artifact_properties'>[] = [];
  for (const [key, value] of Object.entries(facts.labels)) properties.push({ digest, source: 'label', key, value });
  let kept = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (key.length === 0 || key.length > labelLimits.keyLength || value.length > labelLimits.valueLength) continue;
    properties.push({ digest, source: 'annotation', key, value });
    if (++kept === labelLimits.count) break;
  }
  const seen = new Set<string>();
  const platforms = facts.platforms.filter((platform) => !seen.has(platform.digest) && seen.add(platform.digest))
    .map((platform) => ({ digest, child_digest: platform.digest, os: platform.os, architecture: platform.architecture, variant: platform.variant }));
  return {
    artifact: {
      digest,
      config_digest: facts.configDigest ?? null,
      os: facts.os ?? null,
      architecture: facts.architecture ?? null,
      variant: facts.variant ?? null,
      created: facts.created ?? null,
      author: facts.author ?? null,
      labels: labelsJson,
      total_size: facts.totalSize,
    },
    platforms,
    properties,
  };
}
