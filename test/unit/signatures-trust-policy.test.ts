import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnContains, parseDistinguishedName } from '../../src/signatures/distinguished-names.js';
import { identityTrusted, parseTrustPolicy, selectTrustPolicy, type TrustPolicyDocument } from '../../src/signatures/notation-trust-policy.js';

const entry = (name: string, registryScopes: string[], extra: Record<string, unknown> = {}) => ({
  name, registryScopes, signatureVerification: { level: 'strict' }, trustStores: ['ca:acme'], trustedIdentities: ['*'], ...extra,
});

function parsed(json: unknown): TrustPolicyDocument {
  const result = parseTrustPolicy(json);
  assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
  return result.policy;
}

function errors(json: unknown): string[] {
  const result = parseTrustPolicy(json);
  assert.ok(!result.ok, 'expected the policy to be refused');
  return result.errors;
}

describe('notation trust policy', () => {
  it('selects the exact repository scope over the global one, and none when neither applies', () => {
    const policy = parsed({ version: '1.0', trustPolicies: [entry('global', ['*']), entry('app', ['registry.test/acme/app', 'registry.test:5000/acme/tool'])] });
    assert.equal(selectTrustPolicy(policy, 'registry.test/acme/app')?.name, 'app');
    assert.equal(selectTrustPolicy(policy, 'registry.test:5000/acme/tool')?.name, 'app');
    assert.equal(selectTrustPolicy(policy, 'registry.test/acme/other')?.name, 'global');
    const scoped = parsed({ version: '1.0', trustPolicies: [entry('app', ['registry.test/acme/app'])] });
    assert.equal(selectTrustPolicy(scoped, 'registry.test/acme/other'), undefined);
    assert.equal(selectTrustPolicy(scoped, 'registry.test/acme/app/sub'), undefined, 'scopes are exact, not prefixes');
  });

  it('turns levels and overrides into enforce, log and skip per check', () => {
    const policy = parsed({ version: '1.0', trustPolicies: [
      entry('strict', ['r.test/a/strict']),
      entry('permissive', ['r.test/a/permissive'], { signatureVerification: { level: 'permissive' } }),
      entry('audit', ['r.test/a/audit'], { signatureVerification: { level: 'audit', override: { authenticity: 'enforce' } } }),
      entry('custom', ['r.test/a/custom'], { signatureVerification: { level: 'strict', override: { expiry: 'log', revocation: 'skip' }, verifyTimestamp: 'afterCertExpiry' } }),
      { name: 'skip', registryScopes: ['r.test/a/skip'], signatureVerification: { level: 'skip' } },
    ] });
    const actions = (repository: string) => selectTrustPolicy(policy, repository)!.actions;
    assert.deepEqual(actions('r.test/a/strict'), { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' });
    assert.deepEqual(actions('r.test/a/permissive'), { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' });
    assert.deepEqual(actions('r.test/a/audit'), { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' });
    assert.deepEqual(actions('r.test/a/custom'), { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'log', revocation: 'skip' });
    assert.equal(selectTrustPolicy(policy, 'r.test/a/custom')!.verifyTimestamp, 'afterCertExpiry');
    assert.equal(selectTrustPolicy(policy, 'r.test/a/skip')!.level, 'skip');
  });

  it('matches trustedIdentities as a subset of the signer\'s subject DN', () => {
    const policy = parsed({ version: '1.0', trustPolicies: [entry('app', ['*'], { trustedIdentities: ['x509.subject: C=US, ST=WA, O=Acme\\, Inc., OU=Builds', 'x509.subject: C=DE, ST=BE, O=Other'] })] });
    const statement = policy.statements[0]!;
    const subject = (text: string) => parseDistinguishedName(text) as { type: string; value: string }[];
    assert.equal(identityTrusted(statement, subject('C=US, ST=WA, L=Seattle, O=Acme\\, Inc., OU=Builds, CN=ci')), true);
    assert.equal(identityTrusted(statement, subject('C=DE,ST=BE,O=Other,CN=x')), true);
    assert.equal(identityTrusted(statement, subject('C=US, ST=WA, O=Acme\\, Inc., OU=Releases, CN=ci')), false);
    assert.equal(identityTrusted(statement, subject('C=US, ST=WA, O=Acme, OU=Builds')), false, 'the escaped comma is part of the value');
    assert.equal(identityTrusted(parsed({ version: '1.0', trustPolicies: [entry('any', ['*'])] }).statements[0]!, subject('CN=anyone')), true);
  });

  it('parses DNs with escapes, + separated RDNs and case-insensitive types', () => {
    assert.deepEqual(parseDistinguishedName('c=US, st=WA, O=a\\+b + OU=x, CN=\\ padded\\ '), [
      { type: 'C', value: 'US' }, { type: 'ST', value: 'WA' }, { type: 'O', value: 'a+b' }, { type: 'OU', value: 'x' }, { type: 'CN', value: ' padded ' },
    ]);
    assert.equal(typeof parseDistinguishedName('C=US, nonsense'), 'string');
    assert.equal(typeof parseDistinguishedName('C='), 'string');
    assert.equal(dnContains([{ type: 'OU', value: 'a' }, { type: 'OU', value: 'b' }], [{ type: 'OU', value: 'b' }]), true);
  });

  it('refuses bad policies with every problem named', () => {
    assert.deepEqual(errors({ version: '2.0', trustPolicies: [] }), ['version "2.0" is not supported (1.0 is)', 'trustPolicies must be a non-empty array']);
    assert.deepEqual(errors('nonsense'), ['the trust policy is not a JSON object']);
    const problems = errors({ version: '1.0', trustPolicies: [
      entry('a', ['*', 'r.test/x/y']),
      entry('a', ['r.test/x/y:latest', 'r.test/x/z']),
      entry('b', ['r.test/x/z'], { signatureVerification: { level: 'strict', override: { integrity: 'log', revocation: 'sometimes' } } }),
      entry('c', ['r.test/x/c'], { trustStores: ['ca:acme', 'cab:x', 'ca:acme'], trustedIdentities: ['x509.subject: C=US, O=Acme', 'CN=no prefix', '*'] }),
      entry('d', ['r.test/x/d'], { trustedIdentities: ['x509.subject: C=US, ST=WA, O=Acme', 'x509.subject: C=US, ST=WA, O=Acme, OU=Builds'] }),
      { name: 'e', registryScopes: ['*'], signatureVerification: { level: 'skip' }, trustStores: ['ca:acme'] },
      entry('f', ['r.test/x/f'], { signatureVerification: { level: 'paranoid' } }),
      entry('g', ['r.test/x/g'], { trustStores: [], trustedIdentities: [] }),
    ] });
    const expected = [
      'trust policy "a": "*" must be the only registry scope of its policy',
      'trust policy "a": registry scope "r.test/x/y:latest" is not a fully qualified repository (registry/namespace/repository, no tag or digest)',
      'trust policy "b": override of "integrity" is not allowed (authenticity, authenticTimestamp, expiry, revocation are)',
      'trust policy "b": override revocation: "sometimes" is not one of enforce, log, skip',
      'trust policy "c": trust store "cab:x" is not ca:NAME, signingAuthority:NAME or tsa:NAME',
      'trust policy "c": a trust store is listed twice',
      'trust policy "c": "*" must be the only trusted identity of its policy',
      'trust policy "d": trusted identities overlap (one is a subset of another)',
      'trust policy "e": skip cannot be used with the global scope "*"',
      'trust policy "e": a skip policy must not name trustStores or trustedIdentities',
      'trust policy "f": signatureVerification.level "paranoid" is not strict, permissive, audit or skip',
      'trust policy "g": trustStores must name at least one trust store',
      'trust policy "g": trustedIdentities must list at least one identity, or "*"',
      'two trust policies are named "a"',
      'registry scope "r.test/x/z" is in both "a" and "b"',
    ];
    for (const problem of expected) assert.ok(problems.includes(problem), `missing: ${problem}\ngot:\n${problems.join('\n')}`);
    const identities = errors({ version: '1.0', trustPolicies: [entry('h', ['*'], { trustedIdentities: ['x509.subject: C=US, O=Acme', 'CN=no prefix'] })] });
    assert.deepEqual(identities, [
      'trust policy "h": trusted identity "x509.subject: C=US, O=Acme" lacks ST (C, ST and O are required)',
      'trust policy "h": trusted identity "CN=no prefix" does not start with "x509.subject:"',
    ]);
  });
});
