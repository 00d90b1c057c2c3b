import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { coerceEnvironmentValue } from './coerce-environment.js';
import { configSchema, type BerthConfig } from './config-schema.js';

/** A configuration problem, worded for the person who wrote the configuration. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Environment variables and the config keys they set; each value is converted to the type its key expects. */
const environmentKeys: Record<string, string> = {
  BERTH_LISTEN: 'listen',
  BERTH_DATA_DIR: 'dataDir',
  BERTH_TLS_CERT: 'tls.cert',
  BERTH_TLS_KEY: 'tls.key',
  BERTH_LOG_LEVEL: 'log.level',
  BERTH_DATABASE_URL: 'database.url',
  BERTH_DATABASE_POOL_SIZE: 'database.poolSize',
  BERTH_DATABASE_MIGRATE: 'database.migrate',
  BERTH_S3_ENDPOINT: 'storage.s3.endpoint',
  BERTH_S3_BUCKET: 'storage.s3.bucket',
  BERTH_S3_REGION: 'storage.s3.region',
  BERTH_S3_ACCESS_KEY_ID: 'storage.s3.accessKeyId',
  BERTH_S3_SECRET_ACCESS_KEY: 'storage.s3.secretAccessKey',
  BERTH_S3_FORCE_PATH_STYLE: 'storage.s3.forcePathStyle',
  BERTH_S3_PREFIX: 'storage.s3.prefix',
  BERTH_S3_CHECKSUMS: 'storage.s3.checksums',
  BERTH_S3_CREATE_BUCKET: 'storage.s3.createBucket',
  BERTH_S3_REDIRECT_SECONDS: 'storage.s3.redirectSeconds',
  BERTH_MANIFEST_MAX_BYTES: 'limits.manifestMaxBytes',
  BERTH_BLOB_MAX_BYTES: 'limits.blobMaxBytes',
  BERTH_UPLOAD_EXPIRE_SECONDS: 'uploads.expireAfterSeconds',
  BERTH_UPLOAD_SWEEP_SECONDS: 'uploads.sweepIntervalSeconds',
  BERTH_DELETE_ENABLED: 'delete.enabled',
  BERTH_ALLOW_SPARSE_INDEXES: 'manifests.allowSparseIndexes',
  BERTH_EXTERNAL_URL: 'externalUrl',
  BERTH_TRUST_PROXY: 'trustProxy',
  BERTH_ADMIN_PASSWORD: 'auth.adminPassword',
  BERTH_AUTH_ENABLED: 'auth.enabled',
  BERTH_ALLOW_OPEN: 'auth.allowOpen',
  BERTH_TOKEN_TTL_SECONDS: 'auth.tokenTtlSeconds',
  BERTH_AUDIT_KEEP_DAYS: 'audit.keepDays',
  BERTH_SCANNING_ENABLED: 'scanning.enabled',
  BERTH_SCAN_ON_PUSH: 'scanning.onPush',
  BERTH_SCAN_FEED: 'scanning.feed',
  BERTH_SCAN_FEED_REFRESH_MINUTES: 'scanning.feedRefreshMinutes',
  BERTH_SCAN_REGISTRY_URL: 'scanning.registryUrl',
  BERTH_SCAN_MAX_UNCOMPRESSED_BYTES: 'scanning.maxUncompressedBytes',
  BERTH_SCAN_SBOM_ATTACH: 'scanning.sbom.attach',
  BERTH_SCAN_SBOM_FORMAT: 'scanning.sbom.format',
  BERTH_METRICS_ENABLED: 'metrics.enabled',
  BERTH_METRICS_PATH: 'metrics.path',
  BERTH_METRICS_LISTEN: 'metrics.listen',
  BERTH_METRICS_PUBLIC: 'metrics.public',
};

export interface ConfigSources {
  /** Path of a YAML file; its keys are the schema's keys. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, as dotted keys; they win over the environment, which wins over the file. */
  overrides?: Record<string, unknown>;
}

export function loadConfig(sources: ConfigSources = {}): Readonly<BerthConfig> {
  const merged: Record<string, unknown> = sources.file ? readConfigFile(sources.file) : {};
  const env = sources.env ?? {};
  for (const [variable, key] of Object.entries(environmentKeys)) {
    const value = env[variable];
    if (value !== undefined && value !== '') setDotted(merged, key, coerceEnvironmentValue(configSchema, key, value));
  }
  for (const [key, value] of Object.entries(sources.overrides ?? {})) {
    if (value !== undefined) setDotted(merged, key, value);
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(top level)';
      const envName = Object.entries(environmentKeys).find(([, k]) => k === key)?.[0];
      return `  ${key}: ${issue.message}${envName ? ` (also settable as ${envName})` : ''}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return deepFreeze(result.data);
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    // Loaded only when a file is given: most runs have none, and the parser costs memory for the process's life.
    const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    parsed = parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${path} must hold a mapping of keys`);
  return parsed as Record<string, unknown>;
}

function setDotted(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
