import { z } from 'zod';
import { ldapConfigSchema } from './ldap-config.js';
import { oidcConfigSchema } from './oidc-config.js';

const listenPattern = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/;
/** A plain absolute path: no query, no trailing slash, no "." or ".." segments. */
const metricsPathPattern = /^(\/(?!\.\.?(\/|$))[A-Za-z0-9._~-]+)+$/;
/** Paths the registry's own endpoints answer under. */
const reservedPaths = /^\/(v2|auth|api|healthz|readyz)(\/|$)/;

/**
 * Berth's configuration. Every key has a default, so Berth runs with no configuration at all: data in ./berth-data,
 * listening on 127.0.0.1:5000, no TLS, deletes enabled, uploads expiring after a day.
 */
export const configSchema = z.object({
  /** HOST:PORT to listen on; `[::1]:5000` for IPv6. */
  listen: z.string().regex(listenPattern, 'expected HOST:PORT, for example 127.0.0.1:5000').default('127.0.0.1:5000'),
  /** Folder for blobs, uploads and the SQLite database (the database only when database.url is unset). */
  dataDir: z.string().min(1).default('./berth-data'),
  tls: z.object({
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
  }).strict().default({}).refine((tls) => (tls.cert === undefined) === (tls.key === undefined), {
    message: 'set both tls.cert and tls.key, or neither',
  }),
  database: z.object({
    /**
     * A postgres:// (or postgresql://) URL selects PostgreSQL, shared by every node of a cluster; unset, metadata
     * lives in SQLite under dataDir.
     */
    url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL, for example postgres://berth:secret@db:5432/berth')
      .optional(),
    /** Connections each node keeps to PostgreSQL at most. */
    poolSize: z.number().int().positive().max(1000).default(10),
    /** Whether a node brings the schema up to date when it starts; off, it refuses to start on an old schema. */
    migrate: z.boolean().default(true),
  }).strict().default({}),
  storage: z.object({
    /** S3-compatible object storage for blobs, shared by every node of a cluster; unset, blobs live under dataDir. */
    s3: z.object({
      /** http(s)://host:port of an S3-compatible server (MinIO, Ceph, Swift, ...); unset for AWS itself. */
      endpoint: z.string().url('expected a URL, for example https://s3.example.com:9000').optional(),
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected a bucket name: 3-63 lower-case letters, digits, dots and hyphens').optional(),
      region: z.string().min(1).default('us-east-1'),
      /** Unset: the AWS SDK's usual chain (AWS_* environment, shared files, instance roles). */
      accessKeyId: z.string().min(1).optional(),
      secretAccessKey: z.string().min(1).optional(),
      /** Bucket in the path rather than the host name; most S3-compatible servers need it. */
      forcePathStyle: z.boolean().default(false),
      /** Keys start with this (for example "berth/"), so one bucket can hold other things too. */
      prefix: z.string().default(''),
      /** Request checksums: only where an operation requires them (what S3-compatible servers accept), or always. */
      checksums: z.enum(['when_required', 'when_supported']).default('when_required'),
      /** Create the bucket at start-up when it does not exist. */
      createBucket: z.boolean().default(false),
      /**
       * Answer blob GETs with a 307 to a presigned URL valid this many seconds, so bytes go from the object store
       * straight to the client; 0 streams them through the node. Clients must be able to reach the endpoint.
       */
      redirectSeconds: z.number().int().nonnegative().max(7 * 24 * 3600).default(0),
    }).strict().default({})
      .refine((s3) => s3.endpoint === undefined || s3.bucket !== undefined, {
        message: 'an S3 endpoint needs a bucket: set storage.s3.bucket (BERTH_S3_BUCKET)',
      })
      .refine((s3) => (s3.accessKeyId === undefined) === (s3.secretAccessKey === undefined), {
        message: 'set both storage.s3.accessKeyId and storage.s3.secretAccessKey, or neither (to use the AWS SDK\'s usual chain)',
      }),
  }).strict().default({}),
  /**
   * Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or CIDRs, comma-separated, or true for
   * any. Without it, the audit log and brute-force limits would see the balancer's address for every client.
   */
  trustProxy: z.union([z.boolean(), z.string().min(1)]).default(false),
  /**
   * The address clients reach Berth at (https://registry.example.com), when a proxy or balancer stands in front: the
   * token realm in challenges and the OpenID Connect callback are built from it. Unset, from each request's Host.
   */
  externalUrl: z.string().url('expected a URL, for example https://registry.example.com').optional(),
  auth: z.object({
    /**
     * The first administrator's password, used when the user "admin" is created on the first start. Setting it (or
     * LDAP, OIDC or `enabled`) turns access control on.
     */
    adminPassword: z.string().min(8, 'the administrator password needs at least 8 characters').optional(),
    /** Turns access control on without an admin password: one is generated and printed once at the first start. */
    enabled: z.boolean().default(false),
    /**
     * Serve without access control on a non-loopback address. Anyone who can reach it can then push, pull and
     * delete; only for networks where that is intended.
     */
    allowOpen: z.boolean().default(false),
    /** An administrator's first push to a project that does not exist creates it, as a private project. */
    createProjectsOnPush: z.boolean().default(true),
    /** The `service` of token challenges and the audience of tokens. */
    service: z.string().min(1).default('berth'),
    /** Lifetime of the bearer tokens the token endpoint issues. */
    tokenTtlSeconds: z.number().int().min(30).max(24 * 3600).default(300),
    lockout: z.object({
      /** Failed logins per account within the window before that account's logins are refused until it ends. */
      maxFailuresPerAccount: z.number().int().positive().default(10),
      /** Failed logins from one address within the window before its logins are refused until it ends. */
      maxFailuresPerAddress: z.number().int().positive().default(50),
      windowSeconds: z.number().int().positive().default(15 * 60),
    }).strict().default({}),
    ldap: ldapConfigSchema.optional(),
    /** Members of this LDAP group (its DN) are system administrators. */
    ldapAdminGroup: z.string().min(1).optional(),
    oidc: oidcConfigSchema.optional(),
  }).strict().default({}),
  audit: z.object({
    /** Audit events older than this many days are deleted, once a day; 0 keeps them forever. */
    keepDays: z.number().int().nonnegative().default(365),
  }).strict().default({}),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).strict().default({}),
  limits: z.object({
    /** The spec expects registries to take manifests of at least 4 MiB; larger ones are refused unread. */
    manifestMaxBytes: z.number().int().positive().default(4 * 1024 * 1024),
    /** Largest blob accepted, in bytes; 0 means no limit beyond the disk. */
    blobMaxBytes: z.number().int().nonnegative().default(0),
  }).strict().default({}),
  uploads: z.object({
    /** An upload session untouched for this long is abandoned: its session and bytes are removed. */
    expireAfterSeconds: z.number().int().positive().default(24 * 60 * 60),
    /** How often expired sessions are swept. */
    sweepIntervalSeconds: z.number().int().positive().default(10 * 60),
  }).strict().default({}),
  manifests: z.object({
    /**
     * Accept an index whose child manifests are not all in the repository, for mirrors that copy some platforms
     * only (Distribution 3's validation.manifests.indexes.platforms). Blobs a manifest names must still be there.
     */
    allowSparseIndexes: z.boolean().default(false),
  }).strict().default({}),
  delete: z.object({
    /** Whether manifests, tags and blobs may be deleted through the API. */
    enabled: z.boolean().default(true),
  }).strict().default({}),
  catalog: z.object({
    /** Page size of `_catalog` when the client gives no `n`. */
    defaultPageSize: z.number().int().positive().default(1000),
    /** Largest page served for `_catalog` and `tags/list`; larger `n` is cut to this and a Link header is sent. */
    maxPageSize: z.number().int().positive().default(100_000),
  }).strict().default({}),
  webhooks: z.object({
    /**
     * Send webhooks to loopback, private, link-local and other non-public addresses too. Off, a project administrator
     * cannot make Berth call services inside its own network (cloud metadata, databases, the node itself).
     */
    allowPrivateTargets: z.boolean().default(false),
    /** How long one delivery attempt may take, answer included. */
    timeoutSeconds: z.number().positive().max(300).default(10),
    /** Attempts per delivery before it is given up (the first included). */
    maxAttempts: z.number().int().min(1).max(50).default(8),
    /** The wait after the first failed attempt; it doubles after each next one, up to an hour. */
    retryBaseSeconds: z.number().positive().max(3600).default(5),
    /** Delivered and failed deliveries are deleted from the delivery log after this many days; 0 keeps them. */
    keepDeliveriesDays: z.number().int().nonnegative().default(30),
  }).strict().default({}),
  metrics: z.object({
    /** Serve Prometheus metrics (requests, bytes, pushes and pulls, caches, queues, the process). */
    enabled: z.boolean().default(true),
    /** The path they are served at. */
    path: z.string().regex(metricsPathPattern, 'expected a path such as /metrics: letters, digits, ".", "_", "~", "-" between slashes')
      .refine((path) => !reservedPaths.test(path),
        'this path belongs to the registry\'s own endpoints (/v2, /auth, /api, /healthz, /readyz): choose another, such as /metrics')
      .default('/metrics'),
    /**
     * HOST:PORT of a listener of their own, serving only the metrics path and without authentication: for an internal
     * address that only the monitoring system reaches. Set, the main listener no longer serves them.
     */
    listen: z.string().regex(listenPattern, 'expected HOST:PORT, for example 127.0.0.1:9090').optional(),
    /** On the main listener with access control on, serve them to anyone rather than to system administrators only. */
    public: z.boolean().default(false),
  }).strict().default({}),
  scanning: z.object({
    /** Scan images for vulnerable packages: each image's inventory is read once, then matched as advisories change. */
    enabled: z.boolean().default(true),
    /** Scan every image when it is pushed (otherwise on demand only). */
    onPush: z.boolean().default(true),
    /**
     * Where OSV advisories are read from: an http(s) URL laid out as OSV's bucket (`<Ecosystem>/all.zip`, optional
     * `<Ecosystem>/modified_id.csv`, `<Ecosystem>/<id>.json`), or a local folder laid out the same way or holding OSV
     * JSON records (in subfolders or not), for air-gapped installations.
     */
    feed: z.string().min(1).default('https://storage.googleapis.com/osv-vulnerabilities'),
    /** How often the feed is refreshed, by one node of the cluster. */
    feedRefreshMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
    /** Seconds one feed download may take. */
    feedTimeoutSeconds: z.number().int().min(1).max(3600).default(300),
    /**
     * Bytes one image's layers may inflate to before its scan stops as failed (layers are streamed, so this bounds
     * the time a decompression bomb can take, not memory). The largest real images hold about 20 GiB.
     */
    maxUncompressedBytes: z.number().int().min(1024 * 1024).default(32 * 1024 ** 3),
    /** Each scanned image's inventory as an SBOM, attached to the image as an OCI referrer (what `oras discover` lists). */
    sbom: z.object({
      /** Attach it in every repository holding the image, replacing the SBOM Berth attached before. */
      attach: z.boolean().default(true),
      /** CycloneDX 1.6 JSON (`application/vnd.cyclonedx+json`) or SPDX 2.3 JSON (`application/spdx+json`). */
      format: z.enum(['cyclonedx', 'spdx']).default('cyclonedx'),
    }).strict().default({}),
    /**
     * Scanners that speak Harbor's Pluggable Scanner API (a Trivy or Clair adapter), asked to scan each image with a
     * short-lived pull token: `instead` of the built-in scanner (their reports are the reports), or `beside` it (the
     * findings of all are kept, each tagged with its scanner).
     */
    external: z.array(z.object({
      /** The scanner's name in reports, metrics and the pull token's subject (`scanner:<name>`). */
      name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected a short name: lower-case letters, digits, ".", "_", "-"')
        .refine((name) => name !== 'berth', 'berth is the built-in scanner\'s name: choose another'),
      /** The adapter's base URL (its API is under /api/v1). */
      url: z.string().url('expected the adapter\'s URL, for example http://trivy-adapter:8080').refine((url) => /^https?:\/\//.test(url), 'expected an http(s) URL'),
      /** Sent to the adapter as the Authorization header (`Bearer …`, `Basic …`), when it asks for one. */
      authorization: z.string().min(1).optional(),
      use: z.enum(['instead', 'beside']).default('beside'),
      /** Seconds one scan may take, from the request to the report; the pull token lives about as long. */
      timeoutSeconds: z.number().int().min(1).max(24 * 3600).default(600),
    }).strict()).default([])
      .refine((scanners) => new Set(scanners.map((scanner) => scanner.name)).size === scanners.length, 'each external scanner needs a name of its own'),
    /**
     * The registry's URL as external scanners reach it (they pull the image from its /v2/). Unset: externalUrl, else
     * the address Berth listens on (right only when the adapter runs on the same host).
     */
    registryUrl: z.string().url('expected a URL, for example https://registry.example.com').optional(),
  }).strict().default({}),
  /** Seconds in-flight requests get to finish on shutdown before connections are closed. */
  shutdownGraceSeconds: z.number().int().nonnegative().default(30),
}).strict();

export type BerthConfig = z.infer<typeof configSchema>;
export type BerthConfigInput = z.input<typeof configSchema>;
