import assert from 'node:assert/strict';
import { createHash, type KeyObject, sign } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { verifyCosignAttestation } from '../../src/signatures/cosign-attestation.js';
import { pae } from '../../src/signatures/dsse.js';
import { parseTrustedKey, type TrustedKey } from '../../src/signatures/public-keys.js';
import { verifySigstoreBundle } from '../../src/signatures/sigstore-bundle.js';
import type { SignatureVerdict } from '../../src/signatures/verdict.js';
import { extensions, generateKey, TestPki } from '../support/signature-pki.js';

const imageHex = 'c'.repeat(64);
const image = `sha256:${imageHex}`;
const signPredicate = 'https://sigstore.dev/cosign/sign/v1';

function statement(predicateType: string, hex = imageHex, type = 'https://in-toto.io/Statement/v1'): Buffer {
  return Buffer.from(JSON.stringify({ _type: type, subject: [{ name: 'registry.test/demo/app', digest: { sha256: hex } }], predicateType, predicate: {} }));
}

function envelope(key: KeyObject, payload: Buffer, payloadType = 'application/vnd.in-toto+json') {
  const hash = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return { payload: payload.toString('base64'), payloadType, signatures: [{ keyid: '', sig: sign(hash, pae(payloadType, payload), key).toString('base64') }] };
}

function trusted(name: string, pem: string): TrustedKey {
  const key = parseTrustedKey(name, pem);
  assert.ok(key.ok);
  return key.value;
}

/** The bundle cosign pushes as a referrer (`application/vnd.dev.sigstore.bundle.v0.3+json`), with the tlog off. */
function bundle(dsse: unknown, material: unknown, mediaType = 'application/vnd.dev.sigstore.bundle.v0.3+json'): Buffer {
  return Buffer.from(JSON.stringify({ mediaType, verificationMaterial: material, dsseEnvelope: dsse }));
}

function rejected(verdict: SignatureVerdict, failure: string, reason: RegExp): void {
  assert.equal(verdict.valid, false, `expected a refusal, got ${JSON.stringify(verdict)}`);
  if (verdict.valid) return;
  assert.equal(verdict.failure, failure, verdict.reason);
  assert.match(verdict.reason, reason);
}

describe('DSSE', () => {
  it('encodes the PAE as the specification spells it, lengths in bytes', () => {
    assert.equal(pae('application/vnd.in-toto+json', Buffer.from('héllo')).toString(), 'DSSEv1 28 application/vnd.in-toto+json 6 héllo');
  });
});

describe('sigstore bundles', () => {
  const key = generateKey('ec-p256');
  const release = trusted('release', key.publicPem);
  const keyMaterial = { publicKey: { hint: release.hint } };

  it('verifies a cosign 3 signature bundle with a key hint: a signature, bound to the image digest', () => {
    const verdict = verifySigstoreBundle({ bundle: bundle(envelope(key.privateKey, statement(signPredicate)), keyMaterial), subject: { digest: image }, trust: { keys: [release], roots: [] } });
    assert.deepEqual(verdict, { valid: true, tool: 'cosign', format: 'sigstore-bundle', signer: 'release', role: 'signature', predicateType: signPredicate, validUntil: undefined, warnings: [] });
  });

  it('classifies other predicate types as attestations, for v0.1 and v0.2 media types too', () => {
    for (const mediaType of ['application/vnd.dev.sigstore.bundle+json;version=0.1', 'application/vnd.dev.sigstore.bundle+json;version=0.2']) {
      const verdict = verifySigstoreBundle({ bundle: bundle(envelope(key.privateKey, statement('https://slsa.dev/provenance/v1')), keyMaterial, mediaType), subject: { digest: image }, trust: { keys: [release], roots: [] } });
      assert.ok(verdict.valid && verdict.role === 'attestation' && verdict.predicateType === 'https://slsa.dev/provenance/v1');
    }
  });

  it('refuses a statement about another digest, a tampered payload, and another key', () => {
    const trust = { keys: [release], roots: [] };
    rejected(verifySigstoreBundle({ bundle: bundle(envelope(key.privateKey, statement(signPredicate, 'd'.repeat(64))), keyMaterial), subject: { digest: image }, trust }), 'wrong-subject', new RegExp(`statement names sha256:${'d'.repeat(64)}, not the pulled digest ${image}`));
    const signed = envelope(key.privateKey, statement(signPredicate));
    const tampered = { ...signed, payload: Buffer.from(statement(signPredicate).toString().replace('"predicate":{}', '"predicate":{"x":1}')).toString('base64') };
    rejected(verifySigstoreBundle({ bundle: bundle(tampered, keyMaterial), subject: { digest: image }, trust }), 'bad-signature', /does not match the trusted key "release" its bundle names/);
    const stranger = generateKey('ec-p256');
    rejected(verifySigstoreBundle({ bundle: bundle(envelope(stranger.privateKey, statement(signPredicate)), { publicKey: { hint: 'aGludA==' } }), subject: { digest: image }, trust }), 'untrusted-signer', /does not match any of the project's 1 trusted cosign key/);
  });

  it('refuses a signature over the raw payload rather than the PAE, and a payload replayed under another type', () => {
    const payload = statement(signPredicate);
    const raw = { payload: payload.toString('base64'), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: sign('sha256', payload, key.privateKey).toString('base64') }] };
    rejected(verifySigstoreBundle({ bundle: bundle(raw, keyMaterial), subject: { digest: image }, trust: { keys: [release], roots: [] } }), 'bad-signature', /does not match/);
    const otherType = envelope(key.privateKey, payload, 'application/json');
    rejected(verifySigstoreBundle({ bundle: bundle(otherType, keyMaterial), subject: { digest: image }, trust: { keys: [release], roots: [] } }), 'malformed', /payload type application\/json is not application\/vnd\.in-toto\+json/);
  });

  it('answers keyless (Fulcio certificate with a Rekor entry) as not verifiable offline', () => {
    const pki = new TestPki();
    after(() => pki.close());
    const fulcio = pki.selfSigned({ subject: '/O=sigstore.dev/CN=sigstore' });
    const leaf = pki.issue(fulcio, { subject: '/O=sigstore.dev', extensions: [...extensions.codeSigning, 'subjectAltName=email:someone@example.com', '1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://accounts.example.com'] });
    const material = { certificate: { rawBytes: leaf.der.toString('base64') }, tlogEntries: [{ logIndex: '1' }] };
    rejected(verifySigstoreBundle({ bundle: bundle(envelope(leaf.privateKey, statement(signPredicate)), material), subject: { digest: image }, trust: { keys: [release], roots: [] } }), 'unsupported', /keyless signatures need Fulcio's roots and a Rekor log entry or timestamp, which Berth does not verify offline/);
    // The same certificate under a CA the project does trust verifies fully offline.
    const verdict = verifySigstoreBundle({ bundle: bundle(envelope(leaf.privateKey, statement(signPredicate)), { x509CertificateChain: { certificates: [{ rawBytes: leaf.der.toString('base64') }] } }, 'application/vnd.dev.sigstore.bundle+json;version=0.2'), subject: { digest: image }, trust: { keys: [], roots: [fulcio.certificate] } });
    assert.ok(verdict.valid && verdict.signer === 'someone@example.com', JSON.stringify(verdict));
  });

  it('answers hostile and malformed bundles with reasons', () => {
    const trust = { keys: [release], roots: [] };
    const check = (bytes: Buffer) => verifySigstoreBundle({ bundle: bytes, subject: { digest: image }, trust });
    const good = bundle(envelope(key.privateKey, statement(signPredicate)), keyMaterial);
    rejected(check(good.subarray(0, good.length / 2)), 'malformed', /not a JSON object/);
    rejected(check(Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.4+json"}')), 'unsupported', /is not a sigstore bundle v0\.1 to v0\.3/);
    rejected(check(Buffer.from(JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', messageSignature: {} }))), 'unsupported', /message-signature bundles/);
    rejected(check(bundle({ payload: '@@@', payloadType: 'x', signatures: [{ sig: 'AA==' }] }, keyMaterial)), 'malformed', /no base64 payload/);
    rejected(check(bundle({ payload: 'e30=', payloadType: 'x', signatures: Array.from({ length: 1000 }, () => ({ sig: 'AA==' })) }, keyMaterial)), 'malformed', /1000 signatures, more than 16/);
    rejected(check(bundle(envelope(key.privateKey, statement(signPredicate)), { certificate: { rawBytes: 'not base64!' } })), 'malformed', /not base64 DER/);
    rejected(check(Buffer.alloc(4 * 1024 * 1024, 0x7b)), 'malformed', /over the 1 MiB limit/);
  });
});

describe('cosign legacy attestations (.att)', () => {
  const key = generateKey('ed25519');
  const release = trusted('release', key.publicPem);
  const layer = Buffer.from(JSON.stringify(envelope(key.privateKey, statement('https://slsa.dev/provenance/v0.2', imageHex, 'https://in-toto.io/Statement/v0.1'))));
  const digest = `sha256:${createHash('sha256').update(layer).digest('hex')}`;

  it('verifies the DSSE layer as an attestation, never a signature', () => {
    const verdict = verifyCosignAttestation({ envelope: layer, layerDigest: digest, subject: { digest: image }, trust: { keys: [release], roots: [] } });
    assert.ok(verdict.valid && verdict.role === 'attestation' && verdict.format === 'cosign-attestation', JSON.stringify(verdict));
  });

  it('refuses another subject, a layer that is not its digest, and truncated JSON', () => {
    rejected(verifyCosignAttestation({ envelope: layer, layerDigest: digest, subject: { digest: `sha256:${'e'.repeat(64)}` }, trust: { keys: [release], roots: [] } }), 'wrong-subject', /not the pulled digest/);
    rejected(verifyCosignAttestation({ envelope: layer, layerDigest: `sha256:${'0'.repeat(64)}`, subject: { digest: image }, trust: { keys: [release], roots: [] } }), 'malformed', /do not match the layer digest/);
    const truncated = layer.subarray(0, 30);
    rejected(verifyCosignAttestation({ envelope: truncated, layerDigest: `sha256:${createHash('sha256').update(truncated).digest('hex')}`, subject: { digest: image }, trust: { keys: [release], roots: [] } }), 'malformed', /not a JSON object/);
  });
});
