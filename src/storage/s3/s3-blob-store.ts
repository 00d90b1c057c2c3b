import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import type { _Object, ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import { BackendError, ConflictError, NotFoundError, StorageFullError } from '../../errors/backend-errors.js';
import type { BlobStore, ByteRange, UploadEntry } from '../blob-store.js';
import { S3Layout } from './s3-layout.js';

export interface S3StoreOptions {
  /** http(s)://host:port of an S3-compatible server; unset for AWS itself. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  /** Unset: the SDK's usual chain (environment, shared files, instance roles). */
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  /** bucket in the path (http://host/bucket/key) rather than the host name; most S3-compatible servers need it. */
  readonly forcePathStyle: boolean;
  /** Keys start with this, so that one bucket can hold other things or several registries. */
  readonly prefix: string;
  /**
   * Checksums the SDK adds to every request by default ('when_supported'); several S3-compatible servers refuse
   * them, so only what the operation requires is sent unless told otherwise.
   */
  readonly checksums: 'when_required' | 'when_supported';
  /** Create the bucket at start-up when it does not exist. */
  readonly createBucket: boolean;
}

type S3Module = typeof import('@aws-sdk/client-s3');
type StorageModule = typeof import('@aws-sdk/lib-storage');
type PresignerModule = typeof import('@aws-sdk/s3-request-presigner');

/**
 * Opens the S3 store and checks its bucket. The AWS SDK is loaded here, when S3 is configured, and not at start-up
 * of a Berth that does not use it (it is large, and idle memory counts).
 */
export async function openS3BlobStore(options: S3StoreOptions): Promise<S3BlobStore> {
  const [s3, storage, presigner] = await Promise.all([
    import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage'), import('@aws-sdk/s3-request-presigner'),
  ]);
  const store = S3BlobStore.create(options, s3, storage, presigner);
  await store.init();
  return store;
}

/** Parts of multipart uploads: S3's minimum is 5 MiB; larger parts mean fewer requests for large layers. */
const partBytes = 16 * 1024 * 1024;
/** S3's smallest part of a multipart upload, the last one excepted. */
const minPartBytes = 5 * 1024 * 1024;
/** Largest object S3 copies in one CopyObject request. */
const maxSingleCopyBytes = 5 * 1024 ** 3;

interface UploadState {
  readonly exists: boolean;
  readonly chunks: readonly { readonly key: string; readonly offset: number; readonly size: number }[];
  readonly size: number;
  readonly keys: readonly string[];
  readonly modifiedAt: Date;
  /** Why the chunks do not line up end to end (two writers at one offset), if they do not. */
  readonly conflict: string | undefined;
}

/**
 * Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph, Swift's S3 API, ...), shared by every node of a
 * cluster. Layout in s3-layout.ts. Nothing of an upload is ever visible as content: the content object is written
 * only by the commit, after the registry has verified the digest, from the upload's chunk objects (a server-side
 * copy for a single chunk, otherwise one streamed multipart upload).
 */
export class S3BlobStore implements BlobStore {
  readonly name = 's3';
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #layout: S3Layout;
  readonly #createBucket: boolean;

  readonly #s3: S3Module;
  readonly #storage: StorageModule;
  readonly #presigner: PresignerModule;

  private constructor(options: S3StoreOptions, s3: S3Module, storage: StorageModule, presigner: PresignerModule) {
    this.#s3 = s3;
    this.#storage = storage;
    this.#presigner = presigner;
    const checksums = options.checksums === 'when_supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
    this.#client = new s3.S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      requestChecksumCalculation: checksums,
      responseChecksumValidation: checksums,
      ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
      ...(options.accessKeyId !== undefined && options.secretAccessKey !== undefined && {
        credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      }),
    });
    this.#bucket = options.bucket;
    this.#layout = new S3Layout(options.prefix);
    this.#createBucket = options.createBucket;
  }

  static create(options: S3StoreOptions, s3: S3Module, storage: StorageModule, presigner: PresignerModule): S3BlobStore {
    return new S3BlobStore(options, s3, storage, presigner);
  }

  /** Checks the bucket answers, creating it when asked to and missing. */
  async init(): Promise<void> {
    try {
      await this.#client.send(new this.#s3.HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (error) {
      if (!isMissing(error) || !this.#createBucket) throw backendError(error, `bucket ${this.#bucket}`);
      await this.#send(new this.#s3.CreateBucketCommand({ Bucket: this.#bucket }), `creating bucket ${this.#bucket}`);
    }
  }

  async createUpload(id: string): Promise<void> {
    await this.#send(new this.#s3.PutObjectCommand({ Bucket: this.#bucket, Key: this.#layout.createdMarker(id), Body: '', ContentLength: 0 }), `upload ${id}`);
  }

  async uploadSize(id: string): Promise<number> {
    return (await this.#existingUpload(id)).size;
  }

  async appendUpload(id: string, offset: number, source: AsyncIterable<Buffer>, _options: { final?: boolean } = {}): Promise<number> {
    const held = (await this.#existingUpload(id)).size;
    if (held !== offset) throw new ConflictError(`upload ${id} holds ${held} bytes, not ${offset}`);
    const iterator = source[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) return 0;
    let appended = 0;
    let sourceError: unknown;
    const body = Readable.from((async function* counted() {
      try {
        for (let step: IteratorResult<Buffer> = first; !step.done; step = await iterator.next()) {
          appended += step.value.length;
          yield step.value;
        }
      } catch (error) {
        sourceError = error;
        throw error;
      }
    })());
    // A chunk object appears only when its whole body arrived: a single PUT, or a multipart upload completed; a
    // failed multipart upload is aborted, so a failed append leaves nothing behind.
    const upload = new this.#storage.Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: this.#layout.chunkKey(id, offset, randomBytes(6).toString('hex')), Body: body },
      partSize: partBytes,
      queueSize: 2,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      body.destroy();
      throw sourceError ?? backendError(error, `upload ${id}`);
    }
    return appended;
  }

  async readUpload(id: string): Promise<Readable> {
    const state = await this.#existingUpload(id);
    return this.#concatenate(state.chunks.map((chunk) => chunk.key));
  }

  async commitUpload(id: string, digest: string): Promise<void> {
    const state = await this.#existingUpload(id);
    const target = this.#layout.blobKey(digest);
    // Content-addressed: an object already under this digest holds these very bytes.
    if (!(await this.#exists(target))) {
      const [only] = state.chunks;
      if (state.chunks.length === 0) {
        await this.#send(new this.#s3.PutObjectCommand({ Bucket: this.#bucket, Key: target, Body: '', ContentLength: 0 }), `blob ${digest}`);
      } else if (state.chunks.length === 1 && only!.size <= maxSingleCopyBytes) {
        await this.#send(new this.#s3.CopyObjectCommand({
          Bucket: this.#bucket, Key: target, CopySource: this.#copySource(only!.key),
        }), `blob ${digest}`);
      } else if (state.chunks.every((chunk, index) => chunk.size <= maxSingleCopyBytes
        && (chunk.size >= minPartBytes || index === state.chunks.length - 1))) {
        await this.#joinInPlace(target, state.chunks.map((chunk) => chunk.key), digest);
      } else {
        // A chunk under S3's 5 MiB part minimum (before the last) cannot be a part: the bytes go through this node.
        const upload = new this.#storage.Upload({
          client: this.#client,
          params: { Bucket: this.#bucket, Key: target, Body: this.#concatenate(state.chunks.map((chunk) => chunk.key)) },
          partSize: partBytes,
          queueSize: 2,
          leavePartsOnError: false,
        });
        await upload.done().catch((error: unknown) => { throw backendError(error, `blob ${digest}`); });
      }
    }
    await this.#deleteKeys(state.keys);
  }

  /**
   * Joins chunk objects into `target` without moving their bytes through this node: a multipart upload whose parts
   * are server-side copies of the chunks (each at least 5 MiB but the last, as S3 requires of parts). A failure
   * aborts it, so nothing appears under `target`.
   */
  async #joinInPlace(target: string, keys: readonly string[], digest: string): Promise<void> {
    const created = await this.#send<{ UploadId?: string }>(
      new this.#s3.CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: target }), `blob ${digest}`);
    const uploadId = created.UploadId!;
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (const [index, key] of keys.entries()) {
        const copied = await this.#send<{ CopyPartResult?: { ETag?: string } }>(new this.#s3.UploadPartCopyCommand({
          Bucket: this.#bucket, Key: target, UploadId: uploadId, PartNumber: index + 1, CopySource: this.#copySource(key),
        }), `blob ${digest}`);
        parts.push({ ETag: copied.CopyPartResult!.ETag!, PartNumber: index + 1 });
      }
      await this.#send(new this.#s3.CompleteMultipartUploadCommand({
        Bucket: this.#bucket, Key: target, UploadId: uploadId, MultipartUpload: { Parts: parts },
      }), `blob ${digest}`);
    } catch (error) {
      await this.#client.send(new this.#s3.AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: target, UploadId: uploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  #copySource(key: string): string {
    return `${this.#bucket}/${encodeURIComponent(key).replaceAll('%2F', '/')}`;
  }

  async deleteUpload(id: string): Promise<void> {
    await this.#deleteKeys((await this.#uploadState(id)).keys);
  }

  async listUploads(): Promise<UploadEntry[]> {
    const latest = new Map<string, Date>();
    for (const object of await this.#list(this.#layout.uploadsPrefix)) {
      const parsed = this.#layout.parseUploadKey(object.Key ?? '');
      if (!parsed) continue;
      const modified = object.LastModified ?? new Date(0);
      const known = latest.get(parsed.id);
      if (!known || known < modified) latest.set(parsed.id, modified);
    }
    return [...latest].map(([id, modifiedAt]) => ({ id, modifiedAt }));
  }

  async stat(digest: string): Promise<{ size: number }> {
    try {
      const head = await this.#client.send(new this.#s3.HeadObjectCommand({ Bucket: this.#bucket, Key: this.#layout.blobKey(digest) }));
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`blob ${digest}`);
      throw backendError(error, `blob ${digest}`);
    }
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    try {
      const object = await this.#client.send(new this.#s3.GetObjectCommand({
        Bucket: this.#bucket, Key: this.#layout.blobKey(digest), ...(range && { Range: `bytes=${range.start}-${range.end}` }),
      }));
      return object.Body as Readable;
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`blob ${digest}`);
      throw backendError(error, `blob ${digest}`);
    }
  }

  /** A presigned GET of the content object: the client fetches the bytes from the object store itself. */
  async downloadUrl(digest: string, expiresSeconds: number): Promise<string> {
    const command = new this.#s3.GetObjectCommand({ Bucket: this.#bucket, Key: this.#layout.blobKey(digest) });
    return this.#presigner.getSignedUrl(this.#client, command, { expiresIn: expiresSeconds });
  }

  async delete(digest: string): Promise<void> {
    await this.#send(new this.#s3.DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#layout.blobKey(digest) }), `blob ${digest}`);
  }

  async ping(): Promise<void> {
    await this.#send(new this.#s3.HeadBucketCommand({ Bucket: this.#bucket }), `bucket ${this.#bucket}`);
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  async #existingUpload(id: string): Promise<UploadState> {
    const state = await this.#uploadState(id);
    if (!state.exists) throw new NotFoundError(`upload ${id}`);
    // Its bytes cannot be told apart: the caller ends the upload (deleteUpload still works).
    if (state.conflict !== undefined) throw new ConflictError(state.conflict);
    return state;
  }

  async #uploadState(id: string): Promise<UploadState> {
    const objects = await this.#list(this.#layout.uploadPrefix(id));
    const chunks: { key: string; offset: number; size: number }[] = [];
    let modifiedAt = new Date(0);
    for (const object of objects) {
      const parsed = this.#layout.parseUploadKey(object.Key ?? '');
      if (object.LastModified && object.LastModified > modifiedAt) modifiedAt = object.LastModified;
      if (parsed?.offset !== undefined) chunks.push({ key: object.Key!, offset: parsed.offset, size: object.Size ?? 0 });
    }
    chunks.sort((a, b) => a.offset - b.offset);
    let size = 0;
    let conflict: string | undefined;
    for (const chunk of chunks) {
      if (chunk.offset < size) conflict ??= `upload ${id} was appended to twice at byte ${chunk.offset}, by writers running at once`;
      else if (chunk.offset > size) conflict ??= `upload ${id} has no bytes from ${size} to ${chunk.offset}`;
      size = Math.max(size, chunk.offset + chunk.size);
    }
    return { exists: objects.length > 0, chunks, size, keys: objects.map((object) => object.Key!), modifiedAt, conflict };
  }

  async #list(prefix: string): Promise<_Object[]> {
    const objects: _Object[] = [];
    let token: string | undefined;
    do {
      const page = await this.#send<ListObjectsV2CommandOutput>(new this.#s3.ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }), `listing ${prefix}`);
      objects.push(...(page.Contents ?? []));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  async #exists(key: string): Promise<boolean> {
    try {
      await this.#client.send(new this.#s3.HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw backendError(error, key);
    }
  }

  /** One object after another as one stream, each fetched when the previous has been read. */
  #concatenate(keys: readonly string[]): Readable {
    const output = new PassThrough();
    void (async () => {
      for (const key of keys) {
        const object = await this.#client.send(new this.#s3.GetObjectCommand({ Bucket: this.#bucket, Key: key }));
        for await (const chunk of object.Body as Readable) {
          if (!output.write(chunk)) await new Promise((resolve) => output.once('drain', resolve));
        }
      }
      output.end();
    })().catch((error: unknown) => output.destroy(backendError(error, 'reading upload chunks')));
    return output;
  }

  /** Deletes one key at a time: multi-object delete needs a Content-MD5 that some S3-compatible servers treat apart. */
  async #deleteKeys(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 8) {
      await Promise.all(keys.slice(i, i + 8).map((key) =>
        this.#send(new this.#s3.DeleteObjectCommand({ Bucket: this.#bucket, Key: key }), `deleting ${key}`)));
    }
  }

  async #send<T>(command: object, what: string): Promise<T> {
    try {
      return await this.#client.send(command as never) as T;
    } catch (error) {
      throw backendError(error, what);
    }
  }
}

function isMissing(error: unknown): boolean {
  const named = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return named.name === 'NotFound' || named.name === 'NoSuchKey' || named.name === 'NoSuchBucket'
    || named.$metadata?.httpStatusCode === 404;
}

function backendError(error: unknown, what: string): BackendError {
  if (error instanceof BackendError) return error;
  const message = error instanceof Error ? `${what}: ${error.message}` : `${what}: ${String(error)}`;
  return isFull(error) ? new StorageFullError('s3', new Error(message, { cause: error }))
    : new BackendError('s3', new Error(message, { cause: error }));
}

/** An S3-compatible server out of room: MinIO answers XMinioStorageFull with 507, as others answer 507 alone. */
function isFull(error: unknown): boolean {
  const named = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return named.name === 'XMinioStorageFull' || named.$metadata?.httpStatusCode === 507;
}
