import { z } from 'zod';

const listenPattern = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/;

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
  /** Seconds in-flight requests get to finish on shutdown before connections are closed. */
  shutdownGraceSeconds: z.number().int().nonnegative().default(30),
}).strict();

export type BerthConfig = z.infer<typeof configSchema>;
export type BerthConfigInput = z.input<typeof configSchema>;
