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
import { buildMetricsServer } from './http/routes/metrics-routes.js';
import { blobSendCounts } from './http/send-blob.js';
import { sendfileAddon } from './http/native-sendfile.js';
import type { MetadataStore } from './metadata/metadata-store.js';
import { migratePostgresDatabase, openPostgresMetadataStore } from './metadata/open-postgres.js';
import { migrateSqliteFile, openSqliteMetadataStore } from './metadata/open-sqlite.js';
import { AdminAudit } from './auth/admin/admin-actor.js';
import { OutboxDispatcher } from './events/outbox-dispatcher.js';
import { artifactFactsBackfill } from './features/artifact-facts/artifact-facts-backfill.js';
import { auditRetention } from './features/audit-retention/audit-retention.js';
import { auditTrail, auditTrailConsumer } from './features/audit-trail/audit-trail.js';
import type { Feature } from './features/feature.js';
import { immutableTags } from './features/immutable-tags/immutable-tags.js';
import { quarantine } from './features/quarantine/quarantine.js';
import type { SbomRegistry } from './features/scanning/sbom-attachment.js';
import { scanning } from './features/scanning/scanning.js';
import { trust } from './features/trust/trust.js';
import { ProjectVulnerabilityService } from './features/scanning/project-vulnerabilities.js';
import { uploadExpiry } from './features/upload-expiry/upload-expiry.js';
import { usage } from './features/usage/usage.js';
import { webhooks } from './features/webhooks/webhooks.js';
import { ArtifactInspector } from './insight/artifact-inspector.js';
import { InsightService } from './insight/insight-service.js';
import { ProjectScopes } from './insight/project-scope.js';
import { JobRunner, nodeName } from './jobs/job-runner.js';
import { RequestActivity } from './jobs/request-activity.js';
import { RegistryMetrics } from './metrics/registry-metrics.js';
import { HealthService } from './ops/health-service.js';
import { ArtifactFactsCollector } from './registry/artifact-facts-collector.js';
import { BlobService } from './registry/blob-service.js';
import { ListingService } from './registry/listing-service.js';
import { ManifestService } from './registry/manifest-service.js';
import { PolicyPoint, type RefusalRecord } from './registry/policy-point.js';
import { PullRecorder } from './registry/pull-recorder.js';
import type { RegistryPolicy } from './registry/registry-policy.js';
import { UploadService } from './registry/upload-service.js';
import type { BlobStore } from './storage/blob-store.js';
import { FilesystemBlobStore } from './storage/filesystem/filesystem-blob-store.js';

export interface Berth {
  readonly server: FastifyInstance;
  readonly config: Readonly<BerthConfig>;
  readonly log: Logger;
  /** Access control: its store, policy, tokens and audit log (for tests and embedding). */
  readonly access: AccessControl;
  /**
   * Starts listening; resolves to the address actually bound (port 0 picks a free one), and that of the metrics'
   * own listener when metrics.listen is set.
   */
  listen(): Promise<{ host: string; port: number; metrics?: { host: string; port: number } }>;
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
  const adminAudit = new AdminAudit(access.audit);
  const policies = new PolicyPoint([projectCreation(access)], (record) => access.audit.record(refusalAudit(record)));
  const facts = new ArtifactFactsCollector((digest) => store.read(digest), () => metadata.insight());
  const uploads = new UploadService(store, metadata, { blobMaxBytes: config.limits.blobMaxBytes }, policies);

  // Every capability built on the registry's seams, in one list: its policies, outbox consumers and jobs.
  const quarantines = quarantine(metadata, access.policy, adminAudit, () => access.audit.settle());
  const immutable = immutableTags(metadata, access.policy, adminAudit);
  // Deliveries go through the job runner built below; the closure is first called once it runs.
  const hooks = webhooks(metadata, access.policy, adminAudit, {
    ...config.webhooks, externalUrl: config.externalUrl, enqueue: (job) => jobs.enqueue(job), log: logger.child({ component: 'webhooks' }),
  });
  // Where this node listens, once it does: the registry URL external scanners get when none is configured.
  let listeningUrl: string | undefined;
  const scopes = new ProjectScopes(access, () => metadata.changeVersion());
  // How busy the node is serving requests: scans and SBOM pushes give way to bursts (the job runner, and scans as they read).
  const activity = new RequestActivity();
  const scans = config.scanning.enabled ? scanning(metadata, {
    onPush: config.scanning.onPush,
    maxUncompressedBytes: config.scanning.maxUncompressedBytes,
    feed: { location: config.scanning.feed, refreshMinutes: config.scanning.feedRefreshMinutes, timeoutSeconds: config.scanning.feedTimeoutSeconds },
    readBlob: (digest) => store.read(digest),
    access: {
      mayRead: (principal, repository) => scopes.mayRead(principal, repository),
      // With access control off anyone may push (as /v2/ lets them), so anyone may ask for a scan.
      mayPush: async (principal, repository) => !access.enabled || (await access.policy.actions(principal, repository)).has('push'),
    },
    enqueue: (job) => jobs.enqueue(job), enqueueAll: (queued) => jobs.enqueueAll(queued), busy: () => activity.busy(), log: logger.child({ component: 'scanning' }), policy: access.policy, audit: adminAudit,
    // SBOMs are pushed through the registry core like a client's push; its services are built below, used once jobs run.
    sbom: { ...config.scanning.sbom, registry: (): SbomRegistry => ({ uploads, manifests: services.manifests }) },
    external: {
      scanners: config.scanning.external.map((scanner) => ({ ...scanner, authorization: scanner.authorization })),
      registryUrl: () => config.scanning.registryUrl ?? config.externalUrl ?? listeningUrl,
      // A token only Berth issues: pull on that one repository, for the scanner named, about as long as its scan may take.
      pullToken: async (subject, repository, seconds) => (await access.tokens.issue({ kind: 'system', name: subject },
        [{ type: 'repository', name: repository, actions: ['pull'] }], Date.now(), seconds)).token,
    },
  }) : undefined;
  const signatures = trust(metadata, {
    readBlob: (digest) => store.read(digest),
    mayRead: (principal, repository) => scopes.mayRead(principal, repository),
    // Who may push reads unsigned manifests (to sign them). With access control off there is nobody to tell apart:
    // enforce then holds for every pull, and images are signed while the mode is audit.
    mayPush: async (principal, repository) => access.enabled && (await access.policy.actions(principal, repository)).has('push'),
    access: access.policy, audit: adminAudit, log: logger.child({ component: 'trust' }),
  });
  const sweepIntervalMs = config.uploads.sweepIntervalSeconds * 1000;
  // Other nodes may share the blob store (S3, or a folder with PostgreSQL): their in-flight pushes are not orphans.
  const sharedStore = config.storage.s3.bucket !== undefined || config.database.url !== undefined;
  const features: Feature[] = [
    uploadExpiry(uploads, {
      expireAfterMs: config.uploads.expireAfterSeconds * 1000, everyMs: sweepIntervalMs,
      orphanGraceMs: sharedStore ? orphanGraceOnSharedStoreMs : 0, log: logger.child({ component: 'upload-expiry' }),
    }),
    auditRetention(access.store, { keepDays: config.audit.keepDays, log: logger.child({ component: 'audit-retention' }) }),
    auditTrail(access.audit),
    quarantines,
    immutable,
    hooks,
    usage(() => metadata.insight()),
    artifactFactsBackfill(metadata, facts, logger.child({ component: 'artifact-facts' })),
    ...(scans ? [scans] : []),
    signatures,
  ];

  policies.add(features.flatMap((feature) => feature.policies ?? []));
  const pulls = new PullRecorder(metadata.outbox(), logger.child({ component: 'pulls' }));
  const node = nodeName();
  const dispatcher = new OutboxDispatcher(metadata.outbox(), features.flatMap((feature) => feature.consumers ?? []),
    node, logger.child({ component: 'outbox' }));
  const jobs = new JobRunner(metadata, [...features.flatMap((feature) => feature.jobs ?? []), dispatcher.trimJob],
    logger.child({ component: 'jobs' }), { pollMs: Math.min(5_000, sweepIntervalMs), owner: node, activity });
  // An audit query sees every registry action recorded before it: pulls still gathering, events not yet consumed.
  access.audit.catchUpWith(async () => {
    await pulls.flush();
    await dispatcher.catchUp(auditTrailConsumer);
  });

  // Prometheus metrics: plain numbers counted where things happen, read from these sources when scraped.
  const metrics = config.metrics.enabled ? new RegistryMetrics({
    uploads, blobBytesSent: () => blobSendCounts.bytes, metadata, outbox: metadata.outbox(),
    consumers: features.flatMap((feature) => feature.consumers ?? []).map((consumer) => consumer.name),
    jobKinds: [...features.flatMap((feature) => feature.jobs ?? []), dispatcher.trimJob].map((job) => job.kind),
    webhookDeliveries: hooks.deliveries, log: logger.child({ component: 'metrics' }),
    scans: scans && { tally: scans.service.tally, store: () => metadata.scans(), external: scans.service.external?.scanners.all },
    trust: signatures.tally,
  }) : undefined;
  const services = {
    activity,
    blobs: new BlobService(store, metadata, config.delete.enabled, policies, pulls, config.storage.s3.redirectSeconds),
    uploads,
    manifests: new ManifestService(metadata, {
      maxBytes: config.limits.manifestMaxBytes, deleteEnabled: config.delete.enabled, allowSparseIndexes: config.manifests.allowSparseIndexes,
    }, policies, pulls, facts),
    listings: new ListingService(metadata, { catalogDefault: config.catalog.defaultPageSize, max: config.catalog.maxPageSize }),
    health: new HealthService(store, metadata),
    access,
    policies,
    admin: new AdminService(access),
    quarantines: quarantines.service,
    immutableTags: immutable.service,
    webhooks: hooks.service,
    insight: new InsightService(() => metadata.insight(), scopes, () => metadata.changeVersion()),
    inspector: new ArtifactInspector(metadata, (digest) => store.read(digest), scopes),
    scans: scans?.service,
    trust: signatures.service,
    vulnerabilityPolicies: scans?.policyService,
    projectVulnerabilities: scans && new ProjectVulnerabilityService(metadata, {
      mayRead: async (principal, project) => {
        const scope = await scopes.of(principal);
        return scope === 'all' || scope.includes(project);
      },
      exists: (project) => scopes.projectExists(project),
    }),
    externalUrl: config.externalUrl,
    metrics: metrics && {
      metrics, path: config.metrics.path, public: config.metrics.public, ownListener: config.metrics.listen !== undefined,
    },
    // Discovery waits for the first sign-in, so Berth starts while the provider is down.
    oidc: config.auth.oidc && await openOidc(config.auth.oidc, {
      store: access.store, tokens: access.tokens, audit: access.audit,
      adminGroup: config.auth.oidc.adminGroup, providerName: config.auth.oidc.displayName, log: logger.child({ component: 'oidc' }),
    }),
  };
  for (const feature of features) await feature.start?.();
  await jobs.start();
  await dispatcher.start();

  const server = buildServer(services, {
    log: logger,
    tls: config.tls.cert && config.tls.key ? { cert: config.tls.cert, key: config.tls.key } : undefined,
    trustProxy: config.trustProxy,
  });
  const metricsServer = services.metrics?.ownListener ? buildMetricsServer(services.metrics, logger.child({ component: 'metrics' })) : undefined;

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
      listeningUrl = `${tls ? 'https' : 'http'}://${urlHost(host)}:${bound}`;
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
      if (metricsServer && config.metrics.listen !== undefined) {
        const metricsAt = splitListen(config.metrics.listen);
        await metricsServer.listen(metricsAt);
        const metricsAddress = metricsServer.server.address();
        const metricsPort = typeof metricsAddress === 'object' && metricsAddress !== null ? metricsAddress.port : metricsAt.port;
        logger.info({ host: metricsAt.host, port: metricsPort, path: config.metrics.path }, 'metrics listening, without authentication');
        return { host, port: bound, metrics: { host: metricsAt.host, port: metricsPort } };
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
        await metricsServer?.close();
        await pulls.flush();
        await dispatcher.stop();
        await jobs.stop();
        for (const feature of features) await feature.stop?.();
        await access.close();
        await metadata.close();
        await store.close();
      }
    },
  };
}

/**
 * How old an upload without a session must be before a node's start-up removes it from a store other nodes share:
 * long enough that no other node is still streaming a monolithic push into it.
 */
const orphanGraceOnSharedStoreMs = 60 * 60 * 1000;

/**
 * Project creation on first push, at the registry's policy point: an administrator's (or, without access control,
 * anyone's) first write to a project that does not exist creates it, private.
 */
function projectCreation(access: AccessControl): RegistryPolicy {
  return { name: 'projects', beforeWrite: (context, repository) => access.beforePush(context.principal, repository) };
}

/** A policy's refusal, as the audit log records it. */
function refusalAudit(record: RefusalRecord): Parameters<AccessControl['audit']['record']>[0] {
  const { context, refusal } = record;
  return {
    at: Date.now(), actor: context.origin.actor, actorKind: context.origin.actorKind, action: record.action,
    repository: record.repository, digest: record.digest, tag: record.tag, address: context.origin.address, outcome: 'denied',
    detail: { rule: refusal.rule, reason: refusal.message },
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
  const tokens = TokenService.open(store, { issuer: 'berth', service: config.auth.service, ttlSeconds: config.auth.tokenTtlSeconds });
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

/** A listen host as a URL's host: the unspecified addresses as loopback (an adapter on this host reaches that), IPv6 in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
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
