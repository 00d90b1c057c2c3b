import assert from 'node:assert/strict';
import { X509Certificate, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FlattenedSign } from 'jose';
import { CborTagged, type CborValue, decodeCbor } from '../../src/signatures/cbor.js';
import { readNotationCose } from '../../src/signatures/notation-cose.js';
import { readNotationJws } from '../../src/signatures/notation-jws.js';
import { parseTrustPolicy, type TrustPolicyDocument } from '../../src/signatures/notation-trust-policy.js';
import { type NotationVerification, verifyNotationSignature } from '../../src/signatures/notation-verifier.js';
import type { SignatureVerdict } from '../../src/signatures/verdict.js';
import { type TestCertificate, TestPki } from '../support/signature-pki.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/notation');
const read = (file: string): Buffer => readFileSync(path.join(fixtures, file));
const jwsType = 'application/jose+json';
const coseType = 'application/cose';
/** Inside the fixtures' certificates' validity (2023-05-09 to 2033-05-10). */
const inside = new Date('2025-01-01T00:00:00Z');

function policy(json: unknown): TrustPolicyDocument {
  const parsed = parseTrustPolicy(json);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join('; '));
  return parsed.policy;
}

function statement(level: string, identities: string[] = ['*'], override?: Record<string, string>) {
  return policy({ version: '1.0', trustPolicies: [{ name: 'fixtures', registryScopes: ['*'], signatureVerification: { level, override }, trustStores: ['ca:fixtures'], trustedIdentities: identities }] });
}

/** Flips the lowest bit of one byte (a certificate's signature, a header field). */
function flip(bytes: Buffer, at: number): void {
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at);
}

function rejected(verdict: SignatureVerdict, failure: string, reason: RegExp): void {
  assert.equal(verdict.valid, false, `expected a refusal, got ${JSON.stringify(verdict)}`);
  if (verdict.valid) return;
  assert.equal(verdict.failure, failure, verdict.reason);
  assert.match(verdict.reason, reason);
}

/** A fixture with its own root as the trust anchor and its own target as the subject. */
function fixture(file: string): NotationVerification {
  const envelope = read(file);
  const mediaType = file.includes('cose') ? coseType : jwsType;
  const parsed = mediaType === coseType ? readNotationCose(envelope) : readNotationJws(envelope);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  const root = new X509Certificate(Buffer.from(parsed.value.certificates.at(-1)!));
  const subject = JSON.parse(Buffer.from(parsed.value.payload).toString()).targetArtifact;
  return { envelope, envelopeMediaType: mediaType, subject, policy: statement('strict'), repository: 'registry.test/notary/alpine', trustStores: new Map([['ca:fixtures', [root]]]), at: inside };
}

const files = ['real-notation-withoutTimestamp.sig', 'verifier_testdata_timestamp_sigEnv_jwsWithTimestamp.sig', 'internal_testdata_cose_signature.sig', 'verifier_testdata_timestamp_sigEnv_coseWithTimestamp.sig'];

describe('real notation envelopes (notation-go test data)', () => {
  for (const file of files) {
    it(`${file} verifies against its own chain under strict, with a trustedIdentities rule`, async () => {
      const input = { ...fixture(file), policy: statement('strict', ['x509.subject: C=US, ST=WA, O=Notary']) };
      const verdict = await verifyNotationSignature(input);
      assert.ok(verdict.valid, verdict.valid ? '' : verdict.reason);
      assert.equal(verdict.signer, 'C=US, ST=WA, L=Seattle, O=Notary, CN=alpine');
      assert.equal(verdict.format, file.includes('cose') ? 'notation-cose' : 'notation-jws');
      assert.deepEqual(verdict.warnings, file.includes('With') ? ['the RFC 3161 timestamp was not checked (the certificates are valid now, which suffices)'] : []);
    });
  }

  it('binds digest, mediaType and size of the pulled manifest', async () => {
    const input = fixture(files[0]!);
    rejected(await verifyNotationSignature({ ...input, subject: { ...input.subject, digest: `sha256:${'0'.repeat(64)}` } }), 'wrong-subject', /payload names sha256:c0669ef3\S+, not the pulled digest sha256:0000/);
    rejected(await verifyNotationSignature({ ...input, subject: { ...input.subject, mediaType: 'application/vnd.oci.image.manifest.v1+json' } }), 'wrong-subject', /media type application\/vnd\.docker\.distribution\.manifest\.v2\+json, not the pulled manifest's/);
    rejected(await verifyNotationSignature({ ...input, subject: { ...input.subject, size: 529 } }), 'wrong-subject', /size 528, not the pulled manifest's 529 bytes/);
  });

  it('reports expiry after the certificate\'s notAfter, mentions an unchecked timestamp, and logs it under permissive', async () => {
    const later = new Date('2034-01-01T00:00:00Z');
    rejected(await verifyNotationSignature({ ...fixture(files[0]!), at: later }), 'expired', /CN=alpine" expired on 2033-05-10T04:55:12\.000Z$/);
    rejected(await verifyNotationSignature({ ...fixture(files[3]!), at: later }), 'expired', /expired on 2033-05-10.*RFC 3161 timestamp, which Berth does not check/);
    const permissive = await verifyNotationSignature({ ...fixture(files[0]!), at: later, policy: statement('permissive') });
    assert.ok(permissive.valid);
    assert.match(permissive.warnings[0]!, /^authenticTimestamp \(logged by trust policy "fixtures"\): .*expired on 2033/);
  });

  it('refuses an untrusted identity, another trust store, and a missing store; audit logs them instead', async () => {
    const input = fixture(files[2]!);
    rejected(await verifyNotationSignature({ ...input, policy: statement('strict', ['x509.subject: C=US, ST=WA, O=Someone Else']) }), 'untrusted-signer', /signer "C=US, ST=WA, L=Seattle, O=Notary, CN=alpine" is not a trusted identity of trust policy "fixtures"/);
    const stranger = new TestPki();
    after(() => stranger.close());
    const otherRoot = stranger.selfSigned({ subject: '/C=US/ST=WA/O=Other/CN=Root' });
    rejected(await verifyNotationSignature({ ...input, trustStores: new Map([['ca:fixtures', [otherRoot.certificate]]]) }), 'untrusted-signer', /does not lead to a trusted root of trust policy "fixtures"/);
    rejected(await verifyNotationSignature({ ...input, trustStores: new Map() }), 'untrusted-signer', /trust store ca:fixtures is not configured/);
    const audited = await verifyNotationSignature({ ...input, trustStores: new Map(), policy: statement('audit') });
    assert.ok(audited.valid);
    assert.match(audited.warnings[0]!, /^authenticity \(logged/);
  });

  it('refuses when no policy applies, and answers skip as skipped', async () => {
    const scoped = policy({ version: '1.0', trustPolicies: [
      { name: 'one', registryScopes: ['registry.test/other/app'], signatureVerification: { level: 'strict' }, trustStores: ['ca:fixtures'], trustedIdentities: ['*'] },
      { name: 'legacy', registryScopes: ['registry.test/notary/alpine'], signatureVerification: { level: 'skip' } },
    ] });
    const input = fixture(files[0]!);
    rejected(await verifyNotationSignature({ ...input, policy: scoped, repository: 'registry.test/third/app' }), 'no-policy', /no notation trust policy applies to registry\.test\/third\/app/);
    rejected(await verifyNotationSignature({ ...input, policy: scoped }), 'skipped', /trust policy "legacy" skips verification/);
  });

  describe('tampered copies fail, each with its own reason', () => {
    const jws = () => JSON.parse(read(files[0]!).toString()) as Record<string, any>;
    const verifyJws = (envelope: unknown) => verifyNotationSignature({ ...fixture(files[0]!), envelope: Buffer.from(JSON.stringify(envelope)) });
    const header = (envelope: Record<string, any>) => JSON.parse(Buffer.from(envelope.protected, 'base64url').toString());
    const withHeader = (envelope: Record<string, any>, change: (header: Record<string, any>) => void) => {
      const value = header(envelope);
      change(value);
      return { ...envelope, protected: Buffer.from(JSON.stringify(value)).toString('base64url') };
    };

    it('JWS payload', async () => {
      const envelope = jws();
      const payload = Buffer.from(envelope.payload, 'base64url').toString().replace('"size":528', '"size":529');
      rejected(await verifyJws({ ...envelope, payload: Buffer.from(payload).toString('base64url') }), 'bad-signature', /the signature does not match the signing certificate's key/);
    });

    it('JWS protected header: a changed signing time, another algorithm, alg none, an unknown critical header', async () => {
      rejected(await verifyJws(withHeader(jws(), (value) => { value['io.cncf.notary.signingTime'] = '2030-01-01T00:00:00Z'; })), 'bad-signature', /does not match the signing certificate's key/);
      rejected(await verifyJws(withHeader(jws(), (value) => { value.alg = 'PS384'; })), 'bad-signature', /algorithm PS384 is not the one its key allows \(PS256 for RSA 2048\)/);
      rejected(await verifyJws(withHeader(jws(), (value) => { value.alg = 'ES256'; })), 'bad-signature', /algorithm ES256 is not the one its key allows/);
      rejected(await verifyJws({ ...withHeader(jws(), (value) => { value.alg = 'none'; }), signature: '' }), 'bad-signature', /JWS algorithm "none" is not one notation allows/);
      rejected(await verifyJws({ ...withHeader(jws(), (value) => { value.alg = 'none'; }) }), 'bad-signature', /JWS algorithm "none" is not one notation allows/);
      rejected(await verifyJws(withHeader(jws(), (value) => { value.crit.push('io.cncf.notary.verificationPlugin'); value['io.cncf.notary.verificationPlugin'] = 'x'; })), 'unsupported', /marks io\.cncf\.notary\.verificationPlugin critical, which Berth does not process/);
      rejected(await verifyJws(withHeader(jws(), (value) => { value.crit = []; })), 'malformed', /crit header does not list io\.cncf\.notary\.signingScheme/);
    });

    it('JWS certificate: a byte of the root\'s signature, another key, 1,000 certificates, wrong base64', async () => {
      const envelope = jws();
      const der = Buffer.from(envelope.header.x5c[0], 'base64');
      flip(der, der.length - 3);
      rejected(await verifyJws({ ...envelope, header: { ...envelope.header, x5c: [der.toString('base64')] } }), 'malformed', /not a self-signed root/);
      const pki = new TestPki();
      after(() => pki.close());
      const impostor = pki.selfSigned({ subject: '/C=US/ST=WA/L=Seattle/O=Notary/CN=alpine', key: 'rsa-2048', extensions: ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning'] });
      rejected(await verifyJws({ ...envelope, header: { ...envelope.header, x5c: [impostor.der.toString('base64')] } }), 'bad-signature', /does not match the signing certificate's key/);
      rejected(await verifyJws({ ...envelope, header: { ...envelope.header, x5c: [envelope.header.x5c[0], ...Array.from({ length: 999 }, () => 'MAA=')] } }), 'malformed', /chain of 1000 certificates is longer than the limit of 10/);
      rejected(await verifyJws({ ...envelope, header: { ...envelope.header, x5c: ['not*base64'] } }), 'malformed', /no x5c certificate chain of base64 DER/);
    });

    it('COSE payload, protected header and certificate', async () => {
      const original = read(files[2]!);
      const input = fixture(files[2]!);
      const payloadAt = original.indexOf('"size":481');
      const payload = Buffer.from(original);
      payload[payloadAt + 8] = '2'.charCodeAt(0);
      rejected(await verifyNotationSignature({ ...input, envelope: payload }), 'bad-signature', /does not match the signing certificate's key/);
      const headerAt = original.indexOf('io.cncf.notary.signingTime') + 'io.cncf.notary.signingTime'.length + 3;
      const header = Buffer.from(original);
      flip(header, headerAt); // a bit of the signing time (tag 1, uint32)
      rejected(await verifyNotationSignature({ ...input, envelope: header }), 'bad-signature', /does not match the signing certificate's key/);
      const parsed = readNotationCose(original);
      assert.ok(parsed.ok);
      const certificate = Buffer.from(original);
      flip(certificate, original.indexOf(Buffer.from(parsed.value.certificates[0]!)) + parsed.value.certificates[0]!.length - 3);
      rejected(await verifyNotationSignature({ ...input, envelope: certificate }), 'malformed', /not a self-signed root/);
    });
  });

  describe('hostile envelopes are verdicts, never exceptions', () => {
    it('every truncation of a real JWS and COSE envelope', async () => {
      for (const file of [files[0]!, files[2]!]) {
        const whole = read(file);
        const input = fixture(file);
        for (let length = 0; length < whole.length; length += 23) {
          const verdict = await verifyNotationSignature({ ...input, envelope: whole.subarray(0, length) });
          assert.equal(verdict.valid, false);
          assert.equal(verdict.valid ? '' : verdict.failure, 'malformed', `${file} cut at ${length}`);
        }
      }
    });

    it('CBOR that is indefinite, nested without end, claims more than it holds, or repeats a key', async () => {
      const input = fixture(files[2]!);
      const cases: [number[], RegExp][] = [
        [[0xd2, 0x9f, 0xff], /indefinite-length CBOR is not accepted/],
        [[0xd2, ...Array(1000).fill(0x81), 0x00], /nested too deeply/],
        [[0xd2, 0x84, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], /length runs past the end/],
        [[0xd2, 0x9a, 0xff, 0xff, 0xff, 0xff], /length runs past the end/],
        [[0xd2, 0x84, 0x40, 0xa2, 0x01, 0x00, 0x01, 0x00, 0x40, 0x40], /duplicate CBOR map key 1/],
        [[0xd3, 0x84, 0x40, 0xa0, 0x40, 0x40], /not a tagged COSE_Sign1 message/],
        [[0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40, 0x00], /trailing bytes/],
      ];
      for (const [bytes, reason] of cases) rejected(await verifyNotationSignature({ ...input, envelope: Buffer.from(bytes) }), 'malformed', reason);
    });

    it('a 4 MiB envelope, malformed JSON, the general JWS serialization, and an unknown envelope type', async () => {
      const input = fixture(files[0]!);
      rejected(await verifyNotationSignature({ ...input, envelope: Buffer.alloc(4 * 1024 * 1024, 0x20) }), 'malformed', /JWS envelope of 4194304 bytes is over the 1 MiB limit/);
      rejected(await verifyNotationSignature({ ...input, envelope: Buffer.from('{"payload":') }), 'malformed', /not a JSON object/);
      rejected(await verifyNotationSignature({ ...input, envelope: Buffer.from('{"payload":"e30","signatures":[]}') }), 'malformed', /general serialization/);
      rejected(await verifyNotationSignature({ ...input, envelopeMediaType: 'application/octet-stream' }), 'malformed', /not a notation envelope type/);
    });
  });
});

/** Minimal CBOR encoding for building COSE test envelopes. */
function cbor(value: CborValue): Buffer {
  const head = (major: number, n: number): Buffer => (n < 24 ? Buffer.of((major << 5) | n) : n < 256 ? Buffer.of((major << 5) | 24, n) : n < 65536 ? Buffer.of((major << 5) | 25, n >> 8, n & 255) : Buffer.concat([Buffer.of((major << 5) | 26), Buffer.from(new Uint32Array([n]).buffer).reverse()]));
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  if (value instanceof Map) return Buffer.concat([head(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)])]);
  if (value instanceof CborTagged) return Buffer.concat([head(6, value.tag), cbor(value.value)]);
  throw new Error('not encodable here');
}

describe('notation signatures from a private CA', () => {
  const pki = new TestPki();
  let root: TestCertificate;
  let leaf: TestCertificate;
  let rsaLeaf: TestCertificate;
  const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'f'.repeat(64)}`, size: 1234 };
  const payload = Buffer.from(JSON.stringify({ targetArtifact: subject }));
  const notationLeaf = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning'];
  before(() => {
    root = pki.selfSigned({ subject: '/C=US/ST=WA/O=Acme/CN=Acme Root', key: 'rsa-2048' });
    leaf = pki.issue(root, { subject: '/C=US/ST=WA/L=Seattle/O=Acme/OU=Builds/CN=ci', extensions: notationLeaf });
    rsaLeaf = pki.issue(root, { subject: '/C=US/ST=WA/O=Acme/CN=rsa', key: 'rsa-3072', extensions: notationLeaf });
  });
  after(() => pki.close());

  const acmePolicy = (identity: string) => policy({ version: '1.0', trustPolicies: [{ name: 'acme', registryScopes: ['registry.test/acme/app'], signatureVerification: { level: 'strict' }, trustStores: ['ca:acme'], trustedIdentities: [identity] }] });
  const base = (envelope: Buffer, mediaType = jwsType): NotationVerification => ({
    envelope, envelopeMediaType: mediaType, subject, policy: acmePolicy('x509.subject: C=US, ST=WA, O=Acme, OU=Builds'),
    repository: 'registry.test/acme/app', trustStores: new Map([['ca:acme', [root.certificate]]]),
  });

  async function jws(signer: TestCertificate, alg: string, extra: Record<string, unknown> = {}, crit: string[] = []): Promise<Buffer> {
    const envelope = await new FlattenedSign(payload)
      .setProtectedHeader({ alg, cty: 'application/vnd.cncf.notary.payload.v1+json', crit: ['io.cncf.notary.signingScheme', ...crit], 'io.cncf.notary.signingScheme': 'notary.x509', 'io.cncf.notary.signingTime': new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...extra })
      .setUnprotectedHeader({ x5c: [signer.der.toString('base64'), root.der.toString('base64')], 'io.cncf.notary.signingAgent': 'berth-test' })
      .sign(signer.privateKey, { crit: Object.fromEntries(['io.cncf.notary.signingScheme', ...crit].map((name) => [name, true])) });
    return Buffer.from(JSON.stringify(envelope));
  }

  it('verifies an ES256 JWS from a leaf under a CA root with a trustedIdentities subset match', async () => {
    const verdict = await verifyNotationSignature(base(await jws(leaf, 'ES256')));
    assert.ok(verdict.valid, verdict.valid ? '' : verdict.reason);
    assert.equal(verdict.signer, 'C=US, ST=WA, L=Seattle, O=Acme, OU=Builds, CN=ci');
    assert.deepEqual(verdict.validUntil, new Date(leaf.certificate.validTo));
  });

  it('verifies PS384 for an RSA 3072 key, and refuses PS256 for it', async () => {
    const input = { ...base(await jws(rsaLeaf, 'PS384')), policy: acmePolicy('*') };
    assert.equal((await verifyNotationSignature(input)).valid, true);
    rejected(await verifyNotationSignature({ ...input, envelope: await jws(rsaLeaf, 'PS256') }), 'bad-signature', /PS256 is not the one its key allows \(PS384 for RSA 3072\)/);
  });

  it('refuses a signer outside the trusted identity, and an expired signature unless expiry is only logged', async () => {
    rejected(await verifyNotationSignature({ ...base(await jws(leaf, 'ES256')), policy: acmePolicy('x509.subject: C=US, ST=WA, O=Acme, OU=Releases') }), 'untrusted-signer', /is not a trusted identity/);
    const expired = await jws(leaf, 'ES256', { 'io.cncf.notary.expiry': '2024-01-01T00:00:00Z' }, ['io.cncf.notary.expiry']);
    rejected(await verifyNotationSignature(base(expired)), 'expired', /the signature expired on 2024-01-01T00:00:00\.000Z/);
    const logged = policy({ version: '1.0', trustPolicies: [{ name: 'acme', registryScopes: ['*'], signatureVerification: { level: 'strict', override: { expiry: 'log' } }, trustStores: ['ca:acme'], trustedIdentities: ['*'] }] });
    const verdict = await verifyNotationSignature({ ...base(expired), policy: logged });
    assert.ok(verdict.valid && /expiry \(logged/.test(verdict.warnings[0]!));
    rejected(await verifyNotationSignature(base(await jws(leaf, 'ES256', { 'io.cncf.notary.expiry': '2024-01-01T00:00:00Z' }))), 'malformed', /present but not marked critical/);
  });

  it('verifies an ES256 COSE envelope (raw r‖s signature) and refuses one signed over other bytes', async () => {
    const protectedBytes = cbor(new Map<number | string, CborValue>([[1, -7], [2, ['io.cncf.notary.signingScheme']], [3, 'application/vnd.cncf.notary.payload.v1+json'],
      ['io.cncf.notary.signingScheme', 'notary.x509'], ['io.cncf.notary.signingTime', new CborTagged(1, Math.floor(Date.now() / 1000))]]));
    const toBeSigned = cbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
    const envelope = (signature: Buffer) => cbor(new CborTagged(18, [protectedBytes, new Map([[33, [leaf.der, root.der]]]), payload, signature]));
    const good = envelope(sign('sha256', toBeSigned, { key: leaf.privateKey, dsaEncoding: 'ieee-p1363' }));
    assert.ok(decodeCbor(good) instanceof CborTagged);
    const verdict = await verifyNotationSignature(base(good, coseType));
    assert.ok(verdict.valid, verdict.valid ? '' : verdict.reason);
    rejected(await verifyNotationSignature(base(envelope(sign('sha256', payload, { key: leaf.privateKey, dsaEncoding: 'ieee-p1363' })), coseType)), 'bad-signature', /does not match/);
    rejected(await verifyNotationSignature(base(envelope(sign('sha256', toBeSigned, leaf.privateKey)), coseType)), 'bad-signature', /does not match/);
  });
});
