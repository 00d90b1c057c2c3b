import { createCipheriv, createHash, randomBytes } from 'node:crypto';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

const blockBytes = 16;
const defaultChunkBytes = MiB;
const zeros = Buffer.alloc(4 * MiB);

/**
 * Random content of any size that is never held in memory: AES-128-CTR over zeros, keyed by a fresh random key.
 * The same key re-generates the same bytes, from any offset, so a blob is hashed in one pass (its digest is needed
 * before the upload names it) and generated again while it is sent.
 */
export class RandomContent {
  readonly key: Buffer;

  constructor(readonly size: number, key?: Buffer) {
    this.key = key ?? randomBytes(16);
  }

  /** The bytes in [start, end) as chunks of at most `chunkBytes`. */
  *chunks(start = 0, end = this.size, chunkBytes = defaultChunkBytes): Generator<Buffer> {
    if (chunkBytes > zeros.length) throw new Error(`chunks of at most ${zeros.length} bytes`);
    const firstBlock = Math.floor(start / blockBytes);
    const iv = Buffer.alloc(16);
    iv.writeBigUInt64BE(BigInt(firstBlock), 8);
    const cipher = createCipheriv('aes-128-ctr', this.key, iv);
    const skip = start - firstBlock * blockBytes;
    if (skip > 0) cipher.update(zeros.subarray(0, skip));
    let position = start;
    while (position < end) {
      const length = Math.min(chunkBytes, end - position);
      yield cipher.update(zeros.subarray(0, length));
      position += length;
    }
  }

  /** The bytes in [start, end) as one buffer: only for small ranges. */
  bytes(start = 0, end = this.size): Buffer {
    return Buffer.concat([...this.chunks(start, end)]);
  }
}

/** A blob's content and its digest, ready to push. */
export interface Blob {
  readonly content: RandomContent;
  readonly size: number;
  readonly digest: string;
}

/** A fresh random blob of `size` bytes, hashed in one streaming pass (never held in memory whole). */
export function randomBlob(size: number): Blob {
  const content = new RandomContent(size);
  const hash = createHash('sha256');
  for (const chunk of content.chunks()) hash.update(chunk);
  return { content, size, digest: `sha256:${hash.digest('hex')}` };
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** "1 MiB", "256 MiB", "1 GiB", "4 KiB", "1,000 B". */
export function formatSize(bytes: number): string {
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(2)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${bytes.toLocaleString('en-US')} B`;
}
