import { Readable } from 'node:stream';
import { ConflictError, NotFoundError } from '../../errors/backend-errors.js';
import type { BlobStore, ByteRange, UploadEntry } from '../blob-store.js';

/** The reference blob store: everything in memory. For tests and as the plainest reading of the contract. */
export class MemoryBlobStore implements BlobStore {
  readonly name = 'memory';
  readonly #blobs = new Map<string, Buffer>();
  readonly #uploads = new Map<string, { chunks: Buffer[]; size: number; modifiedAt: Date }>();

  async createUpload(id: string): Promise<void> {
    if (this.#uploads.has(id)) throw new Error(`upload ${id} exists`);
    this.#uploads.set(id, { chunks: [], size: 0, modifiedAt: new Date() });
  }

  async uploadSize(id: string): Promise<number> {
    return this.#upload(id).size;
  }

  async appendUpload(id: string, offset: number, source: AsyncIterable<Buffer>): Promise<number> {
    const upload = this.#upload(id);
    if (upload.size !== offset) throw new ConflictError(`upload ${id} holds ${upload.size} bytes, not ${offset}`);
    const received: Buffer[] = [];
    let written = 0;
    for await (const chunk of source) {
      received.push(Buffer.from(chunk));
      written += chunk.length;
    }
    // Bytes join the upload only once the whole source arrived, so a failed append leaves it as it was.
    upload.chunks.push(...received);
    upload.size += written;
    upload.modifiedAt = new Date();
    return written;
  }

  async readUpload(id: string): Promise<Readable> {
    return Readable.from([Buffer.concat(this.#upload(id).chunks)]);
  }

  async commitUpload(id: string, digest: string): Promise<void> {
    const upload = this.#upload(id);
    this.#blobs.set(digest, Buffer.concat(upload.chunks));
    this.#uploads.delete(id);
  }

  async deleteUpload(id: string): Promise<void> {
    this.#uploads.delete(id);
  }

  async listUploads(): Promise<UploadEntry[]> {
    return [...this.#uploads].map(([id, upload]) => ({ id, modifiedAt: upload.modifiedAt }));
  }

  async stat(digest: string): Promise<{ size: number }> {
    return { size: this.#blob(digest).length };
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    const bytes = this.#blob(digest);
    return Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes]);
  }

  async delete(digest: string): Promise<void> {
    this.#blobs.delete(digest);
  }

  async ping(): Promise<void> {
    // Memory always answers.
  }

  async close(): Promise<void> {
    // Nothing is held open.
  }

  #upload(id: string) {
    const upload = this.#uploads.get(id);
    if (!upload) throw new NotFoundError(`upload ${id}`);
    return upload;
  }

  #blob(digest: string): Buffer {
    const blob = this.#blobs.get(digest);
    if (!blob) throw new NotFoundError(`blob ${digest}`);
    return blob;
  }
}
