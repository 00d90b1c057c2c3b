import { join } from 'node:path';

/**
 * Where the filesystem driver keeps bytes, as one tree:
 *
 *   <root>/
 *     blobs/<algorithm>/<first two hex>/<hex>   content, by digest: one copy whatever the number of repositories
 *     uploads/<upload id>                       bytes of an open upload session, appended in place
 *
 * Content only ever appears under blobs/ by an atomic rename of a complete, fsynced upload file, so a reader never
 * sees a partial blob.
 */
export class FilesystemLayout {
  constructor(readonly root: string) {}

  get blobsDir(): string {
    return join(this.root, 'blobs');
  }

  get uploadsDir(): string {
    return join(this.root, 'uploads');
  }

  blobPath(digest: string): string {
    const [algorithm, hex] = splitDigest(digest);
    return join(this.root, 'blobs', algorithm, hex.slice(0, 2), hex);
  }

  uploadPath(id: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(id)) throw new Error(`invalid upload id ${JSON.stringify(id)}`);
    return join(this.root, 'uploads', id);
  }
}

function splitDigest(digest: string): [string, string] {
  const separator = digest.indexOf(':');
  const algorithm = digest.slice(0, separator);
  const hex = digest.slice(separator + 1);
  // Digests reach here validated; this guard keeps a bad caller from ever escaping the root.
  if (separator < 1 || !/^[a-z0-9]+$/.test(algorithm) || !/^[a-f0-9]{2,}$/.test(hex)) {
    throw new Error(`invalid digest ${JSON.stringify(digest)}`);
  }
  return [algorithm, hex];
}
