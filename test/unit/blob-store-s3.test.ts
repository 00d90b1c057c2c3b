import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { openS3BlobStore } from '../../src/storage/s3/s3-blob-store.js';
import { blobStoreSuite } from '../suites/blob-store.suite.js';
import { startSwift, type S3Server } from '../support/swift.js';

/*
 * The shared blob store contract on a real S3 server (OpenStack Swift's S3 API, started by the test), through the
 * AWS SDK: each test gets a fresh key prefix in one bucket.
 */
let server: Promise<S3Server> | undefined;
const running = (): Promise<S3Server> => (server ??= startSwift());

blobStoreSuite('S3 (OpenStack Swift)', async () => {
  const s3 = await running();
  const store = await openS3BlobStore({
    endpoint: s3.endpoint, region: s3.region, bucket: 'berth-suite', accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey, forcePathStyle: true, prefix: `${randomUUID()}/`, checksums: 'when_required',
    createBucket: true,
  });
  return { store, dispose: () => store.close() };
});

after(async () => { await (await server)?.stop(); });
