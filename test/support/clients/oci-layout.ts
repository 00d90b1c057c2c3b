import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTempDir, removeDir, run, sha256Digest } from './run.js';
import { tool } from './tools.js';

export const ociManifestType = 'application/vnd.oci.image.manifest.v1+json';
export const ociIndexType = 'application/vnd.oci.image.index.v1+json';
export const dockerManifestType = 'application/vnd.docker.distribution.manifest.v2+json';
export const dockerListType = 'application/vnd.docker.distribution.manifest.list.v2+json';

const refNameAnnotation = 'org.opencontainers.image.ref.name';

export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
  readonly annotations?: Record<string, string>;
}

interface ManifestJson {
  readonly mediaType?: string;
  readonly config?: Descriptor;
  readonly layers?: Descriptor[];
  readonly manifests?: Descriptor[];
}

export interface ImageSpec {
  /** Files to put in the image's root file system: path inside the image -> content. */
  readonly files: Record<string, string | Buffer>;
  /** The config's architecture (umoci's default is the host's). */
  readonly architecture?: string;
  readonly os?: string;
  /** The config's Cmd. */
  readonly cmd?: string;
}

/**
 * Builds a small real image with umoci into an OCI layout (created when missing): `umoci new`, `unpack`, files added
 * to the root file system, `repack`, config, then `gc` so the layout holds only what its tags reach. Returns the
 * manifest's descriptor under `tag`.
 */
export async function buildUmociImage(layout: string, tag: string, spec: ImageSpec): Promise<Descriptor> {
  const umoci = tool('umoci');
  if (!existsSync(join(layout, 'index.json'))) await run(umoci, ['init', '--layout', layout]);
  const image = `${layout}:${tag}`;
  await run(umoci, ['new', '--image', image]);
  const work = makeTempDir('umoci');
  try {
    const bundle = join(work, 'bundle');
    await run(umoci, ['unpack', '--image', image, bundle]);
    for (const [path, content] of Object.entries(spec.files)) {
      const target = join(bundle, 'rootfs', path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
    await run(umoci, ['repack', '--image', image, bundle]);
  } finally {
    removeDir(work);
  }
  const config: string[] = [];
  if (spec.architecture !== undefined) config.push('--architecture', spec.architecture);
  if (spec.os !== undefined) config.push('--os', spec.os);
  if (spec.cmd !== undefined) config.push('--config.cmd', spec.cmd);
  if (config.length > 0) await run(umoci, ['config', '--image', image, ...config]);
  await run(umoci, ['gc', '--layout', layout]);
  return descriptorForTag(layout, tag);
}

export function readLayoutIndex(layout: string): { manifests: Descriptor[] } {
  return JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
}

/** The descriptor index.json gives `tag` (its ref.name annotation). */
export function descriptorForTag(layout: string, tag: string): Descriptor {
  const found = readLayoutIndex(layout).manifests.find((entry) => entry.annotations?.[refNameAnnotation] === tag);
  if (!found) throw new Error(`the OCI layout ${layout} has no image tagged ${tag}`);
  return found;
}

export function readBlob(layout: string, digest: string): Buffer {
  const [algorithm, hex] = digest.split(':');
  return readFileSync(join(layout, 'blobs', algorithm!, hex!));
}

/** Every blob file in the layout, digest -> bytes. */
export function allBlobs(layout: string): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  const root = join(layout, 'blobs');
  for (const algorithm of readdirSync(root)) {
    for (const hex of readdirSync(join(root, algorithm))) {
      blobs.set(`${algorithm}:${hex}`, readFileSync(join(root, algorithm, hex)));
    }
  }
  return blobs;
}

/**
 * The manifest `digest` and everything it reaches (config and layers; child manifests of an index, recursively),
 * digest -> bytes, read from the layout. Each blob's bytes are checked against its digest.
 */
export function reachableBlobs(layout: string, digest: string): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  const visit = (current: string, isManifest: boolean): void => {
    if (found.has(current)) return;
    const bytes = readBlob(layout, current);
    if (sha256Digest(bytes) !== current) throw new Error(`blob ${current} in ${layout} does not match its digest`);
    found.set(current, bytes);
    if (!isManifest) return;
    const manifest = JSON.parse(bytes.toString('utf8')) as ManifestJson;
    if (manifest.config) visit(manifest.config.digest, false);
    for (const layer of manifest.layers ?? []) visit(layer.digest, false);
    for (const child of manifest.manifests ?? []) visit(child.digest, true);
  };
  visit(digest, true);
  return found;
}

/**
 * Adds an OCI image index over manifests already in the layout, as a blob and under `tag` in index.json. Returns its
 * descriptor and its exact bytes.
 */
export function addIndexToLayout(layout: string, tag: string, children: readonly Descriptor[]): { descriptor: Descriptor; bytes: Buffer } {
  const index = {
    schemaVersion: 2,
    mediaType: ociIndexType,
    manifests: children.map((child) => ({
      mediaType: child.mediaType,
      digest: child.digest,
      size: child.size,
      ...(child.platform && { platform: child.platform }),
    })),
  };
  const bytes = Buffer.from(JSON.stringify(index));
  const digest = sha256Digest(bytes);
  writeFileSync(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  const descriptor: Descriptor = { mediaType: ociIndexType, digest, size: bytes.length };
  const layoutIndex = readLayoutIndex(layout);
  layoutIndex.manifests = layoutIndex.manifests.filter((entry) => entry.annotations?.[refNameAnnotation] !== tag);
  layoutIndex.manifests.push({ ...descriptor, annotations: { [refNameAnnotation]: tag } });
  writeFileSync(join(layout, 'index.json'), JSON.stringify(layoutIndex));
  return { descriptor, bytes };
}

export function parseJson<T = ManifestJson>(bytes: Buffer | string): T {
  return JSON.parse(bytes.toString()) as T;
}
