import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';

const pem = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n';
const notationPolicy = {
  version: '1.0',
  trustPolicies: [{ name: 'shop', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:notary'], trustedIdentities: ['*'] }],
};

/** Signature trust's part of the metadata contract (src/metadata/trust-store.ts). */
export function trustStoreTests(store: () => MetadataStore): void {
  describe('signature trust', () => {
    it('keeps each project\'s mode, replaced in place, and moves the change version with it', async () => {
      const trust = store().trust();
      assert.equal((await trust.trustPolicies()).size, 0);
      const before = store().changeVersion();
      const plain = { perPlatform: false, notationPolicy: null };
      await trust.saveTrustPolicy({ project: 'shop', mode: 'audit', identities: [], ...plain, updatedBy: 'alice', updatedAt: 1_000 });
      await trust.saveTrustPolicy({ project: 'lab', mode: 'enforce', identities: [{ subject: 'ci@lab.example' }], ...plain, updatedBy: 'bob', updatedAt: 1_500 });
      await trust.saveTrustPolicy({
        project: 'shop', mode: 'enforce', identities: [{ subject: 'release@shop.example', issuer: 'https://id.shop.example' }],
        perPlatform: true, notationPolicy, updatedBy: 'carol', updatedAt: 2_000,
      });
      assert.notEqual(store().changeVersion(), before);
      assert.deepEqual([...(await trust.trustPolicies()).values()].sort((a, b) => a.project.localeCompare(b.project)), [
        { project: 'lab', mode: 'enforce', identities: [{ subject: 'ci@lab.example' }], ...plain, updatedBy: 'bob', updatedAt: 1_500 },
        {
          project: 'shop', mode: 'enforce', identities: [{ subject: 'release@shop.example', issuer: 'https://id.shop.example' }],
          perPlatform: true, notationPolicy, updatedBy: 'carol', updatedAt: 2_000,
        },
      ]);
    });

    it('keeps each project\'s keys by a name unique in the project', async () => {
      const trust = store().trust();
      const key = { project: 'shop', name: 'release', kind: 'cosign-key' as const, pem, hint: 'aGludA==', createdBy: 'alice', createdAt: 1_000 };
      const added = await trust.addTrustKey(key);
      assert.deepEqual({ ...added, id: 0 }, { ...key, id: 0 });
      assert.equal(await trust.addTrustKey({ ...key, pem: 'other' }), undefined, 'a second key of the same name is refused');
      await trust.addTrustKey({ ...key, project: 'lab' });
      await trust.addTrustKey({ ...key, name: 'ci' });
      await trust.addTrustKey({ ...key, name: 'corporate-ca', kind: 'ca-roots', pem: 'CERTIFICATES', hint: 'ab:cd' });
      await trust.addTrustKey({ ...key, name: 'ca:notary', kind: 'notation-store', pem: 'NOTARY', hint: 'ef:01' });
      assert.deepEqual((await trust.trustKeys('shop')).map((one) => [one.name, one.kind, one.pem]),
        [['ca:notary', 'notation-store', 'NOTARY'], ['ci', 'cosign-key', pem], ['corporate-ca', 'ca-roots', 'CERTIFICATES'], ['release', 'cosign-key', pem]]);
      const before = store().changeVersion();
      assert.equal(await trust.removeTrustKey('shop', 'release'), true);
      assert.notEqual(store().changeVersion(), before);
      assert.equal(await trust.removeTrustKey('shop', 'release'), false);
      assert.deepEqual((await trust.trustKeys('shop')).map((one) => one.name), ['ca:notary', 'ci', 'corporate-ca']);
      assert.deepEqual((await trust.trustKeys('lab')).map((one) => one.name), ['release']);
    });
  });
}
