import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { RandomContent, sha256 } from './content.js';
import { imageConfig, imageManifest, type Descriptor } from './images.js';
import { ociConfig, ociLayerGzip, ociManifest } from './registry.js';

export interface LayoutImage {
  /** The layout directory; the image is tagged `tag` in its index.json. */
  readonly dir: string;
  readonly tag: string;
  readonly manifestDigest: string;
  /** Bytes of all blobs (layers, config, manifest): what a copy moves. */
  readonly totalBytes: number;
}

/**
 * Writes an OCI image layout with `layerCount` layers, each a gzip stream (stored blocks, as random data does not
 * compress) of a tar holding one file of `layerBytes` random bytes. Written directly, streaming, never held in
 * memory: tar header, content and padding are hashed (diff_id) and gzipped, and the gzip stream hashed (digest).
 */
export async function writeOciLayout(dir: string, layerCount: number, layerBytes: number, tag = 'latest'): Promise<LayoutImage> {
  const blobsDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobsDir, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));

  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < layerCount; i++) {
    const tarHash = createHash('sha256');
    const gzipHash = createHash('sha256');
    const counter = { bytes: 0 };
    const temporary = join(blobsDir, `.layer-${i}.tmp`);
    await pipeline(
      Readable.from(tarOfOneFile(`bench/layer-${i}.bin`, new RandomContent(layerBytes))),
      hashing(tarHash),
      createGzip({ level: 0 }),
      hashing(gzipHash, counter),
      createWriteStream(temporary),
    );
    const hex = gzipHash.digest('hex');
    await rename(temporary, join(blobsDir, hex));
    layers.push({ mediaType: ociLayerGzip, digest: `sha256:${hex}`, size: counter.bytes });
    diffIds.push(`sha256:${tarHash.digest('hex')}`);
  }

  const config = imageConfig(diffIds);
  const configDigest = sha256(config);
  await writeFile(join(blobsDir, configDigest.slice('sha256:'.length)), config);
  const manifest = imageManifest({ mediaType: ociConfig, digest: configDigest, size: config.length }, layers);
  const manifestDigest = sha256(manifest);
  await writeFile(join(blobsDir, manifestDigest.slice('sha256:'.length)), manifest);
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      mediaType: ociManifest,
      digest: manifestDigest,
      size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': tag },
    }],
  }));
  const totalBytes = layers.reduce((sum, layer) => sum + layer.size, 0) + config.length + manifest.length;
  return { dir, tag, manifestDigest, totalBytes };
}

/** A tar stream (ustar) of one regular file with the given content, with its padding and end-of-archive blocks. */
function* tarOfOneFile(name: string, content: RandomContent): Generator<Buffer> {
  yield ustarHeader(name, content.size);
  yield* content.chunks();
  const padding = (512 - (content.size % 512)) % 512;
  yield Buffer.alloc(padding + 1024);
}

function ustarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  const put = (offset: number, length: number, value: string): void => {
    header.write(value, offset, length, 'ascii');
  };
  const octal = (offset: number, length: number, value: number): void => {
    put(offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
  };
  put(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  put(148, 8, '        ');
  put(156, 1, '0');
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  let checksum = 0;
  for (const byte of header) checksum += byte;
  put(148, 8, `${checksum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

/** A pass-through stream that feeds a hash (and counts bytes). */
function hashing(hash: Hash, counter?: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      hash.update(chunk);
      if (counter) counter.bytes += chunk.length;
      done(null, chunk);
    },
  });
}
