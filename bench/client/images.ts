import { randomBytes } from 'node:crypto';
import { ociConfig, ociLayerGzip, ociManifest, type RegistryClient } from './registry.js';
import { sha256 } from './content.js';

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** A small image held in memory: a config, one layer of random bytes, and the manifest naming them. */
export interface SmallImage {
  readonly config: Buffer;
  readonly configDigest: string;
  readonly layer: Buffer;
  readonly layerDigest: string;
  readonly manifest: Buffer;
}

/** An image config (random label, so each one is new content) whose rootfs names the given layer digests. */
export function imageConfig(diffIds: string[]): Buffer {
  return Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { 'org.berth.bench.nonce': randomBytes(16).toString('hex') } },
    rootfs: { type: 'layers', diff_ids: diffIds },
  }));
}

/** An OCI image manifest. */
export function imageManifest(config: Descriptor, layers: Descriptor[], annotations?: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: ociManifest,
    config,
    layers,
    ...(annotations && { annotations }),
  }));
}

/** A fresh small image with a random layer of `layerBytes`. */
export function smallImage(layerBytes: number): SmallImage {
  const layer = randomBytes(layerBytes);
  const layerDigest = sha256(layer);
  const config = imageConfig([layerDigest]);
  const configDigest = sha256(config);
  const manifest = imageManifest(
    { mediaType: ociConfig, digest: configDigest, size: config.length },
    [{ mediaType: ociLayerGzip, digest: layerDigest, size: layer.length }],
  );
  return { config, configDigest, layer, layerDigest, manifest };
}

/** Pushes a small image as a client does: config, then layer (each POST + PUT), then the manifest by tag. */
export async function pushSmallImage(client: RegistryClient, repository: string, tag: string, image: SmallImage): Promise<string> {
  await client.pushSmallBlob(repository, image.config, image.configDigest);
  await client.pushSmallBlob(repository, image.layer, image.layerDigest);
  return client.putManifest(repository, tag, image.manifest);
}
