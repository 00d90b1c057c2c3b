import type { Hash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../errors/backend-errors.js';
import { RegistryError } from '../errors/registry-error.js';
import type { EventOrigin } from '../events/registry-event.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { createHasher, type ParsedDigest } from '../oci/digest.js';
import { isValidName } from '../oci/names.js';
import type { BlobStore } from '../storage/blob-store.js';
import { blobTooLarge, checkedBody, type BlobLimit } from './checked-body.js';
import type { PolicyPoint } from './policy-point.js';
import type { RequestContext } from './request-context.js';
import { assertName, requireDigest } from './validate.js';

export interface UploadLimits {
  /** Largest blob accepted; 0 for no limit. */
  readonly blobMaxBytes: number;
  /** How long this node keeps an idle session's state in memory (15 minutes when absent); see #forgetIdle. */
  readonly liveIdleMs?: number | undefined;
}

const defaultLiveIdleMs = 15 * 60_000;

export interface ChunkRequest {
  readonly body: AsyncIterable<Buffer> | undefined;
  /** The Content-Range header of a chunked PATCH, "start-end" (inclusive). */
  readonly contentRange: string | undefined;
  readonly contentLength: number | undefined;
}

/** A chunk whose Content-Range has been read, once, into where it claims to start and end. */
interface Chunk extends ChunkRequest {
  readonly declared: { readonly start: number; readonly end: number } | undefined;
}

/** This node's memory of a session was behind the store, which refused the append before reading the body. */
class StaleSession extends Error {}

/**
 * What this process knows of an open session between its requests: its repository, bytes held and the running
 * sha256 of those bytes, so each byte is hashed once however many requests carry it, and a request of a session
 * this process has seen needs no database read and no stat. After a restart, or when another process moved the
 * session on, it is rebuilt once from the metadata store and the bytes held.
 */
interface LiveUpload {
  readonly repository: string;
  hash: Hash;
  offset: number;
  /** When a request of this node last used it (ms). */
  touchedAt: number;
}

/**
 * Blob uploads: monolithic, POST-then-PUT, streamed and chunked PATCHes, status, cancel and cross-repository mounts.
 * Bytes are hashed as they stream into the upload area; the blob becomes visible only after its digest is verified,
 * its bytes are durable under their content address, and the metadata transaction that links it has committed.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs
 */
export class UploadService {
  readonly #live = new Map<string, LiveUpload>();
  readonly #busy = new Set<string>();
  #receivedBytes = 0;
  #forgottenAt = 0;

  constructor(
    private readonly store: BlobStore,
    private readonly metadata: MetadataStore,
    private readonly limits: UploadLimits,
    private readonly policies: PolicyPoint,
  ) {}

  /** Blob bytes received and kept since start (a chunk cut back counts nothing); for metrics, read when scraped. */
  get receivedBytes(): number {
    return this.#receivedBytes;
  }

  /**
   * Upload sessions this node has open in memory: started, or continued here, and not yet completed, cancelled or
   * expired; for metrics.
   */
  get openSessions(): number {
    return this.#live.size;
  }

  /** Opens an upload session; the client sends the bytes to it next. */
  async start(context: RequestContext, repository: string): Promise<string> {
    assertName(repository);
    await this.policies.beforeWrite(context, repository);
    const id = randomUUID();
    await this.store.createUpload(id);
    const now = Date.now();
    await this.metadata.createUploadSession(id, repository, now);
    this.#forgetIdle(now);
    this.#live.set(id, { repository, hash: createHasher('sha256'), offset: 0, touchedAt: now });
    return id;
  }

  /** Monolithic upload (POST with ?digest=): the whole blob in one request. */
  async uploadWhole(context: RequestContext, repository: string, digestValue: string, chunk: ChunkRequest): Promise<string> {
    assertName(repository);
    const digest = requireDigest(digestValue);
    this.#refuseOversized(chunk.contentLength, 0);
    await this.policies.beforeWrite(context, repository);
    const id = randomUUID();
    await this.store.createUpload(id);
    try {
      const hash = createHasher(digest.algorithm);
      const size = await this.store.appendUpload(id, 0, checkedBody(chunk.body ?? emptyBody(), {
        hasher: hash, exactBytes: chunk.contentLength, limit: this.#limit(0),
      }), { final: true });
      this.#receivedBytes += size;
      await this.#commit(repository, id, digest, hash, size, { endsSession: false, origin: context.origin });
      return digest.value;
    } catch (error) {
      await this.store.deleteUpload(id);
      throw error;
    }
  }

  /**
   * Cross-repository mount. Links the blob when a repository the caller may pull from (`from`, or any when absent)
   * has it, and answers true; otherwise false, and the caller opens a normal session. Only a readable source, or a
   * mount would reveal (and copy) a private blob.
   */
  async mount(context: RequestContext, repository: string, digestValue: string, from: string | undefined): Promise<boolean> {
    assertName(repository);
    const digest = requireDigest(digestValue, 'mount').value;
    if (from !== undefined) {
      // A source that is no valid name cannot hold the blob: the client gets an ordinary session, as the spec asks
      // of any mount the registry cannot do.
      if (!isValidName(from) || !await context.may('pull', from)) return false;
      return this.#linkFrom(context, from, repository, digest);
    }
    for (const holder of await this.metadata.repositoriesWithBlob(digest, 100)) {
      if (await context.may('pull', holder)) return this.#linkFrom(context, holder, repository, digest);
    }
    return false;
  }

  /**
   * Bytes received so far by a session, as the blob store holds them. Only checks the session exists: rebuilding a
   * resumed session's hash (a read of all its bytes) waits for the request that needs it.
   */
  async status(repository: string, id: string): Promise<number> {
    assertName(repository);
    const live = this.#live.get(id);
    if (live ? live.repository !== repository : !(await this.#sessionOf(repository, id))) throw uploadUnknown(repository, id);
    return this.#size(id);
  }

  /** Appends a chunk (PATCH). A chunk must start where the upload ends; otherwise 416 with the current range. */
  async append(repository: string, id: string, chunk: ChunkRequest): Promise<number> {
    assertName(repository);
    return this.#exclusive(id, () => this.#writingElsewhere(repository, id), async () => {
      const live = await this.#appendCurrent(repository, id, chunk, { final: false });
      await this.metadata.touchUploadSession(id, Date.now());
      return live.offset;
    });
  }

  /** Completes a session (PUT with ?digest=), with an optional last chunk in the body. */
  async complete(context: RequestContext, repository: string, id: string, digestValue: string, chunk: ChunkRequest): Promise<string> {
    assertName(repository);
    return this.#exclusive(id, () => this.#writingElsewhere(repository, id), async () => {
      const digest = requireDigest(digestValue);
      const live = chunk.body !== undefined
        ? await this.#appendCurrent(repository, id, chunk, { final: true })
        : await this.#current(repository, id);
      const hash = digest.algorithm === 'sha256' ? live.hash : await this.#hashStored(id, digest.algorithm);
      try {
        await this.#commit(repository, id, digest, hash, live.offset, { endsSession: true, origin: context.origin });
      } catch (error) {
        // A digest mismatch ends the session: its bytes are not the content the client meant. So does an upload two
        // requests wrote at once (through different nodes): which bytes it holds is anyone's guess.
        if (error instanceof RegistryError && error.code === 'DIGEST_INVALID') await this.#discard(id);
        if (error instanceof ConflictError) {
          await this.#discard(id);
          throw conflicted(id);
        }
        throw error;
      }
      this.#live.delete(id);
      return digest.value;
    });
  }

  async cancel(repository: string, id: string): Promise<void> {
    assertName(repository);
    const busy = async (): Promise<RegistryError> => new RegistryError('BLOB_UPLOAD_INVALID',
      'another request is writing to this upload: wait for it to finish, then cancel the upload');
    await this.#exclusive(id, busy, async () => {
      await this.#open(repository, id);
      await this.#discard(id);
    });
  }

  /** Removes sessions untouched since `before` with their bytes, and upload bytes that have no session at all. */
  async sweep(before: number): Promise<number> {
    let removed = 0;
    for (const id of await this.metadata.staleUploadSessions(before)) {
      if (this.#busy.has(id)) continue;
      await this.#discard(id);
      removed++;
    }
    return removed + await this.removeOrphans(before);
  }

  /**
   * Removes upload areas without a session last written before `before`: after a crash, these are pushes that never
   * finished. A monolithic push streams into an area that has no session row, so where other nodes share the store,
   * `before` must leave their in-flight pushes alone (this node's own are never touched).
   */
  async removeOrphans(before = Number.POSITIVE_INFINITY): Promise<number> {
    const entries = await this.store.listUploads();
    const open = await this.metadata.existingUploadSessions(entries.map((entry) => entry.id));
    const orphans = entries.filter((entry) => !open.has(entry.id) && !this.#busy.has(entry.id) && entry.modifiedAt.getTime() < before);
    for (const entry of orphans) await this.store.deleteUpload(entry.id);
    return orphans.length;
  }

  /** The mount's link: the blob as `source` holds it, linked to `repository`; false when `source` does not hold it. */
  async #linkFrom(context: RequestContext, source: string, repository: string, digest: string): Promise<boolean> {
    const linked = await this.metadata.linkedBlob(source, digest);
    if (!linked) return false;
    await this.policies.beforeWrite(context, repository);
    await this.metadata.linkBlob(repository, digest, linked.size, undefined, { origin: context.origin, from: source });
    return true;
  }

  /**
   * Appends a chunk to the session as it stands now. In a cluster, the previous chunk may have gone to another node:
   * this node's memory of the session is then behind the store, which is detected before any byte of the body is
   * read (a declared start past what this node knows, or the store refusing the offset), and the session is rebuilt
   * from the stored bytes once before appending.
   */
  async #appendCurrent(repository: string, id: string, request: ChunkRequest, options: { final: boolean }): Promise<LiveUpload> {
    let live = await this.#open(repository, id);
    const chunk: Chunk = { ...request, declared: parseContentRange(request.contentRange) };
    if (chunk.declared === undefined && chunk.contentRange !== undefined && chunk.contentRange !== '') {
      throw outOfOrder(`Content-Range "${chunk.contentRange}" is malformed: use "<start>-<end>"`, live, id);
    }
    if (chunk.declared && chunk.declared.start !== live.offset && (await this.#size(id)) !== live.offset) {
      live = await this.#reload(repository, id);
    }
    try {
      await this.#appendChunk(id, live, chunk, { final: options.final, mayBeStale: true });
    } catch (error) {
      if (!(error instanceof StaleSession)) throw error;
      live = await this.#reload(repository, id);
      await this.#appendChunk(id, live, chunk, { final: options.final, mayBeStale: false });
    }
    return live;
  }

  /** The session, checked against the store: rebuilt when another node has moved it on. */
  async #current(repository: string, id: string): Promise<LiveUpload> {
    const live = await this.#open(repository, id);
    return (await this.#size(id)) === live.offset ? live : this.#reload(repository, id);
  }

  async #reload(repository: string, id: string): Promise<LiveUpload> {
    this.#live.delete(id);
    return this.#open(repository, id);
  }

  /**
   * `final`: no append follows before the commit. `mayBeStale`: a conflict with the store throws StaleSession (to
   * rebuild and retry) instead of answering 416.
   */
  async #appendChunk(id: string, live: LiveUpload, chunk: Chunk, options: { final: boolean; mayBeStale: boolean }): Promise<void> {
    const offset = live.offset;
    const { declared } = chunk;
    if (declared) {
      if (declared.start !== offset) {
        throw outOfOrder(`chunk starts at byte ${declared.start} but the upload holds ${offset} bytes: send the chunk that starts at ${offset}`, live, id);
      }
      if (chunk.contentLength !== undefined && chunk.contentLength !== declared.end - declared.start + 1) {
        throw new RegistryError('SIZE_INVALID',
          `Content-Length ${chunk.contentLength} does not match Content-Range ${chunk.contentRange}: send matching headers`);
      }
    }
    this.#refuseOversized(chunk.contentLength, offset);
    const before = live.hash.copy();
    try {
      const appended = await this.store.appendUpload(id, offset, checkedBody(chunk.body ?? emptyBody(), {
        hasher: live.hash,
        exactBytes: declared ? declared.end - declared.start + 1 : chunk.contentLength,
        limit: this.#limit(offset),
      }), { final: options.final });
      live.offset += appended;
      this.#receivedBytes += appended;
    } catch (error) {
      // The store cut the bytes back to `offset`; the hash goes back with them. When another process moved the
      // session on, what this one knew is stale: it is rebuilt on the next request.
      live.hash = before;
      if (error instanceof NotFoundError) throw uploadUnknown(live.repository, id);
      if (error instanceof ConflictError) {
        this.#live.delete(id);
        // The first time, the caller rebuilds the session and tries again; a second conflict means a writer elsewhere
        // is appending right now.
        if (options.mayBeStale) throw new StaleSession();
        const held = await this.#size(id);
        throw outOfOrder(`the upload holds ${held} bytes, not ${offset}: send the chunk that starts at ${held}`, { repository: live.repository, offset: held }, id);
      }
      throw error;
    }
  }

  async #hashStored(id: string, algorithm: ParsedDigest['algorithm']): Promise<Hash> {
    const hash = createHasher(algorithm);
    for await (const chunk of await this.store.readUpload(id)) hash.update(chunk as Buffer);
    return hash;
  }

  /**
   * `endsSession`: the upload was a session (POST, then PATCHes and PUT), which the metadata commit closes;
   * `origin`: who pushed it, for its `blob.pushed` event.
   */
  async #commit(repository: string, id: string, digest: ParsedDigest, hash: Hash, size: number,
    options: { endsSession: boolean; origin: EventOrigin }): Promise<void> {
    // A copy is finalised, so a failed commit leaves the running hash usable for a retry.
    const actual = `${digest.algorithm}:${hash.copy().digest('hex')}`;
    if (actual !== digest.value) {
      throw new RegistryError('DIGEST_INVALID',
        `the uploaded content has digest ${actual}, not ${digest.value}: re-send the content with its correct digest`,
        { expected: digest.value, actual });
    }
    await this.store.commitUpload(id, digest.value);
    await this.metadata.linkBlob(repository, digest.value, size, options.endsSession ? id : undefined, { origin: options.origin });
  }

  async #discard(id: string): Promise<void> {
    this.#live.delete(id);
    await this.store.deleteUpload(id);
    await this.metadata.deleteUploadSession(id);
  }

  /**
   * The live state of a session of `repository` (a name the caller has checked), from memory or rebuilt;
   * BLOB_UPLOAD_UNKNOWN when there is none.
   */
  async #open(repository: string, id: string): Promise<LiveUpload> {
    const now = Date.now();
    const live = this.#live.get(id);
    if (live) {
      if (live.repository !== repository) throw uploadUnknown(repository, id);
      live.touchedAt = now;
      return live;
    }
    if (!(await this.#sessionOf(repository, id))) throw uploadUnknown(repository, id);
    const offset = await this.#size(id);
    const rebuilt: LiveUpload = { repository, hash: await this.#hashStored(id, 'sha256'), offset, touchedAt: now };
    this.#forgetIdle(now);
    this.#live.set(id, rebuilt);
    return rebuilt;
  }

  /**
   * Drops the in-memory state of sessions no request of this node has used for a while, at most once a minute.
   * Behind a load balancer a session this node began may be finished, cancelled or expired by another, which this
   * node never hears of; without this, its state would stay, and count among the uploads in progress, for ever.
   * Forgetting is always safe: a session still open is rebuilt from its stored bytes on its next request here.
   */
  #forgetIdle(now: number): void {
    const idleMs = this.limits.liveIdleMs ?? defaultLiveIdleMs;
    if (now - this.#forgottenAt < Math.min(idleMs, 60_000)) return;
    this.#forgottenAt = now;
    for (const [id, live] of this.#live) {
      if (live.touchedAt <= now - idleMs && !this.#busy.has(id)) this.#live.delete(id);
    }
  }

  /** Whether the metadata store holds an open session `id` of `repository`. */
  async #sessionOf(repository: string, id: string): Promise<boolean> {
    const session = /^[A-Za-z0-9-]{1,64}$/.test(id) ? await this.metadata.uploadSession(id) : undefined;
    return session !== undefined && session.repository === repository;
  }

  async #size(id: string): Promise<number> {
    try {
      return await this.store.uploadSize(id);
    } catch (error) {
      if (error instanceof NotFoundError) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, { upload: id });
      if (error instanceof ConflictError) throw conflicted(id);
      throw error;
    }
  }

  /** Runs `work` unless another request of this node is writing to the upload, which is refused with `busy()`. */
  async #exclusive<T>(id: string, busy: () => Promise<RegistryError>, work: () => Promise<T>): Promise<T> {
    if (this.#busy.has(id)) throw await busy();
    this.#busy.add(id);
    try {
      return await work();
    } finally {
      this.#busy.delete(id);
    }
  }

  /**
   * A chunk sent while another request appends to the same upload (a client's retry racing its first try, or two
   * writers) does not continue the upload as it stands: 416 with the bytes held before that other request, as for a
   * chunk out of order, so the client asks where the upload ended and resumes from there rather than start again.
   */
  async #writingElsewhere(repository: string, id: string): Promise<RegistryError> {
    const live = this.#live.get(id);
    // The other request may still be rebuilding the session: its bytes are then what the store holds.
    const held = live ?? ((await this.#sessionOf(repository, id)) ? { repository, offset: await this.#size(id) } : undefined);
    if (held === undefined || held.repository !== repository) return uploadUnknown(repository, id);
    return outOfOrder(`another request is writing to this upload, which held ${held.offset} bytes when it began: `
      + 'wait for it to finish, then check the upload\'s Range (GET it) and send what follows', held, id);
  }

  #maxBytes(): number {
    return this.limits.blobMaxBytes > 0 ? this.limits.blobMaxBytes : Infinity;
  }

  /** The blob limit for a chunk appended at `heldBytes`, when one is configured. */
  #limit(heldBytes: number): BlobLimit | undefined {
    return this.limits.blobMaxBytes > 0 ? { maxBytes: this.limits.blobMaxBytes, heldBytes } : undefined;
  }

  /** Refuses, before reading a byte, a body whose declared size would take the blob past the limit. */
  #refuseOversized(contentLength: number | undefined, heldBytes: number): void {
    if (contentLength !== undefined && heldBytes + contentLength > this.#maxBytes()) {
      throw blobTooLarge({ maxBytes: this.limits.blobMaxBytes, heldBytes });
    }
  }
}

/**
 * RANGE_INVALID (416) for a chunk that does not continue the upload, with the upload's state: the client is told the
 * Range it must continue from, and where.
 */
function outOfOrder(message: string, live: { readonly repository: string; readonly offset: number }, id: string): RegistryError {
  return new RegistryError('RANGE_INVALID', message, { offset: live.offset },
    { upload: { repository: live.repository, id, heldBytes: live.offset } });
}

function uploadUnknown(repository: string, id: string): RegistryError {
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, { repository, upload: id.slice(0, 100) });
}

function parseContentRange(header: string | undefined): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  return end >= start ? { start, end } : undefined;
}

async function* emptyBody(): AsyncGenerator<Buffer> {}

function conflicted(id: string): RegistryError {
  return new RegistryError('BLOB_UPLOAD_INVALID',
    'two requests wrote to this upload at once, so its content is uncertain: start the upload again', { upload: id });
}
