import type { Readable } from 'node:stream';

/** An inclusive byte range, as HTTP's Range header counts. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface UploadEntry {
  readonly id: string;
  readonly modifiedAt: Date;
}

/**
 * Moves bytes. A blob store knows content addresses and upload areas, nothing of repositories, manifests or HTTP:
 * which blob is visible where is the metadata store's truth. Every implementation passes
 * test/suites/blob-store.suite.ts.
 *
 * Errors: a missing upload or blob throws `NotFoundError`; a medium with no room left throws `StorageFullError`; any
 * other failure of the medium throws `BackendError`.
 */
export interface BlobStore {
  readonly name: string;

  /** Creates an empty upload area under `id` (a fresh random id chosen by the caller). */
  createUpload(id: string): Promise<void>;

  /** Number of bytes the upload holds. Throws `NotFoundError` when the upload does not exist. */
  uploadSize(id: string): Promise<number>;

  /**
   * Appends every chunk of `source` to the upload, which must hold exactly `offset` bytes (`ConflictError`
   * otherwise, thrown before any of `source` is read: another writer moved it, and the caller may retry with the same
   * source), and resolves to the number of bytes appended. If the source throws (a
   * client gone, a length or limit check of the caller's), the upload is cut back to `offset` and the error is
   * rethrown, so a failed append leaves no partial chunk. `final` says no append follows before the commit, so the
   * store may make the bytes durable now, while it holds the upload open.
   */
  appendUpload(id: string, offset: number, source: AsyncIterable<Buffer>, options?: { final?: boolean }): Promise<number>;

  /** Streams the bytes the upload holds so far (to re-hash a session resumed after a restart). */
  readUpload(id: string): Promise<Readable>;

  /**
   * Makes the upload's bytes durable and moves them, atomically, to the content address `digest`; the upload area
   * is gone afterwards. When the content already exists it is replaced by identical bytes, never by a partial file.
   */
  commitUpload(id: string, digest: string): Promise<void>;

  /** Removes an upload area; a missing one is not an error. */
  deleteUpload(id: string): Promise<void>;

  /** Every upload area with its last modification, for sweeping abandoned and orphaned uploads. */
  listUploads(): Promise<UploadEntry[]>;

  /** Size of stored content. Throws `NotFoundError` when absent. */
  stat(digest: string): Promise<{ size: number }>;

  /** Streams stored content, or the inclusive `range` of it. Throws `NotFoundError` when absent. */
  read(digest: string, range?: ByteRange): Promise<Readable>;

  /**
   * A time-limited URL from which a client may fetch stored content directly, bypassing this node (object stores),
   * or undefined when the store has no such thing. Optional: only stores that can sign URLs have it.
   */
  downloadUrl?(digest: string, expiresSeconds: number): Promise<string | undefined>;

  /** Removes stored content; a missing one is not an error. */
  delete(digest: string): Promise<void>;

  /** Resolves when the medium answers (for readiness checks); throws `BackendError` otherwise. */
  ping(): Promise<void>;

  /** Releases what the store holds open; called once, at shutdown. */
  close(): Promise<void>;
}
