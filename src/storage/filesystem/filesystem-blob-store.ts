import {
  closeSync, constants, createReadStream, existsSync, fstatSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync,
  readdirSync, statSync, writev, writevSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { BackendError, ConflictError, NotFoundError, StorageFullError } from '../../errors/backend-errors.js';
import type { BlobStore, ByteRange, UploadEntry } from '../blob-store.js';
import { markFileRegion } from '../file-region.js';
import { FilesystemLayout } from './filesystem-layout.js';

const fsyncAsync = promisify(fsync);
const writevAsync = promisify(writev) as unknown as (fd: number, buffers: Buffer[], position: number) => Promise<{ bytesWritten: number }>;

/**
 * Large reads keep syscalls and event-loop turns per byte low when streaming blobs to sockets. Each stream holds
 * about two buffers (one read ahead, one in the socket), so with many pulls at once the buffers shrink to keep
 * memory bounded: 50 clients pulling at once then hold ~50 MiB, not ~100.
 */
const readHighWaterMark = 1024 * 1024;
const crowdedReadHighWaterMark = 512 * 1024;
const crowdedReads = 8;
/** Socket chunks are small (16-64 KiB); gathering them into writes of this size cuts syscalls on the push path. */
const writeBatchBytes = 1024 * 1024;
/** Batches up to this size are written in place: cheaper than a trip through the thread pool, and brief. */
const syncWriteBytes = 64 * 1024;

/**
 * The embedded default blob store: files under a root folder (layout in filesystem-layout.ts).
 *
 * Lookups that take microseconds (stat, fstat, opening an existing file, close, small writes) run synchronously:
 * handing each to libuv's thread pool costs several times the call itself in CPU (measured ~50 µs against ~7 µs
 * for an open and close), which bounded small pushes. Calls that change directories (create, rename, unlink) can
 * wait behind the journal commit of another thread's fsync, and fsyncs and large writes take real time: those run
 * on the pool, so the event loop never waits on the disk.
 */
export class FilesystemBlobStore implements BlobStore {
  readonly name = 'filesystem';
  readonly #layout: FilesystemLayout;
  /** Uploads fsynced since their last write: their commit needs no second open and fsync. */
  readonly #synced = new Set<string>();
  /** Content directories, opened once each: a commit fsyncs its directory without opening it again. */
  readonly #directories = new Map<string, number>();
  /** Blob reads streaming now, to size their buffers. */
  #activeReads = 0;

  constructor(root: string) {
    this.#layout = new FilesystemLayout(root);
  }

  /**
   * Creates the folders, with sha256's 256 prefix directories made once here (and synced) so that no push pays for
   * a directory's creation on its commit path.
   */
  async init(): Promise<void> {
    wrap(() => {
      mkdirSync(this.#layout.uploadsDir, { recursive: true });
      const sha256 = dirname(this.#layout.blobPath(`sha256:${'0'.repeat(64)}`));
      if (mkdirSync(dirname(sha256), { recursive: true }) !== undefined || !existsSync(join(dirname(sha256), 'ff'))) {
        for (let prefix = 0; prefix < 256; prefix++) mkdirSync(join(dirname(sha256), prefix.toString(16).padStart(2, '0')), { recursive: true });
        syncDirectory(dirname(sha256));
        syncDirectory(dirname(dirname(sha256)));
        syncDirectory(dirname(dirname(dirname(sha256))));
      }
    });
  }

  async createUpload(id: string): Promise<void> {
    await wrapAsync(async () => (await open(this.#layout.uploadPath(id), 'wx')).close());
  }

  async uploadSize(id: string): Promise<number> {
    return wrap(() => statSync(this.#layout.uploadPath(id)).size, `upload ${id}`);
  }

  async appendUpload(id: string, offset: number, source: AsyncIterable<Buffer>, options: { final?: boolean } = {}): Promise<number> {
    const fd = wrap(() => openSync(this.#layout.uploadPath(id), constants.O_WRONLY), `upload ${id}`);
    this.#synced.delete(id);
    let written = 0;
    try {
      const held = fstatSync(fd).size;
      if (held !== offset) throw new ConflictError(`upload ${id} holds ${held} bytes, not ${offset}`);
      // One batch is written while the next gathers from the socket, so receiving and writing overlap.
      const pending: Buffer[] = [];
      let pendingBytes = 0;
      let writing: Promise<void> | undefined;
      const flush = async (): Promise<void> => {
        await writing;
        const batch = pending.splice(0);
        const bytes = pendingBytes;
        const position = offset + written;
        pendingBytes = 0;
        written += bytes;
        writing = writeAll(fd, batch, bytes, position);
        // Marked handled now: a failure is rethrown where it is awaited, not reported as unhandled meanwhile.
        writing.catch(() => undefined);
      };
      try {
        for await (const chunk of source) {
          pending.push(chunk);
          pendingBytes += chunk.length;
          if (pendingBytes >= writeBatchBytes || pending.length >= 512) await flush();
        }
        if (pendingBytes > 0) await flush();
      } finally {
        // Whatever happened to the source, the write under way finishes before the file is cut back or closed.
        await writing?.catch(() => undefined);
      }
      await writing;
      if (options.final) {
        await fsyncAsync(fd);
        this.#synced.add(id);
      }
      return written;
    } catch (error) {
      // A failed append must leave no partial chunk behind: the session resumes from `offset`.
      if (!(error instanceof ConflictError)) {
        try {
          ftruncateSync(fd, offset);
        } catch {
          // The upload is unusable either way; the error that matters is the one rethrown.
        }
      }
      throw wrapError(error);
    } finally {
      closeSync(fd);
    }
  }

  async readUpload(id: string): Promise<Readable> {
    const fd = wrap(() => openSync(this.#layout.uploadPath(id), 'r'), `upload ${id}`);
    return createReadStream('', { fd, highWaterMark: readHighWaterMark });
  }

  async commitUpload(id: string, digest: string): Promise<void> {
    const from = this.#layout.uploadPath(id);
    const to = this.#layout.blobPath(digest);
    if (!this.#synced.delete(id)) {
      const fd = wrap(() => openSync(from, 'r'), `upload ${id}`);
      try {
        await fsyncAsync(fd).catch((error: unknown) => { throw wrapError(error); });
      } finally {
        closeSync(fd);
      }
    }
    const directory = await this.#directory(dirname(to));
    await wrapAsync(() => rename(from, to), `upload ${id}`);
    // The rename is durable only once the directory entry is.
    await fsyncAsync(directory).catch((error: unknown) => { throw wrapError(error); });
  }

  async deleteUpload(id: string): Promise<void> {
    this.#synced.delete(id);
    await wrapAsync(() => rm(this.#layout.uploadPath(id), { force: true }));
  }

  async listUploads(): Promise<UploadEntry[]> {
    const names = wrap(() => readdirSync(this.#layout.uploadsDir));
    const entries: UploadEntry[] = [];
    for (const name of names) {
      try {
        entries.push({ id: name, modifiedAt: statSync(this.#layout.uploadPath(name)).mtime });
      } catch {
        // Removed meanwhile, or not a name Berth writes: nothing to sweep.
      }
    }
    return entries;
  }

  async stat(digest: string): Promise<{ size: number }> {
    return wrap(() => ({ size: statSync(this.#layout.blobPath(digest)).size }), `blob ${digest}`);
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    const fd = wrap(() => openSync(this.#layout.blobPath(digest), 'r'), `blob ${digest}`);
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start + 1 : wrap(() => fstatSync(fd).size);
    const highWaterMark = this.#activeReads >= crowdedReads ? crowdedReadHighWaterMark : readHighWaterMark;
    const stream = createReadStream('', { fd, start: range?.start, end: range?.end, highWaterMark });
    this.#activeReads++;
    stream.once('close', () => this.#activeReads--);
    return markFileRegion(stream, { fd, start, length });
  }

  async delete(digest: string): Promise<void> {
    await wrapAsync(() => rm(this.#layout.blobPath(digest), { force: true }));
  }

  /** The uploads folder can be listed and written: a check on the disk's mount, not only on this process. */
  async ping(): Promise<void> {
    await wrapAsync(() => access(this.#layout.uploadsDir, constants.R_OK | constants.W_OK));
  }

  /** Releases the directory handles kept for commits. */
  async close(): Promise<void> {
    for (const fd of this.#directories.values()) closeSync(fd);
    this.#directories.clear();
  }

  /** A content directory's descriptor, creating the directory (durably, parents synced) the first time. */
  async #directory(path: string): Promise<number> {
    const known = this.#directories.get(path);
    if (known !== undefined) return known;
    // sha256's prefix directories exist from init(): opening one is a few microseconds, where creating it through
    // the thread pool (mkdir, then its stat of the existing path) cost two round trips on a push's critical path.
    const existing = openDirectoryIfPresent(path);
    if (existing !== undefined) {
      this.#directories.set(path, existing);
      return existing;
    }
    const created = await wrapAsync(() => mkdir(path, { recursive: true }));
    // Each new directory's entry lives in its parent: sync the parents from this one up to the first created.
    for (let dir = dirname(path); created !== undefined; dir = dirname(dir)) {
      await syncDirectoryAsync(dir);
      if (dir === dirname(created) || dir === dirname(dir)) break;
    }
    const fd = wrap(() => openSync(path, 'r'));
    const raced = this.#directories.get(path);
    if (raced !== undefined) {
      closeSync(fd);
      return raced;
    }
    this.#directories.set(path, fd);
    return fd;
  }
}

/** A directory's descriptor, or undefined when it does not exist yet. */
function openDirectoryIfPresent(path: string): number | undefined {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw wrapError(error);
  }
}

/** Writes the chunks in one gathering call (no copy into a joined buffer), finishing any short write. */
async function writeAll(fd: number, chunks: Buffer[], total: number, position: number): Promise<void> {
  let remaining = chunks;
  let left = total;
  while (left > 0) {
    let bytesWritten: number;
    try {
      bytesWritten = left <= syncWriteBytes
        ? writevSync(fd, remaining, position)
        : (await writevAsync(fd, remaining, position)).bytesWritten;
    } catch (error) {
      throw wrapError(error);
    }
    left -= bytesWritten;
    position += bytesWritten;
    if (left > 0) remaining = skipBytes(remaining, bytesWritten);
  }
}

function skipBytes(chunks: Buffer[], count: number): Buffer[] {
  let index = 0;
  while (index < chunks.length && count >= chunks[index]!.length) count -= chunks[index++]!.length;
  const rest = chunks.slice(index);
  if (count > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(count);
  return rest;
}

async function syncDirectoryAsync(path: string): Promise<void> {
  const handle = await wrapAsync(() => open(path, 'r'));
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** At start-up only, before the server listens. */
function syncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Maps file-system failures onto the backend error set: ENOENT is "not found", a full disk or quota is "storage full"
 * (the operator's to fix, and the client's to retry), the rest is a backend failure.
 */
function wrap<T>(operation: () => T, what?: string): T {
  try {
    return operation();
  } catch (error) {
    throw wrapError(error, what);
  }
}

async function wrapAsync<T>(operation: () => Promise<T>, what?: string): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw wrapError(error, what);
  }
}

function wrapError(error: unknown, what?: string): unknown {
  if (error instanceof NotFoundError || error instanceof ConflictError || error instanceof BackendError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (what !== undefined && code === 'ENOENT') return new NotFoundError(what);
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StorageFullError('filesystem', error);
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).errno === 'number') return new BackendError('filesystem', error);
  return error;
}
