import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConflictError, NotFoundError } from '../../src/errors/backend-errors.js';
import { openS3BlobStore } from '../../src/storage/s3/s3-blob-store.js';
import { blobStoreSuite } from '../suites/blob-store.suite.js';
import { startSwift, type S3Server } from '../support/swift.js';

/*
 * The shared blob store contract on a real S3 server (OpenStack Swift's S3 API, started by the test), through the
 * AWS SDK: each test gets a fresh key prefix in one bucket.
 */
let server: Promise<S3Server> | undefined;
const running = (): Promise<S3Server> => (server ??= startSwift());

const open = async () => {
  const s3 = await running();
  return openS3BlobStore({
    endpoint: s3.endpoint, region: s3.region, bucket: 'berth-suite', accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey, forcePathStyle: true, prefix: `${randomUUID()}/`, checksums: 'when_required',
    createBucket: true,
  });
};

blobStoreSuite('S3 (OpenStack Swift)', async () => {
  const store = await open();
  return { store, dispose: () => store.close() };
});

describe('S3 store: two writers at once', { timeout: 60_000 }, () => {
  it('keeps both chunks two nodes appended at one offset, and refuses the upload instead of picking one', async () => {
    const store = await open();
    try {
      await store.createUpload('u1');
      // Both pass the offset check before either writes, as two nodes taking concurrent PATCHes can: the store
      // reads a source only after its check, so each source waits until both have been asked for bytes.
      let asked = 0;
      let bothAsked: () => void = () => undefined;
      const barrier = new Promise<void>((resolve) => { bothAsked = resolve; });
      const writer = async function* (text: string) {
        if (++asked === 2) bothAsked();
        await barrier;
        yield Buffer.from(text);
      };
      const results = await Promise.all([
        store.appendUpload('u1', 0, writer('first writer')),
        store.appendUpload('u1', 0, writer('second writer!')),
      ]);
      assert.deepEqual(results.sort(), [12, 14]);
      await assert.rejects(store.uploadSize('u1'), (error: Error) => error instanceof ConflictError && /appended to twice at byte 0/.test(error.message));
      await assert.rejects(store.commitUpload('u1', `sha256:${'0'.repeat(64)}`), ConflictError);
      await store.deleteUpload('u1');
      await assert.rejects(store.uploadSize('u1'), NotFoundError);
    } finally {
      await store.close();
    }
  });
});

after(async () => { await (await server)?.stop(); });
