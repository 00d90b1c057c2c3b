import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

describe('configuration', () => {
  it('works with no configuration at all', () => {
    const config = loadConfig();
    assert.equal(config.listen, '127.0.0.1:5000');
    assert.equal(config.dataDir, './berth-data');
    assert.equal(config.limits.manifestMaxBytes, 4 * 1024 * 1024);
    assert.equal(config.delete.enabled, true);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.limits));
  });

  it('layers file, environment and flags, flags winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-config-'));
    const file = join(dir, 'berth.yaml');
    writeFileSync(file, 'listen: 0.0.0.0:6000\ndataDir: /from/file\nlimits:\n  blobMaxBytes: 10\n');
    const config = loadConfig({
      file,
      env: { BERTH_DATA_DIR: '/from/env', BERTH_DELETE_ENABLED: 'false', BERTH_LISTEN: '127.0.0.1:7000' },
      overrides: { listen: '[::1]:8000' },
    });
    assert.equal(config.listen, '[::1]:8000');
    assert.equal(config.dataDir, '/from/env');
    assert.equal(config.limits.blobMaxBytes, 10);
    assert.equal(config.delete.enabled, false);
  });

  it('names the bad key and how to set it', () => {
    assert.throws(() => loadConfig({ env: { BERTH_LISTEN: 'nonsense' } }), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /listen: expected HOST:PORT/);
      assert.match(error.message, /BERTH_LISTEN/);
      return true;
    });
    assert.throws(() => loadConfig({ overrides: { 'limits.manifestMaxBytes': -1 } }), /limits\.manifestMaxBytes/);
  });

  it('refuses unknown keys, so a typo is not silently ignored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-config-'));
    const file = join(dir, 'berth.yaml');
    writeFileSync(file, 'limits:\n  manifestMaxByte: 10\n');
    assert.throws(() => loadConfig({ file }), /limits: Unrecognized key\(s\) in object: 'manifestMaxByte'/);
  });

  it('refuses TLS with only one of certificate and key', () => {
    assert.throws(() => loadConfig({ overrides: { 'tls.cert': '/c.pem' } }), /tls: set both tls.cert and tls.key/);
  });

  it('selects PostgreSQL with BERTH_DATABASE_URL, and refuses anything but a postgres:// URL', () => {
    assert.equal(loadConfig().database.url, undefined, 'SQLite unless told otherwise');
    const config = loadConfig({ env: { BERTH_DATABASE_URL: 'postgres://berth:s3cret@db:5432/berth', BERTH_DATABASE_POOL_SIZE: '25', BERTH_DATABASE_MIGRATE: 'false' } });
    assert.equal(config.database.url, 'postgres://berth:s3cret@db:5432/berth');
    assert.equal(config.database.poolSize, 25);
    assert.equal(config.database.migrate, false);
    assert.throws(() => loadConfig({ env: { BERTH_DATABASE_URL: 'mysql://berth:s3cret@db/berth' } }), (error: Error) => {
      assert.match(error.message, /database\.url: expected a postgres:\/\/ URL/);
      assert.match(error.message, /BERTH_DATABASE_URL/);
      assert.doesNotMatch(error.message, /s3cret/, 'the password is not echoed');
      return true;
    });
  });

  it('selects S3 with BERTH_S3_* settings, and says what is missing', () => {
    assert.equal(loadConfig().storage.s3.bucket, undefined, 'files unless told otherwise');
    const config = loadConfig({ env: {
      BERTH_S3_ENDPOINT: 'http://s3.example:9000', BERTH_S3_BUCKET: 'registry', BERTH_S3_REGION: 'eu-west-1',
      BERTH_S3_ACCESS_KEY_ID: 'AKID', BERTH_S3_SECRET_ACCESS_KEY: 'secret', BERTH_S3_FORCE_PATH_STYLE: 'true',
    } });
    assert.deepEqual(config.storage.s3, {
      endpoint: 'http://s3.example:9000', bucket: 'registry', region: 'eu-west-1', accessKeyId: 'AKID', secretAccessKey: 'secret',
      forcePathStyle: true, prefix: '', checksums: 'when_required', createBucket: false, redirectSeconds: 0,
    });
    assert.throws(() => loadConfig({ env: { BERTH_S3_ENDPOINT: 'http://s3.example:9000' } }), /needs a bucket: set storage\.s3\.bucket \(BERTH_S3_BUCKET\)/);
    assert.throws(() => loadConfig({ env: { BERTH_S3_BUCKET: 'registry', BERTH_S3_ACCESS_KEY_ID: 'AKID' } }), /set both storage\.s3\.accessKeyId and storage\.s3\.secretAccessKey/);
    assert.throws(() => loadConfig({ env: { BERTH_S3_BUCKET: 'Not_A_Bucket' } }), /storage\.s3\.bucket: expected a bucket name/);
  });

  it('keeps an environment value that looks like a number as text where the setting is text', () => {
    const config = loadConfig({ env: { BERTH_ADMIN_PASSWORD: '12345678', BERTH_S3_BUCKET: 'registry', BERTH_S3_PREFIX: '2024' } });
    assert.equal(config.auth.adminPassword, '12345678');
    assert.equal(config.storage.s3.prefix, '2024');
    assert.equal(loadConfig({ env: { BERTH_ADMIN_PASSWORD: 'true-false' } }).auth.adminPassword, 'true-false');
  });

  it('converts environment values to numbers and booleans where the setting expects them', () => {
    const config = loadConfig({ env: {
      BERTH_TOKEN_TTL_SECONDS: '600', BERTH_AUDIT_KEEP_DAYS: '0', BERTH_S3_CREATE_BUCKET: 'true', BERTH_DELETE_ENABLED: 'false',
      BERTH_ALLOW_SPARSE_INDEXES: 'true',
    } });
    assert.equal(config.auth.tokenTtlSeconds, 600);
    assert.equal(config.manifests.allowSparseIndexes, true);
    assert.equal(config.audit.keepDays, 0);
    assert.equal(config.storage.s3.createBucket, true);
    assert.equal(config.delete.enabled, false);
    assert.throws(() => loadConfig({ env: { BERTH_TOKEN_TTL_SECONDS: 'soon' } }), /auth\.tokenTtlSeconds: Expected number, received string \(also settable as BERTH_TOKEN_TTL_SECONDS\)/);
  });

  it('takes BERTH_TRUST_PROXY as true or as a list of addresses', () => {
    assert.equal(loadConfig({ env: { BERTH_TRUST_PROXY: 'true' } }).trustProxy, true);
    assert.equal(loadConfig({ env: { BERTH_TRUST_PROXY: 'false' } }).trustProxy, false);
    assert.equal(loadConfig({ env: { BERTH_TRUST_PROXY: '10.0.0.1,192.168.0.0/16' } }).trustProxy, '10.0.0.1,192.168.0.0/16');
  });

  it('reports an unreadable or malformed file', () => {
    assert.throws(() => loadConfig({ file: '/no/such/berth.yaml' }), /cannot read config file/);
    const dir = mkdtempSync(join(tmpdir(), 'berth-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'listen: [unclosed\n');
    assert.throws(() => loadConfig({ file }), /not valid YAML/);
  });
});
