import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { certificateFacts } from '../../src/signatures/certificate-facts.js';
import { anchorChain, checkChainStructure, parseTrustAnchors, pemCertificates, readChain, verifyCertificateChain } from '../../src/signatures/x509-chain.js';
import { daysFromNow, extensions, type TestCertificate, TestPki } from '../support/signature-pki.js';

// Checked a minute on: a certificate starts in the second it is issued, which can fall after this module
// was loaded, so "now" taken at load time could precede the certificates made in before().
const now = new Date(Date.now() + 60_000);

function refused(result: { ok: boolean; reason?: string }, pattern: RegExp): void {
  assert.equal(result.ok, false, 'expected a refusal');
  assert.match(result.reason!, pattern);
}

describe('certificate chains', () => {
  const pki = new TestPki();
  let root: TestCertificate;
  let intermediate: TestCertificate;
  let leaf: TestCertificate;
  before(() => {
    root = pki.selfSigned({ subject: '/C=US/ST=WA/O=Berth Test/CN=Root' });
    intermediate = pki.issue(root, { subject: '/C=US/ST=WA/O=Berth Test/CN=Intermediate', extensions: extensions.intermediate, key: 'ec-p384' });
    leaf = pki.issue(intermediate, { subject: '/C=US/ST=WA/O=Berth Test/CN=Signer', extensions: [...extensions.codeSigning, 'subjectAltName=email:dev@example.com'], days: 2 });
  });
  after(() => pki.close());

  it('reads what Node does not expose: keyUsage bits and criticality, basicConstraints, EKU, SAN, subject', () => {
    const facts = certificateFacts(leaf.der);
    assert.deepEqual([...facts.keyUsage!.usages], ['digitalSignature']);
    assert.equal(facts.keyUsage!.critical, true);
    assert.deepEqual(facts.basicConstraints, { critical: true, ca: false, pathLength: undefined });
    assert.deepEqual(facts.extendedKeyUsage, ['1.3.6.1.5.5.7.3.3']);
    assert.deepEqual(facts.emails, ['dev@example.com']);
    assert.deepEqual(facts.subject.map((attribute) => `${attribute.type}=${attribute.value}`), ['C=US', 'ST=WA', 'O=Berth Test', 'CN=Signer']);
    assert.equal(facts.signatureAlgorithm, '1.2.840.10045.4.3.2');
    const ca = certificateFacts(intermediate.der);
    assert.deepEqual(ca.basicConstraints, { critical: true, ca: true, pathLength: 0 });
    assert.deepEqual([...ca.keyUsage!.usages].sort(), ['cRLSign', 'keyCertSign']);
  });

  it('verifies leaf → intermediate → root against the root, and with the root left out of the chain', () => {
    const full = verifyCertificateChain([leaf.der, intermediate.der, root.der], [root.certificate], 'cosign', now);
    assert.ok(full.ok, full.ok ? '' : full.reason);
    assert.equal(full.value.path.length, 3);
    const short = verifyCertificateChain([leaf.der, intermediate.der], [root.certificate], 'cosign', now);
    assert.ok(short.ok, short.ok ? '' : short.reason);
    assert.equal(short.value.path.at(-1)!.fingerprint256, root.certificate.fingerprint256);
  });

  it('accepts an intermediate as the trust anchor', () => {
    assert.ok(verifyCertificateChain([leaf.der, intermediate.der], [intermediate.certificate], 'cosign', now).ok);
  });

  it('refuses a chain that leads to another root', () => {
    const other = pki.selfSigned({ subject: '/C=US/ST=WA/O=Elsewhere/CN=Other Root' });
    refused(verifyCertificateChain([leaf.der, intermediate.der, root.der], [other.certificate], 'cosign', now), /does not lead to a trusted root/);
  });

  it('refuses a root that pretends to have issued a certificate it did not sign', () => {
    // A certificate from another CA with the same names: only the signature tells them apart.
    const impostor = pki.selfSigned({ subject: '/C=US/ST=WA/O=Berth Test/CN=Intermediate' });
    refused(verifyCertificateChain([leaf.der, impostor.der], [impostor.certificate], 'cosign', now), /was not issued by the next certificate/);
  });

  it('reports an expired leaf with its date, and a chain checked before its start', () => {
    refused(verifyCertificateChain([leaf.der, intermediate.der], [root.certificate], 'cosign', daysFromNow(3)), /certificate "C=US, ST=WA, O=Berth Test, CN=Signer" expired on \d{4}-/);
    const result = verifyCertificateChain([leaf.der, intermediate.der], [root.certificate], 'cosign', daysFromNow(3));
    assert.equal(result.ok ? '' : result.failure, 'expired');
    refused(verifyCertificateChain([leaf.der, intermediate.der], [root.certificate], 'cosign', daysFromNow(-3)), /is not valid before/);
  });

  it('refuses an issuer that is not a CA, and one beyond its path length', () => {
    const notCa = pki.issue(root, { subject: '/C=US/ST=WA/O=Berth Test/CN=Not a CA', extensions: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyCertSign'] });
    const below = pki.issue(notCa, { subject: '/C=US/ST=WA/O=Berth Test/CN=Below' });
    refused(verifyCertificateChain([below.der, notCa.der, root.der], [root.certificate], 'cosign', now), /is not a CA/);
    const deeper = pki.issue(intermediate, { subject: '/C=US/ST=WA/O=Berth Test/CN=Sub CA', extensions: extensions.intermediate });
    const deepLeaf = pki.issue(deeper, { subject: '/C=US/ST=WA/O=Berth Test/CN=Deep' });
    refused(verifyCertificateChain([deepLeaf.der, deeper.der, intermediate.der, root.der], [root.certificate], 'cosign', now), /allows 0 intermediate CAs below it, the chain has 1/);
  });

  it('refuses certificates signed with SHA-1, and RSA keys under 2048 bits', () => {
    const rsaRoot = pki.selfSigned({ subject: '/C=US/ST=WA/O=Berth Test/CN=RSA Root', key: 'rsa-2048' });
    const weak = pki.issue(rsaRoot, { subject: '/C=US/ST=WA/O=Berth Test/CN=SHA1', digest: 'sha1' });
    refused(verifyCertificateChain([weak.der, rsaRoot.der], [rsaRoot.certificate], 'cosign', now), /signed with SHA-1 with RSA, which is not accepted/);
    const small = pki.issue(root, { subject: '/C=US/ST=WA/O=Berth Test/CN=Small', key: 'rsa-1024' });
    refused(verifyCertificateChain([small.der, root.der], [root.certificate], 'cosign', now), /RSA key of 1024 bits is too short/);
  });

  it('holds cosign leaves to the code-signing EKU and notation leaves to a critical digitalSignature key usage', () => {
    const server = pki.issue(root, { subject: '/C=US/ST=WA/O=Berth Test/CN=Server', extensions: ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth'] });
    const chain = readChain([server.der, root.der]);
    assert.ok(chain.ok);
    refused(checkChainStructure(chain.value, 'cosign'), /lacks the code-signing extended key usage/);
    refused(checkChainStructure(chain.value, 'notation'), /is made for serverAuth, not code signing/);
    const loose = pki.issue(root, { subject: '/C=US/ST=WA/O=Berth Test/CN=Loose', extensions: ['keyUsage=digitalSignature'] });
    const looseChain = readChain([loose.der, root.der]);
    assert.ok(looseChain.ok);
    refused(checkChainStructure(looseChain.value, 'notation'), /must mark keyUsage critical/);
  });

  it('refuses a certificate with a critical extension it does not understand', () => {
    const odd = pki.issue(root, { subject: '/C=US/ST=WA/O=Berth Test/CN=Odd', extensions: [...extensions.codeSigning, 'nameConstraints=critical,permitted;DNS:example.com'] });
    refused(verifyCertificateChain([odd.der, root.der], [root.certificate], 'cosign', now), /critical extension 2\.5\.29\.30 that Berth does not check/);
  });

  it('refuses a chain of 1,000 certificates before parsing any', () => {
    const hostile = Array.from({ length: 1000 }, () => leaf.der);
    refused(verifyCertificateChain(hostile, [root.certificate], 'cosign', now), /chain of 1000 certificates is longer than the limit of 10/);
    const pem = Array.from({ length: 1000 }, () => leaf.pem).join('\n');
    refused(pemCertificates(pem), /chain of 1000 certificates is longer than the limit/);
  });

  it('refuses garbage where a certificate should be, with the position', () => {
    refused(readChain([leaf.der, Buffer.from('not a certificate')]), /certificate 2 of the chain cannot be read/);
    refused(readChain([leaf.der.subarray(0, 100)]), /certificate 1 of the chain cannot be read/);
    refused(readChain([]), /no certificate/);
    refused(pemCertificates('-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----'), /not base64/);
  });

  it('reads trust anchors from a PEM bundle and anchors by fingerprint', () => {
    const anchors = parseTrustAnchors(`${root.pem}\n${intermediate.pem}`);
    assert.ok(anchors.ok);
    assert.equal(anchors.value.length, 2);
    const chain = readChain([leaf.der, intermediate.der, root.der]);
    assert.ok(chain.ok);
    const path = anchorChain(chain.value, anchors.value);
    assert.ok(path.ok);
    assert.equal(path.value.length, 2, 'the walk stops at the first trusted certificate');
  });
});
