import { resolve, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { BerthConfig } from './config/config-schema.js';
import { buildServer } from './http/build-server.js';
import { sendfileAddon } from './http/native-sendfile.js';
import type { MetadataStore } from './metadata/metadata-store.js';
import { migratePostgresDatabase, openPostgresMetadataStore } from './metadata/open-postgres.js';
import { migrateSqliteFile, openSqliteMetadataStore } from './metadata/open-sqlite.js';
import { BlobService } from './registry/blob-service.js';
import { HealthService } from './registry/health-service.js';
import { ListingService } from './registry/listing-service.js';
import { ManifestService } from './registry/manifest-service.js';
import { UploadService } from './registry/upload-service.js';
import { JobRunner } from './registry/job-runner.js';
import { UploadSweeper, uploadSweepKind } from './registry/upload-sweeper.js';
import type { BlobStore } from './storage/blob-store.js';
import { FilesystemBlobStore } from './storage/filesystem/filesystem-blob-store.js';

export interface Berth {
  readonly server: FastifyInstance;
  readonly config: Readonly<BerthConfig>;
  readonly log: Logger;
  /** Starts listening; resolves to the address actually bound (port 0 picks a free one). */
  listen(): Promise<{ host: string; port: number }>;
  /** Lets in-flight requests finish (up to the grace period), then closes the database. */
  close(): Promise<void>;
}

/**
 * The composition root: the one place that reads configuration and constructs backends and services. Everything
 * else receives what it needs.
 */
export async function createBerth(config: Readonly<BerthConfig>, log?: Logger): Promise<Berth> {
  const logger = log ?? pino({ level: config.log.level, base: { service: 'berth' } });
  const dataDir = resolve(config.dataDir);

  const store = await openBlobStore(config, dataDir);
  const metadata = await openMetadataStore(config, dataDir, logger);

  const uploads = new UploadService(store, metadata, { blobMaxBytes: config.limits.blobMaxBytes });
  const services = {
    blobs: new BlobService(store, metadata, config.delete.enabled, config.storage.s3.redirectSeconds),
    uploads,
    manifests: new ManifestService(metadata, config.limits.manifestMaxBytes, config.delete.enabled),
    listings: new ListingService(metadata, { catalogDefault: config.catalog.defaultPageSize, max: config.catalog.maxPageSize }),
    health: new HealthService(store, metadata),
  };
  const sweepIntervalMs = config.uploads.sweepIntervalSeconds * 1000;
  // Other nodes may share the blob store (S3, or a folder with PostgreSQL): their in-flight pushes are not orphans.
  const sharedStore = config.storage.s3.bucket !== undefined || config.database.url !== undefined;
  const sweeper = new UploadSweeper(uploads, metadata, config.uploads.expireAfterSeconds * 1000, sweepIntervalMs,
    logger.child({ component: 'upload-sweeper' }), sharedStore ? 60 * 60 * 1000 : 0);
  await sweeper.start();
  const jobs = new JobRunner(metadata, { [uploadSweepKind]: sweeper.runJob }, logger.child({ component: 'jobs' }),
    { pollMs: Math.min(5_000, sweepIntervalMs) });
  jobs.start();

  const server = buildServer(services, {
    log: logger,
    tls: config.tls.cert && config.tls.key ? { cert: config.tls.cert, key: config.tls.key } : undefined,
  });

  return {
    server,
    config,
    log: logger,
    async listen() {
      const { host, port } = splitListen(config.listen);
      await server.listen({ host, port });
      const address = server.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      const tls = Boolean(config.tls.cert);
      const sendfile = sendfileAddon();
      // How blob bodies leave: operators should see when the fast path is off and why.
      const pulls = tls ? 'streamed (TLS)' : sendfile.addon ? 'sendfile' : `streamed (${sendfile.why})`;
      logger.info({
        host, port: bound, dataDir, metadata: config.database.url ? 'postgresql' : 'sqlite', blobs: store.name, tls, pulls,
      }, 'berth listening');
      return { host, port: bound };
    },
    async close() {
      // Balancers asking /readyz see this node leave at once, while its in-flight requests finish.
      services.health.drain();
      // Node closes the connections idle at the moment close() starts; keep-alive connections that finish their
      // request later would hold the shutdown open until their timeout, so idle ones are closed as they appear.
      const reaper = setInterval(() => server.server.closeIdleConnections?.(), 50);
      const grace = setTimeout(() => server.server.closeAllConnections?.(), config.shutdownGraceSeconds * 1000);
      try {
        await server.close();
      } finally {
        clearInterval(reaper);
        clearTimeout(grace);
        await jobs.stop();
        await metadata.close();
        await store.close();
      }
    },
  };
}

function splitListen(listen: string): { host: string; port: number } {
  const separator = listen.lastIndexOf(':');
  return { host: listen.slice(0, separator).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(separator + 1)) };
}

/** PostgreSQL when a database URL is configured (a cluster's shared store), else SQLite under the data folder. */
export async function openMetadataStore(config: Readonly<BerthConfig>, dataDir: string, log: Logger): Promise<MetadataStore> {
  const { url, poolSize, migrate } = config.database;
  if (url !== undefined) {
    return openPostgresMetadataStore({ url, poolSize, migrate }, log.child({ component: 'metadata' }));
  }
  return openSqliteMetadataStore(join(dataDir, 'berth.db'));
}

/** Brings the configured metadata database up to date; the names of the migrations applied now. */
export async function migrateMetadata(config: Readonly<BerthConfig>): Promise<string[]> {
  const { url } = config.database;
  return url !== undefined ? migratePostgresDatabase(url) : migrateSqliteFile(join(resolve(config.dataDir), 'berth.db'));
}

/** S3 when a bucket is configured (a cluster's shared store), else files under the data folder. */
export async function openBlobStore(config: Readonly<BerthConfig>, dataDir: string): Promise<BlobStore> {
  const { s3 } = config.storage;
  if (s3.bucket !== undefined) {
    // Loaded only when used: the AWS SDK is large, and idle memory counts.
    const { openS3BlobStore } = await import('./storage/s3/s3-blob-store.js');
    return openS3BlobStore({ ...s3, bucket: s3.bucket, endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  }
  const store = new FilesystemBlobStore(join(dataDir, 'storage'));
  await store.init();
  return store;
}
