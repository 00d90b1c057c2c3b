/*
 * The error catalog registers each code once with its one status, as Distribution's errcode.Register does: a code
 * defined twice stops the module from loading, so no two cases share a code with different statuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorCatalog } from '../../src/errors/error-codes.js';
import { registerErrorCodes } from '../../src/errors/error-registry.js';
import { RegistryError } from '../../src/errors/registry-error.js';

/** The spec's code table (code-1..code-14): the only codes a /v2/ client may be sent in a 4XX body. */
const specCodes = ['BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID', 'MANIFEST_UNKNOWN', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'UNAUTHORIZED', 'DENIED',
  'UNSUPPORTED', 'TOOMANYREQUESTS'];

describe('error code registration', () => {
  it('throws when a code is registered a second time, naming it', () => {
    assert.throws(() => registerErrorCodes([
      { code: 'TWICE', status: 400, message: 'first' },
      { code: 'TWICE', status: 416, message: 'second' },
    ]), /error code TWICE is already registered \(status 400\)/);
  });

  it('throws when a code is sent as a code that is not registered, or that is itself sent as another', () => {
    assert.throws(() => registerErrorCodes([{ code: 'ALIAS', status: 416, message: 'm', sentAs: 'MISSING' }]), /sent as MISSING/);
    assert.throws(() => registerErrorCodes([
      { code: 'BASE', status: 400, message: 'm' },
      { code: 'ALIAS', status: 416, message: 'm', sentAs: 'BASE' },
      { code: 'ALIAS_OF_ALIAS', status: 413, message: 'm', sentAs: 'ALIAS' },
    ]), /sent as ALIAS/);
  });

  it('writes a code sent as another under that name, with its own status', () => {
    const catalog = registerErrorCodes([
      { code: 'BASE', status: 400, message: 'base' },
      { code: 'REFINED', status: 416, message: 'refined', sentAs: 'BASE' },
    ]);
    assert.deepEqual(catalog.REFINED, { status: 416, message: 'refined', wireCode: 'BASE' });
    assert.deepEqual(catalog.BASE, { status: 400, message: 'base', wireCode: 'BASE' });
  });

  it('sends every code Berth refines on /v2/ as one of the spec\'s codes', () => {
    for (const code of ['RANGE_INVALID', 'TOO_LARGE', 'ENDPOINT_UNKNOWN', 'REQUEST_INVALID', 'HEADERS_TOO_LARGE'] as const) {
      assert.ok(specCodes.includes(errorCatalog[code].wireCode), `${code} is sent as ${errorCatalog[code].wireCode}`);
    }
  });

  it('gives the statuses the review asked for: 416 for a chunk out of order, 413 past a limit, 400 for a manifest\'s missing blob', () => {
    assert.equal(new RegistryError('RANGE_INVALID').status, 416);
    assert.equal(RegistryError.tooLarge('too large', 10).status, 413);
    assert.equal(new RegistryError('SIZE_INVALID').status, 400);
    assert.equal(new RegistryError('MANIFEST_BLOB_UNKNOWN').status, 400);
    assert.equal(new RegistryError('ENDPOINT_UNKNOWN').status, 404);
    assert.equal(new RegistryError('STORAGE_FULL').status, 507);
  });
});
