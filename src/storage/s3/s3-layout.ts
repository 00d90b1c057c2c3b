/**
 * Where the S3 store keeps things in its bucket, under an optional key prefix:
 *
 *   <prefix>blobs/<algorithm>/<hex>            content, one object per digest
 *   <prefix>uploads/<id>/created               marks an upload area (empty object), so an empty upload exists
 *   <prefix>uploads/<id>/<offset, 16 digits>-<writer>   each appended chunk, at the byte offset where it starts
 *
 * Objects cannot be appended to, so an upload is its chunk objects in offset order; the commit joins them into the
 * content object. Zero-padded offsets make the listing order the byte order. The random writer part keeps two nodes
 * that append at the same offset at once (a client sending PATCHes concurrently) from overwriting each other
 * silently: both chunks stay, and the store refuses the upload as conflicted.
 */
export class S3Layout {
  constructor(private readonly prefix: string) {}

  blobKey(digest: string): string {
    const [algorithm, hex] = digest.split(':');
    return `${this.prefix}blobs/${algorithm}/${hex}`;
  }

  get uploadsPrefix(): string {
    return `${this.prefix}uploads/`;
  }

  uploadPrefix(id: string): string {
    return `${this.prefix}uploads/${id}/`;
  }

  createdMarker(id: string): string {
    return `${this.uploadPrefix(id)}created`;
  }

  chunkKey(id: string, offset: number, writer: string): string {
    return `${this.uploadPrefix(id)}${String(offset).padStart(16, '0')}-${writer}`;
  }

  /** The upload id and chunk offset of a key under uploads/, or undefined for other keys. */
  parseUploadKey(key: string): { id: string; offset: number | undefined } | undefined {
    if (!key.startsWith(this.uploadsPrefix)) return undefined;
    const [id, name] = key.slice(this.uploadsPrefix.length).split('/');
    if (!id || name === undefined) return undefined;
    const chunk = /^(\d{16})-[0-9a-f]+$/.exec(name);
    return { id, offset: chunk ? Number(chunk[1]) : undefined };
  }
}
