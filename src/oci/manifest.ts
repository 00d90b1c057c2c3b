import { z } from 'zod';
import { RegistryError } from '../errors/registry-error.js';
import { isDigest } from './digest.js';
import { imageMediaTypes, indexMediaTypes, isForeignLayer, mediaTypes, schema1MediaTypes } from './media-types.js';

/**
 * Parsing and validation of the manifests Berth stores: OCI image manifests and indexes
 * (https://github.com/opencontainers/image-spec/blob/main/manifest.md, .../image-index.md) and Docker image manifest
 * v2 schema 2 and manifest lists. Pure: no I/O; whether the referenced content exists is the registry's question.
 */

const descriptorSchema = z.object({
  mediaType: z.string().min(1, 'mediaType must not be empty'),
  digest: z.string().refine(isDigest, 'digest must be sha256:<64 hex> or sha512:<128 hex>'),
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string()).optional(),
  artifactType: z.string().optional(),
  platform: z.object({ architecture: z.string(), os: z.string() }).passthrough().optional(),
}).passthrough();

export type Descriptor = z.infer<typeof descriptorSchema>;

const common = {
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string()).optional(),
};
const imageSchema = z.object({ ...common, config: descriptorSchema, layers: z.array(descriptorSchema) }).passthrough();
const indexSchema = z.object({ ...common, manifests: z.array(descriptorSchema) }).passthrough();

export interface ParsedManifest {
  readonly mediaType: string;
  /** What the referrers API reports: `artifactType`, else an image manifest's config media type. */
  readonly artifactType: string | undefined;
  readonly subject: Descriptor | undefined;
  readonly annotations: Record<string, string> | undefined;
  /** Blobs the registry must hold for this manifest (config and distributable layers). */
  readonly blobs: readonly Descriptor[];
  /** Child manifests the registry must hold (entries of an index). */
  readonly manifests: readonly Descriptor[];
  /** An image manifest's config descriptor. */
  readonly config?: Descriptor | undefined;
  /** An image manifest's layers, foreign ones included (for its size). */
  readonly layers: readonly Descriptor[];
}

/** Media types that say nothing about the manifest, so the body's own `mediaType` (or its shape) decides. */
const genericContentTypes = new Set(['', 'application/json', 'application/octet-stream', 'text/plain']);

export function baseMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function invalid(message: string, detail?: unknown): RegistryError {
  return new RegistryError('MANIFEST_INVALID', `manifest invalid: ${message}`, detail);
}

const schema1Message =
  'Docker schema 1 manifests are not supported: convert the image to Docker v2 schema 2 or OCI and push again ' +
  '(for example `skopeo copy --format v2s2 ...` or `skopeo copy --format oci ...`)';

/** Validates a manifest body sent with the given Content-Type and returns what the registry needs to know of it. */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  const declared = baseMediaType(contentType);
  if (schema1MediaTypes.has(declared)) throw invalid(schema1Message);

  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw invalid(`body is not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('body must be a JSON object');
  const raw = json as Record<string, unknown>;
  if (raw.schemaVersion === 1 || (typeof raw.mediaType === 'string' && schema1MediaTypes.has(raw.mediaType))) {
    throw invalid(schema1Message);
  }

  const mediaType = resolveMediaType(declared, raw);
  const isIndex = indexMediaTypes.has(mediaType);
  const result = (isIndex ? indexSchema : imageSchema).safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw invalid(`${issue.path.join('.') || 'body'}: ${issue.message}`, { issues: result.error.issues.slice(0, 10) });
  }

  if (isIndex) {
    const index = result.data as z.infer<typeof indexSchema>;
    return {
      mediaType,
      // image-spec: an empty or missing artifactType of an index is omitted.
      artifactType: index.artifactType || undefined,
      subject: index.subject,
      annotations: index.annotations,
      blobs: [],
      manifests: index.manifests,
      layers: [],
    };
  }
  const image = result.data as z.infer<typeof imageSchema>;
  // image-spec asks for artifactType only beside the empty config; it is not enforced, so artifacts pushed by
  // less careful clients still have a home, and the referrers API reports whichever type they declared.
  return {
    mediaType,
    // image-spec: an empty or missing artifactType of an image manifest falls back to the config's media type.
    artifactType: image.artifactType || image.config.mediaType,
    subject: image.subject,
    annotations: image.annotations,
    blobs: [image.config, ...image.layers.filter((layer) => !isForeignLayer(layer.mediaType))],
    manifests: [],
    config: image.config,
    layers: image.layers,
  };
}

function resolveMediaType(declared: string, raw: Record<string, unknown>): string {
  const inBody = typeof raw.mediaType === 'string' ? raw.mediaType : undefined;
  if (!genericContentTypes.has(declared)) {
    if (!imageMediaTypes.has(declared) && !indexMediaTypes.has(declared)) {
      throw invalid(`unsupported manifest media type "${declared}": send an OCI or Docker v2 manifest or index`);
    }
    if (inBody !== undefined && inBody !== declared) {
      throw invalid(`Content-Type "${declared}" does not match the manifest's mediaType "${inBody}"`);
    }
    return declared;
  }
  if (inBody !== undefined) {
    if (!imageMediaTypes.has(inBody) && !indexMediaTypes.has(inBody)) {
      throw invalid(`unsupported manifest media type "${inBody}": send an OCI or Docker v2 manifest or index`);
    }
    return inBody;
  }
  if (Array.isArray(raw.manifests)) return mediaTypes.ociIndex;
  if (raw.config !== undefined) return mediaTypes.ociManifest;
  throw invalid('cannot tell the manifest type: set Content-Type or the mediaType field');
}
