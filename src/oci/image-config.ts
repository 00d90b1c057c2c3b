import { isObject } from './json-fields.js';

/**
 * What Berth reads of an image configuration (https://github.com/opencontainers/image-spec/blob/main/config.md; the
 * Docker image config has the same fields). The config is written by whoever pushed the image, so every field is
 * checked for its type and anything else is ignored, never trusted: a config Berth cannot read still stores, it just
 * has no facts to show or query.
 */
export interface ImageConfigFacts {
  readonly os: string | undefined;
  readonly architecture: string | undefined;
  readonly variant: string | undefined;
  /** `created` as milliseconds since the epoch. */
  readonly created: number | undefined;
  readonly author: string | undefined;
  readonly labels: Record<string, string>;
  readonly env: readonly string[];
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly workingDir: string | undefined;
  readonly user: string | undefined;
  readonly history: readonly ConfigHistoryEntry[];
}

export interface ConfigHistoryEntry {
  readonly created: number | undefined;
  readonly createdBy: string | undefined;
  readonly comment: string | undefined;
  readonly emptyLayer: boolean;
}

/** Media types whose blob is an image config Berth reads. */
export const imageConfigMediaTypes: ReadonlySet<string> = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

/** Labels kept per image, and the longest key and value: labels are pushed data, and queries index them. */
export const labelLimits = { count: 256, keyLength: 256, valueLength: 4096 } as const;

/** The facts of a config body; undefined when it is not a JSON object. */
export function readImageConfig(body: Buffer): ImageConfigFacts | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(json)) return undefined;
  const config = isObject(json.config) ? json.config : {};
  return {
    os: text(json.os),
    architecture: text(json.architecture),
    variant: text(json.variant),
    created: time(json.created),
    author: text(json.author),
    labels: labelsOf(config.Labels),
    env: strings(config.Env),
    entrypoint: strings(config.Entrypoint),
    cmd: strings(config.Cmd),
    workingDir: text(config.WorkingDir),
    user: text(config.User),
    history: Array.isArray(json.history) ? json.history.filter(isObject).slice(0, 1000).map((entry) => ({
      created: time(entry.created),
      createdBy: text(entry.created_by),
      comment: text(entry.comment),
      emptyLayer: entry.empty_layer === true,
    })) : [],
  };
}

/** Labels within the limits, in key order; longer keys or values and labels past the count are left out. */
export function labelsOf(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const labels: Record<string, string> = {};
  let kept = 0;
  for (const key of Object.keys(value).sort()) {
    const entry = value[key];
    if (typeof entry !== 'string' || key.length === 0 || key.length > labelLimits.keyLength || entry.length > labelLimits.valueLength) continue;
    labels[key] = entry;
    if (++kept === labelLimits.count) break;
  }
  return labels;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, 4096) : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string').slice(0, 1000) : [];
}

function time(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
