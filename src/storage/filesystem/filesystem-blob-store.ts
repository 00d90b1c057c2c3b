import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { BackendError, NotFoundError } from '../../errors/backend-errors.js';
import type { BlobStore, ByteRange, UploadEntry } from '../blob-store.js';
import { FilesystemLayout } from './filesystem-layout.js';

/** Large reads keep syscalls and event-loop turns per byte low when streaming blobs to sockets. */
const readHighWaterMark = 1024 * 1024;
/** Socket chunks are small (16-64 KiB); gathering them into writes of this size cuts syscalls on the push path. */
const writeBatchBytes = 1024 * 1024;

/** The embedded default blob store: files under a root folder (layout in filesystem-layout.ts). */
export class FilesystemBlobStore implements BlobStore {
  readonly name = 'filesystem';
  readonly #layout: FilesystemLayout;

  constructor(root: string) {
    this.#layout = new FilesystemLayout(root);
  }

  async init(): Promise<void> {
    await wrap(async () => {
      await mkdir(this.#layout.blobsDir, { recursive: true });
      await mkdir(this.#layout.uploadsDir, { recursive: true });
    });
  }

  async createUpload(id: string): Promise<void> {
    await wrap(async () => (await open(this.#layout.uploadPath(id), 'wx')).close());
  }

  async uploadSize(id: string): Promise<number> {
    return wrap(async () => (await stat(this.#layout.uploadPath(id))).size, `upload ${id}`);
  }

  async appendUpload(id: string, offset: number, source: AsyncIterable<Buffer>): Promise<number> {
    const handle = await wrap(() => open(this.#layout.uploadPath(id), constants.O_WRONLY), `upload ${id}`);
    let written = 0;
    try {
      const pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        const batch = pending.splice(0);
        const bytes = pendingBytes;
        pendingBytes = 0;
        await writeAll(handle, batch, offset + written);
        written += bytes;
      };
      for await (const chunk of source) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= writeBatchBytes || pending.length >= 512) await flush();
      }
      if (pendingBytes > 0) await flush();
      return written;
    } catch (error) {
      // A failed append must leave no partial chunk behind: the session resumes from `offset`.
      await handle.truncate(offset).catch(() => undefined);
      throw error;
    } finally {
      await handle.close();
    }
  }

  async readUpload(id: string): Promise<Readable> {
    const handle = await wrap(() => open(this.#layout.uploadPath(id), 'r'), `upload ${id}`);
    return handle.createReadStream({ highWaterMark: readHighWaterMark });
  }

  async commitUpload(id: string, digest: string): Promise<void> {
    const from = this.#layout.uploadPath(id);
    const to = this.#layout.blobPath(digest);
    await wrap(async () => {
      const handle = await open(from, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      const created = await mkdir(dirname(to), { recursive: true });
      await rename(from, to);
      // The rename is durable only once the directory entry is; a new directory needs its own parent synced too.
      await syncDirectory(dirname(to));
      if (created !== undefined) await syncDirectory(dirname(dirname(to)));
    }, `upload ${id}`);
  }

  async deleteUpload(id: string): Promise<void> {
    await wrap(() => rm(this.#layout.uploadPath(id), { force: true }));
  }

  async listUploads(): Promise<UploadEntry[]> {
    return wrap(async () => {
      const names = await readdir(this.#layout.uploadsDir);
      const entries: UploadEntry[] = [];
      for (const name of names) {
        try {
          entries.push({ id: name, modifiedAt: (await stat(this.#layout.uploadPath(name))).mtime });
        } catch {
          // Removed meanwhile, or not a name Berth writes: nothing to sweep.
        }
      }
      return entries;
    });
  }

  async stat(digest: string): Promise<{ size: number }> {
    return wrap(async () => ({ size: (await stat(this.#layout.blobPath(digest))).size }), `blob ${digest}`);
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    const handle = await wrap(() => open(this.#layout.blobPath(digest), 'r'), `blob ${digest}`);
    return handle.createReadStream({ start: range?.start, end: range?.end, highWaterMark: readHighWaterMark });
  }

  async delete(digest: string): Promise<void> {
    await wrap(() => rm(this.#layout.blobPath(digest), { force: true }));
  }
}

/** Writes the chunks in one gathering syscall (no copy into a joined buffer), finishing any short write. */
async function writeAll(handle: FileHandle, chunks: Buffer[], position: number): Promise<void> {
  let { bytesWritten } = await handle.writev(chunks, position);
  let index = 0;
  while (index < chunks.length) {
    const chunk = chunks[index]!;
    if (bytesWritten >= chunk.length) {
      bytesWritten -= chunk.length;
      position += chunk.length;
      index++;
      continue;
    }
    const rest = chunks.slice(index + 1);
    chunks = [chunk.subarray(bytesWritten), ...rest];
    position += bytesWritten;
    index = 0;
    ({ bytesWritten } = await handle.writev(chunks, position));
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Maps file-system failures onto the backend error set: ENOENT is "not found", the rest is a backend failure. */
async function wrap<T>(operation: () => Promise<T>, what?: string): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof NotFoundError) throw error;
    if (what !== undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(what);
    if (isFileSystemError(error)) throw new BackendError('filesystem', error);
    throw error;
  }
}

function isFileSystemError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).errno === 'number';
}
