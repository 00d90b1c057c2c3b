import { pipeline, Readable, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import { UnsupportedLayerError } from './layer-errors.js';
import { decompressZstd } from './zstd-stream.js';

/**
 * A layer blob opened as the bytes of its tar archive. The media type says whether a blob is a layer at all; the
 * bytes say how it is compressed, as containerd's `DecompressStream` decides: registries hold layers labelled `tar`
 * that are gzipped and the reverse, and any runtime pulls them anyway, so a scanner must read them too.
 */

export type LayerCompression = 'none' | 'gzip' | 'zstd';

/** The file system changeset types of the OCI image spec and Docker's image manifest v2 (and containerd's zstd one). */
const layerMediaTypes: ReadonlyMap<string, LayerCompression> = new Map([
  ['application/vnd.oci.image.layer.v1.tar', 'none'],
  ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'],
  ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar', 'none'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', 'zstd'],
  ['application/vnd.docker.image.rootfs.diff.tar', 'none'],
  ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
  ['application/vnd.docker.image.rootfs.diff.tar.zstd', 'zstd'],
  ['application/vnd.docker.image.rootfs.foreign.diff.tar', 'none'],
  ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'gzip'],
]);

/** Bytes enough to tell a tar header (`ustar` at offset 257) from the magic numbers of compressed streams. */
const SNIFF_BYTES = 262;

/**
 * Bytes per chunk the gunzip stage hands on (Node's default is 16 KiB). Every chunk crosses the tar parser and an
 * entry stream, so larger ones cost less per byte: 128 KiB (zstd's block size) drains a large file three to four times as fast.
 */
const INFLATE_CHUNK = 128 * 1024;

/** Node's own zstd decoder (22.15 and later, capped at zstd's default window like ours); before it, fzstd. */
const nativeZstd = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;

/**
 * The compression a layer's media type names. Throws `UnsupportedLayerError` for anything that is not a layer
 * (a config blob, an encrypted layer, an artifact's own types), before a byte of it is read.
 */
export function layerCompression(mediaType: string, layer?: number): LayerCompression {
  const essence = mediaType.split(';')[0]!.trim().toLowerCase();
  const compression = layerMediaTypes.get(essence);
  if (compression !== undefined) return compression;
  if (essence.includes('+encrypted')) throw new UnsupportedLayerError(mediaType, 'the layer is encrypted', layer);
  throw new UnsupportedLayerError(mediaType, 'not an OCI or Docker image layer type (application/vnd.oci.image.layer.v1.tar, '
    + 'its +gzip and +zstd forms, or application/vnd.docker.image.rootfs.diff.tar.gzip)', layer);
}

/** What the first bytes of a blob are compressed with: magic numbers first, but a tar header wins over all. */
export function sniffCompression(head: Uint8Array): LayerCompression | 'bzip2' | 'xz' {
  const at = (offset: number, bytes: readonly number[]): boolean => bytes.every((byte, i) => head[offset + i] === byte);
  if (at(257, [0x75, 0x73, 0x74, 0x61, 0x72])) return 'none';
  if (at(0, [0x1f, 0x8b])) return 'gzip';
  if (at(0, [0x28, 0xb5, 0x2f, 0xfd]) || ((head[0]! & 0xf0) === 0x50 && at(1, [0x2a, 0x4d, 0x18]))) return 'zstd';
  if (at(0, [0x42, 0x5a, 0x68])) return 'bzip2';
  if (at(0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  return 'none';
}

/**
 * The tar bytes of a layer blob. Rejects with `UnsupportedLayerError` for a media type that is not a layer or bytes
 * compressed in a way layers never are; decompression errors arrive later, as errors of the returned stream.
 * Destroying the returned stream destroys `blob`; the caller still owns `blob` if this rejects. `layer` (its
 * position in the manifest) goes into the errors.
 */
export async function openLayerTar(mediaType: string, blob: NodeJS.ReadableStream | Readable, layer?: number): Promise<Readable> {
  layerCompression(mediaType, layer);
  const source = blob instanceof Readable ? blob : new Readable().wrap(blob);
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head = await readHead(chunks);
  const compression = sniffCompression(head.bytes);
  if (compression === 'bzip2' || compression === 'xz') {
    await chunks.return?.();
    throw new UnsupportedLayerError(mediaType, `its bytes are ${compression}-compressed, which image layers never are`, layer);
  }
  const bytes = replay(head.bytes, head.done ? undefined : chunks);
  if (compression === 'zstd' && nativeZstd === undefined) return Readable.from(decompressZstd(bytes), { objectMode: false });
  const tar = Readable.from(bytes, { objectMode: false });
  if (compression === 'none') return tar;
  // pipeline destroys every stage when one fails and re-raises the failure on the last, where the reader listens.
  // Node's inflaters stop when their reader does, so a gzip bomb inflates only as fast as it is read.
  return pipeline(tar, compression === 'gzip' ? zlib.createGunzip({ chunkSize: INFLATE_CHUNK }) : nativeZstd!.call(zlib), () => {});
}

async function readHead(chunks: AsyncIterator<Buffer>): Promise<{ bytes: Buffer; done: boolean }> {
  const read: Buffer[] = [];
  let length = 0;
  while (length < SNIFF_BYTES) {
    const next = await chunks.next();
    if (next.done === true) return { bytes: Buffer.concat(read), done: true };
    read.push(next.value);
    length += next.value.length;
  }
  return { bytes: Buffer.concat(read), done: false };
}

/** The sniffed head again, then the rest of the blob; closes the blob when the consumer stops early. */
async function* replay(head: Buffer, rest: AsyncIterator<Buffer> | undefined): AsyncGenerator<Buffer> {
  try {
    if (head.length > 0) yield head;
    if (rest === undefined) return;
    for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
  } finally {
    await rest?.return?.();
  }
}
