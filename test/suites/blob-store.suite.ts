import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConflictError, NotFoundError } from '../../src/errors/backend-errors.js';
import type { BlobStore } from '../../src/storage/blob-store.js';

/** What a backend under test provides: a fresh, empty store, and how to dispose of it. */
export interface BlobStoreFixture {
  readonly store: BlobStore;
  dispose?(): Promise<void>;
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function* chunksOf(...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield part;
}

/** A source that yields `parts`, then fails as a client that went away or a length check of the caller's would. */
async function* failingAfter(error: Error, ...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield part;
  throw error;
}

/**
 * The behaviour every blob store must show: the contract in the doc comments of src/storage/blob-store.ts. Each
 * backend runs it with a factory giving a fresh, empty store per test.
 */
export function blobStoreSuite(name: string, factory: () => Promise<BlobStoreFixture>): void {
  describe(`blob store contract: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;
    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => { await fixture.dispose?.(); });

    /** Commits `bytes` as content through an upload, as the registry does; resolves to the digest. */
    async function storeContent(bytes: Buffer): Promise<string> {
      const id = `c${randomBytes(8).toString('hex')}`;
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunksOf(bytes));
      const digest = sha256(bytes);
      await store.commitUpload(id, digest);
      return digest;
    }

    it('has a name', () => {
      assert.equal(typeof store.name, 'string');
      assert.ok(store.name.length > 0);
    });

    describe('uploads', () => {
      it('creates an empty upload area', async () => {
        await store.createUpload('u1');
        assert.equal(await store.uploadSize('u1'), 0);
        assert.deepEqual(await readAll(await store.readUpload('u1')), Buffer.alloc(0));
      });

      it('appends chunks at the offset the upload holds and reports the bytes appended', async () => {
        await store.createUpload('u1');
        const first = randomBytes(1000);
        const second = randomBytes(2500);
        assert.equal(await store.appendUpload('u1', 0, chunksOf(first.subarray(0, 10), first.subarray(10))), 1000);
        assert.equal(await store.uploadSize('u1'), 1000);
        assert.equal(await store.appendUpload('u1', 1000, chunksOf(second)), 2500);
        assert.equal(await store.uploadSize('u1'), 3500);
        assert.deepEqual(await readAll(await store.readUpload('u1')), Buffer.concat([first, second]));
      });

      it('refuses an append at an offset other than what the upload holds, and changes nothing', async () => {
        await store.createUpload('u1');
        const held = randomBytes(100);
        await store.appendUpload('u1', 0, chunksOf(held));
        await assert.rejects(store.appendUpload('u1', 50, chunksOf(randomBytes(10))), ConflictError);
        await assert.rejects(store.appendUpload('u1', 150, chunksOf(randomBytes(10))), ConflictError);
        assert.deepEqual(await readAll(await store.readUpload('u1')), held);
      });

      it('refuses a stale offset before reading any of the source, so the caller can retry with it', async () => {
        await store.createUpload('u1');
        await store.appendUpload('u1', 0, chunksOf(randomBytes(100)));
        let read = false;
        const source = (async function* () { read = true; yield randomBytes(10); })();
        await assert.rejects(store.appendUpload('u1', 0, source), ConflictError);
        assert.equal(read, false, 'no chunk was taken from the source');
        assert.equal(await store.appendUpload('u1', 100, source), 10);
      });

      it('commits an upload whose last append was final', async () => {
        await store.createUpload('u1');
        const bytes = randomBytes(5000);
        await store.appendUpload('u1', 0, chunksOf(bytes), { final: true });
        await store.commitUpload('u1', sha256(bytes));
        assert.deepEqual(await readAll(await store.read(sha256(bytes))), bytes);
      });

      it('appends an empty source as zero bytes', async () => {
        await store.createUpload('u1');
        await store.appendUpload('u1', 0, chunksOf(Buffer.from('abc')));
        assert.equal(await store.appendUpload('u1', 3, chunksOf()), 0);
        assert.equal(await store.uploadSize('u1'), 3);
      });

      it('appends large sources whole (several MiB, many chunks)', async () => {
        await store.createUpload('u1');
        const parts = Array.from({ length: 50 }, () => randomBytes(64 * 1024 + 7));
        const written = await store.appendUpload('u1', 0, chunksOf(...parts));
        const all = Buffer.concat(parts);
        assert.equal(written, all.length);
        assert.equal(await store.uploadSize('u1'), all.length);
        assert.equal(sha256(await readAll(await store.readUpload('u1'))), sha256(all));
      });

      it('cuts a failed append back to its offset and rethrows the source\'s error', async () => {
        await store.createUpload('u1');
        const kept = randomBytes(3000);
        await store.appendUpload('u1', 0, chunksOf(kept));
        const failure = new Error('client went away');
        // Several MiB before the failure, so a store that writes as it goes has written some of them.
        const partial = Array.from({ length: 5 }, () => randomBytes(1024 * 1024));
        await assert.rejects(store.appendUpload('u1', 3000, failingAfter(failure, ...partial)), (error) => error === failure);
        assert.equal(await store.uploadSize('u1'), 3000);
        assert.deepEqual(await readAll(await store.readUpload('u1')), kept);

        // The upload resumes from where it stood.
        const next = randomBytes(500);
        assert.equal(await store.appendUpload('u1', 3000, chunksOf(next)), 500);
        assert.deepEqual(await readAll(await store.readUpload('u1')), Buffer.concat([kept, next]));
      });

      it('leaves an upload empty when its first append fails at once', async () => {
        await store.createUpload('u1');
        const failure = new Error('refused before any byte');
        await assert.rejects(store.appendUpload('u1', 0, failingAfter(failure)), (error) => error === failure);
        assert.equal(await store.uploadSize('u1'), 0);
      });

      it('keeps uploads apart', async () => {
        await store.createUpload('u1');
        await store.createUpload('u2');
        await store.appendUpload('u1', 0, chunksOf(Buffer.from('one')));
        await store.appendUpload('u2', 0, chunksOf(Buffer.from('second')));
        assert.deepEqual(await readAll(await store.readUpload('u1')), Buffer.from('one'));
        assert.deepEqual(await readAll(await store.readUpload('u2')), Buffer.from('second'));
      });

      it('throws NotFoundError for an upload that does not exist', async () => {
        await assert.rejects(store.uploadSize('missing'), NotFoundError);
        await assert.rejects(store.appendUpload('missing', 0, chunksOf(Buffer.from('x'))), NotFoundError);
        await assert.rejects(store.readUpload('missing'), NotFoundError);
        await assert.rejects(store.commitUpload('missing', sha256(Buffer.from('x'))), NotFoundError);
      });

      it('deletes an upload area; deleting a missing one is not an error', async () => {
        await store.createUpload('u1');
        await store.appendUpload('u1', 0, chunksOf(Buffer.from('bytes')));
        await store.deleteUpload('u1');
        await assert.rejects(store.uploadSize('u1'), NotFoundError);
        assert.deepEqual(await store.listUploads(), []);
        await store.deleteUpload('u1');
        await store.deleteUpload('never-existed');
      });

      it('lists every upload area with its last modification', async () => {
        assert.deepEqual(await store.listUploads(), []);
        const before = Date.now();
        await store.createUpload('u1');
        await store.createUpload('u2');
        await store.appendUpload('u2', 0, chunksOf(Buffer.from('x')));
        const listed = await store.listUploads();
        assert.deepEqual(listed.map((entry) => entry.id).sort(), ['u1', 'u2']);
        for (const entry of listed) {
          assert.ok(entry.modifiedAt instanceof Date);
          // Coarse bounds only (file systems round times): modified around now, not at some unrelated epoch.
          assert.ok(entry.modifiedAt.getTime() >= before - 5_000 && entry.modifiedAt.getTime() <= Date.now() + 5_000);
        }
      });
    });

    describe('commit', () => {
      it('makes the upload\'s bytes readable under the digest and removes the upload', async () => {
        const bytes = randomBytes(4096);
        await store.createUpload('u1');
        await store.appendUpload('u1', 0, chunksOf(bytes.subarray(0, 1000), bytes.subarray(1000)));
        const digest = sha256(bytes);
        await store.commitUpload('u1', digest);

        assert.deepEqual(await store.stat(digest), { size: 4096 });
        assert.deepEqual(await readAll(await store.read(digest)), bytes);
        await assert.rejects(store.uploadSize('u1'), NotFoundError);
        await assert.rejects(store.readUpload('u1'), NotFoundError);
        assert.deepEqual(await store.listUploads(), []);
      });

      it('commits zero bytes', async () => {
        const empty = Buffer.alloc(0);
        const digest = await storeContent(empty);
        assert.deepEqual(await store.stat(digest), { size: 0 });
        assert.deepEqual(await readAll(await store.read(digest)), empty);
      });

      it('replaces existing content by identical bytes when the same content is committed again', async () => {
        const bytes = randomBytes(2048);
        const digest = await storeContent(bytes);
        assert.equal(await storeContent(bytes), digest);
        assert.deepEqual(await store.stat(digest), { size: 2048 });
        assert.deepEqual(await readAll(await store.read(digest)), bytes);
      });

      it('stores content under sha512 digests as well', async () => {
        const bytes = randomBytes(300);
        const digest = `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
        await store.createUpload('u1');
        await store.appendUpload('u1', 0, chunksOf(bytes));
        await store.commitUpload('u1', digest);
        assert.deepEqual(await readAll(await store.read(digest)), bytes);
        await assert.rejects(store.stat(sha256(bytes)), NotFoundError);
      });
    });

    describe('content', () => {
      it('reports the size of stored content', async () => {
        const digest = await storeContent(randomBytes(777));
        assert.deepEqual(await store.stat(digest), { size: 777 });
      });

      it('reads inclusive ranges of stored content', async () => {
        const bytes = randomBytes(100);
        const digest = await storeContent(bytes);
        for (const [start, end] of [[0, 9], [5, 99], [96, 99], [42, 42], [0, 99], [99, 99]] as const) {
          assert.deepEqual(await readAll(await store.read(digest, { start, end })), bytes.subarray(start, end + 1), `range ${start}-${end}`);
        }
      });

      it('reads ranges of content larger than one read buffer', async () => {
        const bytes = randomBytes(3 * 1024 * 1024 + 11);
        const digest = await storeContent(bytes);
        const start = 1024 * 1024 - 3;
        const end = 2 * 1024 * 1024 + 5;
        assert.deepEqual(await readAll(await store.read(digest, { start, end })), bytes.subarray(start, end + 1));
        assert.equal(sha256(await readAll(await store.read(digest))), digest);
      });

      it('throws NotFoundError for content that is absent', async () => {
        const absent = sha256(Buffer.from('never stored'));
        await assert.rejects(store.stat(absent), NotFoundError);
        await assert.rejects(store.read(absent), NotFoundError);
        await assert.rejects(store.read(absent, { start: 0, end: 0 }), NotFoundError);
      });

      it('deletes content; deleting absent content is not an error', async () => {
        const keep = await storeContent(randomBytes(10));
        const digest = await storeContent(randomBytes(20));
        await store.delete(digest);
        await assert.rejects(store.stat(digest), NotFoundError);
        await assert.rejects(store.read(digest), NotFoundError);
        await store.delete(digest);
        await store.delete(sha256(Buffer.from('never stored')));
        assert.deepEqual(await store.stat(keep), { size: 10 });
      });

      it('keeps content and uploads apart: an upload is not content until committed', async () => {
        const bytes = randomBytes(64);
        await store.createUpload('u1');
        await store.appendUpload('u1', 0, chunksOf(bytes));
        await assert.rejects(store.stat(sha256(bytes)), NotFoundError);
        await store.commitUpload('u1', sha256(bytes));
        await store.createUpload('u2');
        assert.equal(await store.uploadSize('u2'), 0);
        assert.deepEqual(await store.stat(sha256(bytes)), { size: 64 });
      });
    });
  });
}
