import assert from 'node:assert/strict';
import { constants, createHash, type KeyObject, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { CosignTrust } from '../../src/signatures/cosign-signer.js';
import { cosignAnnotations, verifyCosignSimpleSigning } from '../../src/signatures/cosign-simple-signing.js';
import { parseTrustedKey, type TrustedKey } from '../../src/signatures/public-keys.js';
import type { SignatureVerdict } from '../../src/signatures/verdict.js';
import { daysFromNow, extensions, generateKey, type KeySpec, type TestCertificate, TestPki } from '../support/signature-pki.js';

const image = `sha256:${'a'.repeat(64)}`;
const other = `sha256:${'b'.repeat(64)}`;

/** The payload cosign writes (239 bytes for a real one), byte for byte as it stores the layer. */
function payloadFor(digest: string, optional: unknown = null): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': 'registry.test/demo/app' }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional }));
}

/** Signs as cosign's signers do: ECDSA DER over the curve's hash, Ed25519 over the message, RSA PKCS#1 v1.5. */
function cosignSign(key: KeyObject, payload: Buffer, pss = false): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const hash = key.asymmetricKeyType === 'ed25519' ? null : curve === 'secp384r1' ? 'sha384' : 'sha256';
  return sign(hash, payload, pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key).toString('base64');
}

function layerOf(payload: Buffer, annotations: Record<string, string>) {
  return { digest: `sha256:${createHash('sha256').update(payload).digest('hex')}`, annotations };
}

function trustedKey(name: string, pem: string): TrustedKey {
  const parsed = parseTrustedKey(name, pem);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return parsed.value;
}

function rejected(verdict: SignatureVerdict, failure: string, reason: RegExp): void {
  assert.equal(verdict.valid, false, `expected a refusal, got ${JSON.stringify(verdict)}`);
  if (verdict.valid) return;
  assert.equal(verdict.failure, failure, verdict.reason);
  assert.match(verdict.reason, reason);
}

describe('cosign simple signing with public keys', () => {
  for (const spec of ['ec-p256', 'ec-p384', 'ed25519', 'rsa-2048'] as KeySpec[]) {
    it(`verifies a ${spec} signature over the exact payload and binds it to the pulled digest`, () => {
      const key = generateKey(spec);
      const trust: CosignTrust = { keys: [trustedKey('release', key.publicPem)], roots: [] };
      const payload = payloadFor(image, { team: 'blue' });
      const layer = layerOf(payload, { [cosignAnnotations.signature]: cosignSign(key.privateKey, payload) });
      const verdict = verifyCosignSimpleSigning({ payload, layer, subject: { digest: image }, trust });
      assert.deepEqual(verdict, { valid: true, tool: 'cosign', format: 'cosign-simple-signing', signer: 'release', role: 'signature', validUntil: undefined, warnings: [] });
      rejected(verifyCosignSimpleSigning({ payload, layer, subject: { digest: other }, trust }), 'wrong-subject', new RegExp(`payload names ${image}, not the pulled digest ${other}`));
    });
  }

  it('verifies RSA-PSS signatures as sigstore\'s RSA verifier accepts them', () => {
    const key = generateKey('rsa-2048');
    const payload = payloadFor(image);
    const layer = layerOf(payload, { [cosignAnnotations.signature]: cosignSign(key.privateKey, payload, true) });
    assert.equal(verifyCosignSimpleSigning({ payload, layer, subject: { digest: image }, trust: { keys: [trustedKey('pss', key.publicPem)], roots: [] } }).valid, true);
  });

  it('names the trusted key that verified among several', () => {
    const first = generateKey('ec-p256');
    const second = generateKey('ec-p256');
    const payload = payloadFor(image);
    const layer = layerOf(payload, { [cosignAnnotations.signature]: cosignSign(second.privateKey, payload) });
    const verdict = verifyCosignSimpleSigning({ payload, layer, subject: { digest: image }, trust: { keys: [trustedKey('first', first.publicPem), trustedKey('second', second.publicPem)], roots: [] } });
    assert.equal(verdict.valid && verdict.signer, 'second');
  });

  describe('refusals', () => {
    const key = generateKey('ec-p256');
    const trust: CosignTrust = { keys: [trustedKey('release', key.publicPem)], roots: [] };
    const payload = payloadFor(image);
    const signature = cosignSign(key.privateKey, payload);

    it('a signature by another key is an untrusted signer', () => {
      const stranger = generateKey('ec-p256');
      const layer = layerOf(payload, { [cosignAnnotations.signature]: cosignSign(stranger.privateKey, payload) });
      rejected(verifyCosignSimpleSigning({ payload, layer, subject: { digest: image }, trust }), 'untrusted-signer', /does not match any of the project's 1 trusted cosign key/);
      rejected(verifyCosignSimpleSigning({ payload, layer, subject: { digest: image }, trust: { keys: [], roots: [] } }), 'untrusted-signer', /trusts no cosign keys/);
    });

    it('a signature copied onto another digest names the digest it signed', () => {
      const copied = payloadFor(other);
      const layer = layerOf(copied, { [cosignAnnotations.signature]: cosignSign(key.privateKey, copied) });
      rejected(verifyCosignSimpleSigning({ payload: copied, layer, subject: { digest: image }, trust }), 'wrong-subject', new RegExp(`payload names ${other}`));
    });

    it('a payload changed after signing (and its layer digest with it) no longer verifies', () => {
      const changed = Buffer.from(payload.toString().replace('"optional":null', '"optional":{"x":"1"}'));
      rejected(verifyCosignSimpleSigning({ payload: changed, layer: layerOf(changed, { [cosignAnnotations.signature]: signature }), subject: { digest: image }, trust }), 'untrusted-signer', /does not match/);
    });

    it('a payload that is not the layer\'s bytes', () => {
      const layer = { digest: layerOf(payloadFor(other), {}).digest, annotations: { [cosignAnnotations.signature]: signature } };
      rejected(verifyCosignSimpleSigning({ payload, layer, subject: { digest: image }, trust }), 'malformed', /do not match the layer digest/);
    });

    it('wrong base64, a missing annotation, and a signature of the wrong shape', () => {
      const layer = (value?: string) => layerOf(payload, value === undefined ? {} : { [cosignAnnotations.signature]: value });
      rejected(verifyCosignSimpleSigning({ payload, layer: layer('MEQCI***not-base64'), subject: { digest: image }, trust }), 'malformed', /not base64/);
      rejected(verifyCosignSimpleSigning({ payload, layer: layer(), subject: { digest: image }, trust }), 'malformed', /annotation is missing/);
      rejected(verifyCosignSimpleSigning({ payload, layer: layer(Buffer.from('short').toString('base64')), subject: { digest: image }, trust }), 'untrusted-signer', /does not match/);
    });

    it('malformed and truncated payloads', () => {
      for (const bad of [payload.subarray(0, 40), Buffer.from('[]'), Buffer.from('{"critical":{"image":{}}}'), Buffer.from([0xff, 0xfe, 0x00])]) {
        rejected(verifyCosignSimpleSigning({ payload: bad, layer: layerOf(bad, { [cosignAnnotations.signature]: signature }), subject: { digest: image }, trust }), 'malformed', /not a cosign simple-signing payload/);
      }
      const wrongType = Buffer.from(payload.toString().replace('cosign container image signature', 'something else'));
      rejected(verifyCosignSimpleSigning({ payload: wrongType, layer: layerOf(wrongType, { [cosignAnnotations.signature]: signature }), subject: { digest: image }, trust }), 'malformed', /critical\.type "something else"/);
    });

    it('a 4 MiB payload is refused by size', () => {
      const huge = Buffer.alloc(4 * 1024 * 1024, 0x20);
      rejected(verifyCosignSimpleSigning({ payload: huge, layer: layerOf(huge, { [cosignAnnotations.signature]: signature }), subject: { digest: image }, trust }), 'malformed', /signature payload of 4194304 bytes is over the 1 MiB limit/);
    });

    it('an unparseable or weak trusted key is refused when it is added, not at pull', () => {
      assert.equal(parseTrustedKey('x', 'not a key').ok, false);
      const weak = parseTrustedKey('weak', generateKey('rsa-1024').publicPem);
      assert.ok(!weak.ok && /too short/.test(weak.reason));
    });
  });
});

describe('cosign simple signing with certificates (a project CA)', () => {
  const pki = new TestPki();
  let root: TestCertificate;
  let intermediate: TestCertificate;
  let leaf: TestCertificate;
  const payload = payloadFor(image);
  const annotated = (signer: TestCertificate, chain: TestCertificate[]) => layerOf(payload, {
    [cosignAnnotations.signature]: cosignSign(signer.privateKey, payload),
    [cosignAnnotations.certificate]: signer.pem,
    [cosignAnnotations.chain]: chain.map((certificate) => certificate.pem).join(''),
  });
  before(() => {
    root = pki.selfSigned({ subject: '/C=US/ST=WA/O=Berth Test/CN=Signing Root' });
    intermediate = pki.issue(root, { subject: '/C=US/ST=WA/O=Berth Test/CN=Signing CA', extensions: extensions.intermediate });
    leaf = pki.issue(intermediate, {
      subject: '/C=US/ST=WA/O=Berth Test/CN=ci', days: 2,
      extensions: [...extensions.codeSigning, 'subjectAltName=email:ci@example.com', '1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://issuer.example.com'],
    });
  });
  after(() => pki.close());

  it('verifies a certificate chained to the project root, names the identity and says when to check again', () => {
    const verdict = verifyCosignSimpleSigning({ payload, layer: annotated(leaf, [intermediate, root]), subject: { digest: image }, trust: { keys: [], roots: [root.certificate] } });
    assert.ok(verdict.valid, verdict.valid ? '' : verdict.reason);
    assert.equal(verdict.signer, 'ci@example.com');
    assert.deepEqual(verdict.validUntil, new Date(leaf.certificate.validTo));
  });

  it('checks the identity and the OIDC issuer when the project names them', () => {
    const layer = annotated(leaf, [intermediate, root]);
    const check = (identities: CosignTrust['identities']) => verifyCosignSimpleSigning({ payload, layer, subject: { digest: image }, trust: { keys: [], roots: [root.certificate], identities } });
    assert.equal(check([{ subject: 'ci@example.com', issuer: 'https://issuer.example.com' }]).valid, true);
    assert.equal(check([{ subject: 'ci@example.com' }]).valid, true);
    rejected(check([{ subject: 'release@example.com' }]), 'untrusted-signer', /certificate identity ci@example\.com \(issuer https:\/\/issuer\.example\.com\) is not one the project trusts/);
    rejected(check([{ subject: 'ci@example.com', issuer: 'https://other.example.com' }]), 'untrusted-signer', /is not one the project trusts/);
  });

  it('refuses an expired certificate with its date', () => {
    rejected(verifyCosignSimpleSigning({ payload, layer: annotated(leaf, [intermediate, root]), subject: { digest: image }, trust: { keys: [], roots: [root.certificate] }, at: daysFromNow(5) }), 'expired', /CN=ci" expired on/);
  });

  it('refuses a certificate from another CA, and a signature its certificate\'s key did not make', () => {
    const stranger = pki.selfSigned({ subject: '/C=US/ST=WA/O=Elsewhere/CN=Root' });
    rejected(verifyCosignSimpleSigning({ payload, layer: annotated(leaf, [intermediate, root]), subject: { digest: image }, trust: { keys: [], roots: [stranger.certificate] } }), 'unsupported', /keyless signature by ci@example\.com/);
    const plain = pki.issue(intermediate, { subject: '/C=US/ST=WA/O=Berth Test/CN=plain', extensions: [...extensions.codeSigning, 'subjectAltName=email:plain@example.com'] });
    rejected(verifyCosignSimpleSigning({ payload, layer: annotated(plain, [intermediate, root]), subject: { digest: image }, trust: { keys: [], roots: [stranger.certificate] } }), 'untrusted-signer', /does not lead to a trusted root/);
    rejected(verifyCosignSimpleSigning({ payload, layer: annotated(plain, [intermediate, root]), subject: { digest: image }, trust: { keys: [], roots: [] } }), 'untrusted-signer', /trusts no certificate roots/);
    const forged = { ...annotated(plain, [intermediate, root]) };
    forged.annotations = { ...forged.annotations, [cosignAnnotations.signature]: cosignSign(generateKey('ec-p256').privateKey, payload) };
    rejected(verifyCosignSimpleSigning({ payload, layer: forged, subject: { digest: image }, trust: { keys: [], roots: [root.certificate] } }), 'bad-signature', /does not match the key of certificate plain@example\.com/);
  });

  it('refuses a leaf without the code-signing EKU', () => {
    const tls = pki.issue(intermediate, { subject: '/C=US/ST=WA/O=Berth Test/CN=tls', extensions: ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth'] });
    rejected(verifyCosignSimpleSigning({ payload, layer: annotated(tls, [intermediate, root]), subject: { digest: image }, trust: { keys: [], roots: [root.certificate] } }), 'untrusted-signer', /lacks the code-signing extended key usage/);
  });

  it('refuses 1,000 certificates in the chain annotation by count', () => {
    const layer = annotated(leaf, Array.from({ length: 1000 }, () => intermediate));
    rejected(verifyCosignSimpleSigning({ payload, layer, subject: { digest: image }, trust: { keys: [], roots: [root.certificate] } }), 'malformed', /chain of 1001 certificates is longer than the limit of 10/);
  });
});
