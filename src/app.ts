import { resolve, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { AccessControl } from './auth/access-control.js';
import { AccessPolicy } from './auth/access-policy.js';
import { AdminService } from './auth/admin/admin-service.js';
import { AuditLog } from './auth/audit-log.js';
import { Authenticator } from './auth/authenticator.js';
import { bootstrapAdmin } from './auth/bootstrap-admin.js';
import { LoginThrottle } from './auth/login-throttle.js';
import type { OidcLoginService } from './auth/oidc-login-service.js';
import { TokenService } from './auth/token-service.js';
import type { BerthConfig } from './config/config-schema.js';
import { OperatorError } from './errors/operator-error.js';
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
import { AuditRetention, auditPurgeKind } from './registry/audit-retention.js';
import type { BlobStore } from './storage/blob-store.js';
import { FilesystemBlobStore } from './storage/filesystem/filesystem-blob-store.js';

export interface Berth {
  readonly server: FastifyInstance;
  readonly config: Readonly<BerthConfig>;
  readonly log: Logger;
  /** Access control: its store, policy, tokens and audit log (for tests and embedding). */
  readonly access: AccessControl;
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

  const access = await openAccessControl(config, metadata, logger);

  const uploads = new UploadService(store, metadata, { blobMaxBytes: config.limits.blobMaxBytes });
  const services = {
    blobs: new BlobService(store, metadata, config.delete.enabled, config.storage.s3.redirectSeconds),
    uploads,
    manifests: new ManifestService(metadata, config.limits.manifestMaxBytes, config.delete.enabled),
    listings: new ListingService(metadata, { catalogDefault: config.catalog.defaultPageSize, max: config.catalog.maxPageSize }),
    health: new HealthService(store, metadata),
    access,
    admin: new AdminService(access),
    externalUrl: config.externalUrl,
    // Discovery waits for the first sign-in, so Berth starts while the provider is down.
    oidc: config.auth.oidc && await openOidc(config.auth.oidc, {
      store: access.store, tokens: access.tokens, audit: access.audit,
      adminGroup: config.auth.oidc.adminGroup, providerName: config.auth.oidc.displayName, log: logger.child({ component: 'oidc' }),
    }),
  };
  const sweepIntervalMs = config.uploads.sweepIntervalSeconds * 1000;
  // Other nodes may share the blob store (S3, or a folder with PostgreSQL): their in-flight pushes are not orphans.
  const sharedStore = config.storage.s3.bucket !== undefined || config.database.url !== undefined;
  const sweeper = new UploadSweeper(uploads, metadata, config.uploads.expireAfterSeconds * 1000, sweepIntervalMs,
    logger.child({ component: 'upload-sweeper' }), sharedStore ? 60 * 60 * 1000 : 0);
  await sweeper.start();
  const auditRetention = new AuditRetention(metadata, config.audit.keepDays, logger.child({ component: 'audit-retention' }));
  await auditRetention.start();
  const jobs = new JobRunner(metadata, { [uploadSweepKind]: sweeper.runJob, [auditPurgeKind]: auditRetention.runJob }, logger.child({ component: 'jobs' }),
    { pollMs: Math.min(5_000, sweepIntervalMs) });
  jobs.start();

  const server = buildServer(services, {
    log: logger,
    tls: config.tls.cert && config.tls.key ? { cert: config.tls.cert, key: config.tls.key } : undefined,
    trustProxy: config.trustProxy,
  });

  return {
    server,
    config,
    log: logger,
    access,
    async listen() {
      const { host, port } = splitListen(config.listen);
      refuseOpenOutsideLoopback(host, access.enabled, config.auth.allowOpen);
      await server.listen({ host, port });
      const address = server.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      const tls = Boolean(config.tls.cert);
      const sendfile = sendfileAddon();
      // How blob bodies leave: operators should see when the fast path is off and why.
      const pulls = tls ? 'streamed (TLS)' : sendfile.addon ? 'sendfile' : `streamed (${sendfile.why})`;
      logger.info({
        host, port: bound, dataDir, metadata: config.database.url ? 'postgresql' : 'sqlite', blobs: store.name, tls, pulls,
        access: access.enabled ? 'on' : 'open',
      }, 'berth listening');
      if (!access.enabled) {
        logger.warn('access control is off: anyone who reaches this address may push, pull and delete; set BERTH_ADMIN_PASSWORD to turn it on');
      }
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
        await access.close();
        await metadata.close();
        await store.close();
      }
    },
  };
}

/** Whether access control is on: an administrator password, a directory or identity provider, or asked for. */
export function accessControlEnabled(config: Readonly<BerthConfig>): boolean {
  const { auth } = config;
  return auth.enabled || auth.adminPassword !== undefined || auth.ldap !== undefined || auth.oidc !== undefined;
}

async function openAccessControl(config: Readonly<BerthConfig>, metadata: MetadataStore, logger: Logger): Promise<AccessControl> {
  const store = metadata.access();
  const changeVersion = () => metadata.changeVersion();
  const enabled = accessControlEnabled(config);
  const log = logger.child({ component: 'access' });
  const audit = new AuditLog(store, logger.child({ component: 'audit' }));
  const authenticator = new Authenticator(store, {
    // Loaded only when configured, as the OIDC client is: idle memory counts, and most registries use neither.
    directory: config.auth.ldap ? new (await import('./auth/ldap-directory.js')).LdapDirectory(config.auth.ldap) : undefined,
    directoryAdminGroup: config.auth.ldapAdminGroup,
    audit,
    throttle: new LoginThrottle(store, config.auth.lockout),
    changeVersion,
    log,
  });
  const policy = new AccessPolicy(store, changeVersion, { createProjectsOnPush: config.auth.createProjectsOnPush });
  const tokens = await TokenService.open(store, { issuer: 'berth', service: config.auth.service, ttlSeconds: config.auth.tokenTtlSeconds });
  if (enabled) await bootstrapAdmin(store, config.auth.adminPassword, log);
  return new AccessControl({ enabled, store, policy, authenticator, tokens, audit, log, changeVersion });
}

async function openOidc(config: NonNullable<BerthConfig['auth']['oidc']>,
  parts: Omit<ConstructorParameters<typeof OidcLoginService>[0], 'client'>): Promise<OidcLoginService> {
  const [{ OidcClient }, { OidcLoginService: Service }] = await Promise.all([
    import('./auth/oidc-client.js'), import('./auth/oidc-login-service.js'),
  ]);
  return new Service({ client: new OidcClient(config), ...parts });
}

/**
 * Secure by default: without access control, Berth serves only this machine unless told that an open registry on
 * the network is intended.
 */
function refuseOpenOutsideLoopback(host: string, accessEnabled: boolean, allowOpen: boolean): void {
  if (accessEnabled || allowOpen || isLoopback(host)) return;
  throw new OperatorError(`refusing to listen on ${host} without access control: anyone who can reach it could push, pull and delete. `
    + 'Set BERTH_ADMIN_PASSWORD (or auth.adminPassword, auth.ldap or auth.oidc in the configuration) to turn access control on, '
    + 'listen on 127.0.0.1, or set BERTH_ALLOW_OPEN=true (auth.allowOpen) if an open registry is intended');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
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
