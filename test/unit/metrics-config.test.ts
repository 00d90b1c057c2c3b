import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

describe('metrics configuration', () => {
  it('serves /metrics on the main listener by default, to administrators once access control is on', () => {
    const { metrics } = loadConfig();
    assert.deepEqual(metrics, { enabled: true, path: '/metrics', public: false });
    assert.equal(metrics.listen, undefined);
  });

  it('takes every key from the environment, converted to the type it expects', () => {
    const { metrics } = loadConfig({
      env: {
        BERTH_METRICS_ENABLED: 'false', BERTH_METRICS_PATH: '/internal/prometheus', BERTH_METRICS_LISTEN: '10.0.0.5:9464',
        BERTH_METRICS_PUBLIC: 'true',
      },
    });
    assert.deepEqual(metrics, { enabled: false, path: '/internal/prometheus', listen: '10.0.0.5:9464', public: true });
  });

  it('takes an IPv6 listener, and flags over the environment', () => {
    const config = loadConfig({ env: { BERTH_METRICS_LISTEN: '127.0.0.1:9464' }, overrides: { 'metrics.listen': '[::1]:9464' } });
    assert.equal(config.metrics.listen, '[::1]:9464');
  });

  it('refuses a listener that is not HOST:PORT, naming the key and its variable', () => {
    assert.throws(() => loadConfig({ env: { BERTH_METRICS_LISTEN: '9464' } }), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /metrics\.listen: expected HOST:PORT/);
      assert.match(error.message, /BERTH_METRICS_LISTEN/);
      return true;
    });
  });

  it('refuses a path that is not a plain absolute path', () => {
    for (const path of ['metrics', '/', '/metrics/', '/a//b', '/../metrics', '/metrics?x=1', '/met rics', '/./metrics']) {
      assert.throws(() => loadConfig({ env: { BERTH_METRICS_PATH: path } }), /metrics\.path: expected a path such as \/metrics/, path);
    }
  });

  it('refuses a path of the registry\'s own endpoints', () => {
    for (const path of ['/v2', '/v2/metrics', '/api/v1/metrics', '/auth/metrics', '/healthz', '/readyz']) {
      assert.throws(() => loadConfig({ overrides: { 'metrics.path': path } }),
        /metrics\.path: this path belongs to the registry's own endpoints/, path);
    }
    assert.equal(loadConfig({ overrides: { 'metrics.path': '/v2metrics' } }).metrics.path, '/v2metrics');
  });

  it('refuses a boolean key that is not true or false, and unknown keys', () => {
    assert.throws(() => loadConfig({ env: { BERTH_METRICS_PUBLIC: 'yes' } }), /metrics\.public: Expected boolean/);
    assert.throws(() => loadConfig({ overrides: { 'metrics.port': 9464 } }), /metrics: Unrecognized key\(s\) in object: 'port'/);
  });
});
