import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startPostgres, type PostgresServer } from '../../test/support/postgres.js';
import { startSwift, type S3Server } from '../../test/support/swift.js';

/**
 * The shared backends of a cluster, for `--backends s3`: a real S3 server (OpenStack Swift's S3 API) for both
 * registries' blobs and a real PostgreSQL for Berth's metadata, started once for the run by the same code the
 * tests use (test/support/). Each registry start gets a fresh bucket (and Berth a fresh database).
 */
export interface ObjectStorageBackends {
  readonly s3: S3Server;
  readonly postgres: PostgresServer;
  newBucket(prefix: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startObjectStorageBackends(): Promise<ObjectStorageBackends> {
  const [s3, postgres] = await Promise.all([startSwift(), startPostgres()]);
  const client = new S3Client({
    endpoint: s3.endpoint, region: s3.region, forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  let buckets = 0;
  return {
    s3,
    postgres,
    async newBucket(prefix) {
      const bucket = `${prefix}-${process.pid}-${++buckets}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async stop() {
      client.destroy();
      await Promise.all([s3.stop(), postgres.stop()]);
    },
  };
}
