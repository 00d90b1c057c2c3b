import type { Readable } from 'node:stream';

/**
 * A small blob's bytes (an image config), or an empty buffer when it is larger than `maxBytes` or cannot be read
 * (gone since it was checked): what reads it learns facts for display and queries, and goes on without them.
 */
export async function readSmallBlob(read: (digest: string) => Promise<Readable>, digest: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of await read(digest)) {
      const bytes = chunk as Buffer;
      length += bytes.length;
      if (length > maxBytes) return Buffer.alloc(0);
      chunks.push(bytes);
    }
  } catch {
    return Buffer.alloc(0);
  }
  return Buffer.concat(chunks);
}
