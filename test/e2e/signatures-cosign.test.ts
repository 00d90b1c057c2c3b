/**
 * Real cosign signatures stored in Berth, checked twice: by cosign itself (`cosign verify`, offline) and by Berth's
 * own verification core (src/signatures/) over the exact manifests and blobs Berth serves. Every way cosign 2.5
 * stores a signature is covered: the legacy `.sig` tag, an OCI 1.1 referrer (`--registry-referrers-mode=oci-1-1`),
 * sigstore bundles as referrers (`attest --new-bundle-format`, including the `https://sigstore.dev/cosign/sign/v1`
 * predicate cosign ≥2.6 signs with), the legacy `.att` tag, and certificates from a private CA. The refusals are made
 * from real artifacts too: another key, a signature copied onto another image, a tampered layer, an expired
 * certificate.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CosignTrust } from '../../src/signatures/cosign-signer.js';
import { verifyCosignAttestation } from '../../src/signatures/cosign-attestation.js';
import { cosignAnnotations, verifyCosignSimpleSigning } from '../../src/signatures/cosign-simple-signing.js';
import { cosignSignPredicate } from '../../src/signatures/in-toto-statement.js';
import { parseTrustedKey, type TrustedKey } from '../../src/signatures/public-keys.js';
import { classifySignatureManifest, cosignTagFor, signatureMediaTypes, type SignatureKind } from '../../src/signatures/signature-kinds.js';
import { verifySigstoreBundle } from '../../src/signatures/sigstore-bundle.js';
import type { FailureKind, SignatureVerdict } from '../../src/signatures/verdict.js';
import { parseTrustAnchors } from '../../src/signatures/x509-chain.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { certifyCosignKey, CosignClient, cosignMissing, type CertifiedKey, type CosignKeyPair } from '../support/clients/cosign.js';
import { getManifest, listTags, putManifest } from '../support/clients/registry-api.js';
import { buildImage, pushBlob, pushManifest, type BuiltManifest } from '../support/image-builder.js';
import { daysFromNow, extensions, type TestCertificate, TestPki } from '../support/signature-pki.js';

const timeout = 180_000;
const repository = 'e2e/signed';
const bundleType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const customPredicate = 'https://berth.example/e2e/build/v1';

interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

interface SignatureManifest {
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: Descriptor[];
  readonly subject?: Descriptor;
}

/** A signature manifest exactly as Berth serves it, with each layer's blob. */
interface StoredSignature {
  readonly digest: string;
  readonly bytes: Buffer;
  readonly manifest: SignatureManifest;
  readonly kind: SignatureKind;
  readonly blobs: Buffer[];
}

describe('real cosign signatures in Berth, verified by cosign and by Berth\'s verification core', { timeout, skip: cosignMissing }, () => {
  let berth: BerthProcess;
  let cosign: CosignClient;
  let pki: TestPki;
  let release: CosignKeyPair;
  let stranger: CosignKeyPair;
  let releaseKey: TrustedKey;
  let strangerKey: TrustedKey;
  let root: TestCertificate;
  let intermediate: TestCertificate;
  let chainFile: string;
  let certificate: CertifiedKey;
  const byRelease = (): CosignTrust => ({ keys: [releaseKey], roots: [] });

  const pushImage = async (tag: string): Promise<BuiltManifest> => {
    const image = buildImage();
    await pushManifest(berth.url, repository, tag, image);
    return image;
  };
  const blob = async (digest: string): Promise<Buffer> => {
    const response = await fetch(`${berth.url}/v2/${repository}/blobs/${digest}`);
    assert.equal(response.status, 200, `blob ${digest}`);
    return Buffer.from(await response.arrayBuffer());
  };
  /** What discovery reads: the manifest at a tag or digest, its kind, and the blob of each layer. */
  const readSignature = async (reference: string): Promise<StoredSignature> => {
    const fetched = await getManifest(berth.url, repository, reference);
    assert.equal(fetched.status, 200, `signature manifest ${reference}: ${fetched.bytes.toString()}`);
    const manifest = JSON.parse(fetched.bytes.toString('utf8')) as SignatureManifest;
    return { digest: fetched.digest, bytes: fetched.bytes, manifest, kind: classifySignatureManifest(manifest), blobs: await Promise.all(manifest.layers.map((layer) => blob(layer.digest))) };
  };
  const referrers = async (digest: string, artifactType?: string): Promise<Descriptor[]> => {
    const query = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`;
    const response = await fetch(`${berth.url}/v2/${repository}/referrers/${digest}${query}`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { manifests: Descriptor[] }).manifests;
  };
  /** Berth's core over every signature layer of a stored manifest, as the pulled `subject` would be checked. */
  const verifyStored = (stored: StoredSignature, subject: string, trust: CosignTrust, at?: Date): SignatureVerdict[] => {
    assert.notEqual(stored.kind.kind, 'not-a-signature', JSON.stringify(stored.kind));
    if (stored.kind.kind === 'not-a-signature') return [];
    const { kind } = stored.kind;
    return stored.kind.layers.map((index) => {
      const layer = stored.manifest.layers[index]!;
      const bytes = stored.blobs[index]!;
      switch (kind) {
        case 'cosign-simple-signing': return verifyCosignSimpleSigning({ payload: bytes, layer, subject: { digest: subject }, trust, at });
        case 'sigstore-bundle': return verifySigstoreBundle({ bundle: bytes, subject: { digest: subject }, trust, at });
        case 'cosign-attestation': return verifyCosignAttestation({ envelope: bytes, layerDigest: layer.digest, subject: { digest: subject }, trust, at });
        default: return assert.fail(`cosign made a ${kind} signature`);
      }
    });
  };
  const refused = (verdict: SignatureVerdict | undefined, failure: FailureKind, reason: RegExp): void => {
    assert.ok(verdict !== undefined && !verdict.valid, `expected a refusal, got ${JSON.stringify(verdict)}`);
    assert.equal(verdict.failure, failure, verdict.reason);
    assert.match(verdict.reason, reason);
  };
  const trusted = (name: string, pem: string): TrustedKey => {
    const parsed = parseTrustedKey(name, pem);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    return parsed.value;
  };
  const anchors = (...certificates: TestCertificate[]): CosignTrust['roots'] => {
    const parsed = parseTrustAnchors(certificates.map((entry) => entry.pem).join(''));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    return parsed.value;
  };
  /** A statement's payload, decoded from the DSSE envelope of a bundle. */
  const bundleStatement = (bundle: Buffer): { predicateType: string; subject: { digest: Record<string, string> }[] } =>
    JSON.parse(Buffer.from((JSON.parse(bundle.toString('utf8')) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64').toString('utf8'));

  before(async () => {
    berth = await startBerthProcess();
    cosign = new CosignClient({ registry: berth.hostPort });
    [release, stranger] = [await cosign.generateKeyPair('release'), await cosign.generateKeyPair('stranger')];
    releaseKey = trusted('release', release.publicPem);
    strangerKey = trusted('stranger', stranger.publicPem);
    pki = new TestPki();
    root = pki.selfSigned({ subject: '/CN=Berth e2e signing root' });
    intermediate = pki.issue(root, { subject: '/CN=Berth e2e signing intermediate', extensions: extensions.intermediate });
    chainFile = join(cosign.dir, 'chain.pem');
    writeFileSync(chainFile, intermediate.pem + root.pem);
    certificate = certifyCosignKey(cosign.dir, intermediate, release, { subject: '/CN=release', email: 'release@berth.example' });
  });

  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    cosign?.close();
    pki?.close();
  });

  describe('the legacy .sig tag', () => {
    it('stores a keyed signature with annotations that cosign and Berth\'s core both accept', { timeout }, async () => {
      const image = await pushImage('legacy');
      const reference = cosign.reference(repository, image.digest);
      await cosign.sign(reference, release, { annotations: { team: 'blue', build: '42' } });
      const payloads = await cosign.verify(reference, { key: release }, { annotations: { team: 'blue' } });
      assert.equal(payloads.length, 1);

      const tag = cosignTagFor(image.digest, 'sig')!;
      assert.ok((await listTags(berth.url, repository)).includes(tag), `cosign pushed ${tag}`);
      const stored = await readSignature(tag);
      assert.deepEqual(stored.kind, { kind: 'cosign-simple-signing', layers: [0] });
      assert.equal(stored.manifest.layers[0]!.mediaType, signatureMediaTypes.cosignSimpleSigning);
      const payload = JSON.parse(stored.blobs[0]!.toString('utf8')) as { critical: { identity: Record<string, string>; image: Record<string, string> }; optional: unknown };
      assert.deepEqual(payload.critical.image, { 'docker-manifest-digest': image.digest });
      assert.deepEqual(payload.critical.identity, { 'docker-reference': `${berth.hostPort}/${repository}` });
      assert.deepEqual(payload.optional, { build: '42', team: 'blue' });

      assert.deepEqual(verifyStored(stored, image.digest, byRelease()), [
        { valid: true, tool: 'cosign', format: 'cosign-simple-signing', signer: 'release', role: 'signature', validUntil: undefined, warnings: [] },
      ]);
    });

    it('refuses a signature by a key the project does not trust, layer by layer as cosign appends them', { timeout }, async () => {
      const image = await pushImage('two-signers');
      const reference = cosign.reference(repository, image.digest);
      await cosign.sign(reference, stranger);
      assert.match(await cosign.verifyRefused(reference, { key: release }), /no matching signatures/);
      const tag = cosignTagFor(image.digest, 'sig')!;
      refused(verifyStored(await readSignature(tag), image.digest, byRelease())[0], 'untrusted-signer', /does not match any of the project's 1 trusted cosign key/);

      // A second signature is a second layer of the same tag: the trusted one verifies, the other is still refused.
      await cosign.sign(reference, release);
      const [first, second] = verifyStored(await readSignature(tag), image.digest, byRelease());
      refused(first, 'untrusted-signer', /trusted cosign key/);
      assert.equal(second?.valid, true, JSON.stringify(second));
      assert.deepEqual(verifyStored(await readSignature(tag), image.digest, { keys: [strangerKey, releaseKey], roots: [] })
        .map((verdict) => (verdict.valid ? verdict.signer : verdict.reason)), ['stranger', 'release']);
    });

    it('refuses a signature copied onto another image as signing a different digest', { timeout }, async () => {
      const signed = await pushImage('copied-from');
      const other = await pushImage('copied-to');
      await cosign.sign(cosign.reference(repository, signed.digest), release);
      const original = await readSignature(cosignTagFor(signed.digest, 'sig')!);
      const copy = await putManifest(berth.url, repository, cosignTagFor(other.digest, 'sig')!, original.bytes, 'application/vnd.oci.image.manifest.v1+json');
      assert.equal(copy.status, 201, copy.body);

      assert.match(await cosign.verifyRefused(cosign.reference(repository, other.digest), { key: release }), /no matching signatures/);
      const stored = await readSignature(cosignTagFor(other.digest, 'sig')!);
      refused(verifyStored(stored, other.digest, byRelease())[0], 'wrong-subject', new RegExp(`payload names ${signed.digest}, not the pulled digest ${other.digest}`));
    });

    it('refuses a tampered layer, pushed to Berth as a new blob under the same signature', { timeout }, async () => {
      const image = await pushImage('tampered');
      const reference = cosign.reference(repository, image.digest);
      await cosign.sign(reference, release, { annotations: { team: 'blue' } });
      const tag = cosignTagFor(image.digest, 'sig')!;
      const original = await readSignature(tag);
      const payload = original.blobs[0]!;

      // The bytes alone, against the layer's digest: they no longer match it.
      const tamperedPayload = Buffer.from(payload.toString('utf8').replace('"team":"blue"', '"team":"gray"'));
      assert.notDeepEqual(tamperedPayload, payload);
      refused(verifyCosignSimpleSigning({ payload: tamperedPayload, layer: original.manifest.layers[0]!, subject: { digest: image.digest }, trust: byRelease() }),
        'malformed', /do not match the layer digest/);

      // Re-pushed consistently (new blob, new layer digest, the old signature annotation), as an attacker with push rights could.
      const tamperedLayer = await pushBlob(berth.url, repository, tamperedPayload);
      const manifest = { ...original.manifest, layers: [{ ...original.manifest.layers[0]!, digest: tamperedLayer.digest, size: tamperedPayload.length }] };
      const put = await putManifest(berth.url, repository, tag, Buffer.from(JSON.stringify(manifest)), 'application/vnd.oci.image.manifest.v1+json');
      assert.equal(put.status, 201, put.body);
      assert.match(await cosign.verifyRefused(reference, { key: release }), /no matching signatures/);
      // With only a key (no certificate, no bundle hint), a signature over other bytes looks like one by an unknown key.
      refused(verifyStored(await readSignature(tag), image.digest, byRelease())[0], 'untrusted-signer', /does not match any of the project's 1 trusted cosign key/);
    });
  });

  describe('OCI 1.1 referrers (--registry-referrers-mode=oci-1-1)', () => {
    it('stores the signature as a referrer that Berth\'s referrers API lists and its core verifies', { timeout }, async () => {
      const image = await pushImage('referrer');
      const reference = cosign.reference(repository, image.digest);
      await cosign.sign(reference, release, { referrersMode: 'oci-1-1' });
      await cosign.verify(reference, { key: release }, { referrersMode: 'oci-1-1' });

      const listed = await referrers(image.digest);
      assert.equal(listed.length, 1, JSON.stringify(listed));
      assert.equal(listed[0]!.artifactType, signatureMediaTypes.cosignArtifactSignature, 'listed by its config type, as it sets no artifactType');
      assert.deepEqual((await referrers(image.digest, signatureMediaTypes.cosignArtifactSignature)).map((entry) => entry.digest), [listed[0]!.digest]);
      // Berth answers the referrers API, so cosign wrote neither the fallback index tag nor a .sig tag.
      const tags = await listTags(berth.url, repository);
      assert.ok(!tags.includes(cosignTagFor(image.digest, 'sig')!) && !tags.includes(cosignTagFor(image.digest, 'sig')!.slice(0, -4)), tags.join(', '));

      const stored = await readSignature(listed[0]!.digest);
      assert.equal(stored.manifest.subject?.digest, image.digest);
      assert.equal(stored.manifest.artifactType, undefined);
      assert.equal(stored.manifest.config.mediaType, signatureMediaTypes.cosignArtifactSignature);
      assert.deepEqual(stored.kind, { kind: 'cosign-simple-signing', layers: [0] });
      assert.deepEqual(verifyStored(stored, image.digest, byRelease()), [
        { valid: true, tool: 'cosign', format: 'cosign-simple-signing', signer: 'release', role: 'signature', validUntil: undefined, warnings: [] },
      ]);
      refused(verifyStored(stored, image.digest, { keys: [strangerKey], roots: [] })[0], 'untrusted-signer', /trusted cosign key/);
    });
  });

  describe('sigstore bundles (attest --new-bundle-format)', () => {
    let image: BuiltManifest;
    let signature: StoredSignature;
    let attestation: StoredSignature;

    let listed: Descriptor[];
    const byPredicate = (type: string): Descriptor => {
      const found = listed.find((entry) => entry.annotations?.['dev.sigstore.bundle.predicateType'] === type);
      assert.ok(found, `a referrer for ${type}: ${JSON.stringify(listed)}`);
      return found;
    };

    before(async () => {
      image = await pushImage('bundle');
      const reference = cosign.reference(repository, image.digest);
      // What cosign ≥2.6 `sign --new-bundle-format` pushes, made with 2.5's attest (SIGNATURES.md §2).
      await cosign.attest(reference, release, { predicateType: cosignSignPredicate, predicate: {}, newBundleFormat: true });
      await cosign.attest(reference, release, { predicateType: customPredicate, predicate: { builder: { id: 'berth-e2e' } }, newBundleFormat: true });
      listed = await referrers(image.digest, bundleType);
      signature = await readSignature(byPredicate(cosignSignPredicate).digest);
      attestation = await readSignature(byPredicate(customPredicate).digest);
    });

    it('stores a cosign/sign/v1 bundle and an attestation bundle as referrers that cosign verifies', { timeout }, async () => {
      const reference = cosign.reference(repository, image.digest);
      assert.equal((await cosign.verifyAttestation(reference, release, { predicateType: cosignSignPredicate, newBundleFormat: true })).length, 1);
      assert.equal((await cosign.verifyAttestation(reference, release, { predicateType: customPredicate, newBundleFormat: true })).length, 1);

      assert.equal(listed.length, 2, JSON.stringify(listed));
      for (const stored of [signature, attestation]) {
        assert.equal(stored.manifest.artifactType, bundleType);
        assert.equal(stored.manifest.subject?.digest, image.digest);
        assert.equal(stored.manifest.config.mediaType, 'application/vnd.oci.empty.v1+json');
        assert.deepEqual(stored.kind, { kind: 'sigstore-bundle', layers: [0] });
      }
      assert.deepEqual(bundleStatement(signature.blobs[0]!).subject.map((entry) => entry.digest), [{ sha256: image.digest.slice('sha256:'.length) }]);
    });

    it('verifies the sign/v1 bundle as a signature and the other as an attestation', { timeout }, () => {
      assert.deepEqual(verifyStored(signature, image.digest, byRelease()), [
        { valid: true, tool: 'cosign', format: 'sigstore-bundle', signer: 'release', role: 'signature', predicateType: cosignSignPredicate, validUntil: undefined, warnings: [] },
      ]);
      assert.deepEqual(verifyStored(attestation, image.digest, byRelease()), [
        { valid: true, tool: 'cosign', format: 'sigstore-bundle', signer: 'release', role: 'attestation', predicateType: customPredicate, validUntil: undefined, warnings: [] },
      ]);
    });

    it('refuses the real bundle for another image, by another key, and tampered', { timeout }, () => {
      const other = `sha256:${'0'.repeat(64)}`;
      refused(verifyStored(signature, other, byRelease())[0], 'wrong-subject', new RegExp(`statement names sha256:${image.digest.slice(7)}, not the pulled digest ${other}`));
      refused(verifyStored(signature, image.digest, { keys: [strangerKey], roots: [] })[0], 'untrusted-signer', /trusted cosign key/);

      // The statement re-encoded to name another image: the hint names the trusted key, whose signature no longer fits.
      const bundle = JSON.parse(signature.blobs[0]!.toString('utf8')) as { dsseEnvelope: { payload: string } };
      const statement = bundleStatement(signature.blobs[0]!);
      statement.subject[0]!.digest = { sha256: '0'.repeat(64) };
      bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
      refused(verifySigstoreBundle({ bundle: Buffer.from(JSON.stringify(bundle)), subject: { digest: other }, trust: byRelease() }),
        'bad-signature', /does not match the trusted key "release" its bundle names/);
    });
  });

  describe('the legacy .att tag (attest without --new-bundle-format)', () => {
    it('stores a DSSE attestation that Berth\'s core verifies as an attestation, never a signature', { timeout }, async () => {
      const image = await pushImage('attested');
      const reference = cosign.reference(repository, image.digest);
      await cosign.attest(reference, release, { predicateType: customPredicate, predicate: { builder: { id: 'berth-e2e' } } });
      assert.equal((await cosign.verifyAttestation(reference, release, { predicateType: customPredicate })).length, 1);

      const stored = await readSignature(cosignTagFor(image.digest, 'att')!);
      assert.deepEqual(stored.kind, { kind: 'cosign-attestation', layers: [0] });
      assert.deepEqual(verifyStored(stored, image.digest, byRelease()), [
        { valid: true, tool: 'cosign', format: 'cosign-attestation', signer: 'release', role: 'attestation', predicateType: customPredicate, warnings: [] },
      ]);
      refused(verifyStored(stored, image.digest, { keys: [strangerKey], roots: [] })[0], 'untrusted-signer', /trusted cosign key/);
      refused(verifyStored(stored, `sha256:${'1'.repeat(64)}`, byRelease())[0], 'wrong-subject', /not the pulled digest/);
    });
  });

  describe('certificates from a private CA (--certificate, --certificate-chain)', () => {
    it('stores the certificate and chain with the signature; cosign and Berth\'s core trust them through the root', { timeout }, async () => {
      const image = await pushImage('certified');
      const reference = cosign.reference(repository, image.digest);
      await cosign.sign(reference, release, { certificateFile: certificate.file, certificateChainFile: chainFile });
      await cosign.verify(reference, { certificateChainFile: chainFile, identity: 'release@berth.example' });

      const stored = await readSignature(cosignTagFor(image.digest, 'sig')!);
      const annotations = stored.manifest.layers[0]!.annotations ?? {};
      assert.equal(annotations[cosignAnnotations.certificate]?.trim(), certificate.pem.trim());
      assert.equal(annotations[cosignAnnotations.chain]?.trim(), (intermediate.pem + root.pem).trim());

      const byRoot: CosignTrust = { keys: [], roots: anchors(root) };
      assert.deepEqual(verifyStored(stored, image.digest, byRoot), [{
        valid: true, tool: 'cosign', format: 'cosign-simple-signing', signer: 'release@berth.example', role: 'signature',
        validUntil: new Date(certificate.certificate.validTo), warnings: [],
      }]);
      assert.equal(verifyStored(stored, image.digest, { ...byRoot, identities: [{ subject: 'release@berth.example' }] })[0]?.valid, true);
      refused(verifyStored(stored, image.digest, { ...byRoot, identities: [{ subject: 'someone@berth.example' }] })[0],
        'untrusted-signer', /certificate identity release@berth\.example .*is not one the project trusts/);
      refused(verifyStored(stored, image.digest, { keys: [], roots: [] })[0], 'untrusted-signer', /the project trusts no certificate roots/);
      const otherRoot = pki.selfSigned({ subject: '/CN=Someone else\'s root' });
      refused(verifyStored(stored, image.digest, { keys: [], roots: anchors(otherRoot) })[0], 'untrusted-signer', /does not lead to a trusted root/);

      // A tampered payload under a certificate: the signer is known, so this is a bad signature, not an unknown key.
      const tampered = Buffer.from(stored.blobs[0]!.toString('utf8').replace('"optional":null', '"optional":{"x":"y"}'));
      const layer = { ...stored.manifest.layers[0]!, digest: `sha256:${createHash('sha256').update(tampered).digest('hex')}` };
      refused(verifyCosignSimpleSigning({ payload: tampered, layer, subject: { digest: image.digest }, trust: byRoot }),
        'bad-signature', /does not match the key of certificate release@berth\.example/);
    });

    it('accepts a short-lived certificate while it is valid and refuses it as expired after its notAfter', { timeout }, async () => {
      const shortLived = certifyCosignKey(cosign.dir, intermediate, release, { subject: '/CN=short', email: 'short@berth.example', days: 1 });
      const image = await pushImage('short-lived');
      const reference = cosign.reference(repository, image.digest);
      await cosign.sign(reference, release, { certificateFile: shortLived.file, certificateChainFile: chainFile });
      await cosign.verify(reference, { certificateChainFile: chainFile, identity: 'short@berth.example' });

      const stored = await readSignature(cosignTagFor(image.digest, 'sig')!);
      const byRoot: CosignTrust = { keys: [], roots: anchors(root) };
      const now = verifyStored(stored, image.digest, byRoot)[0];
      assert.ok(now?.valid, JSON.stringify(now));
      assert.deepEqual(now.validUntil, new Date(shortLived.certificate.validTo), 'a cached verdict lasts until the certificate expires');
      refused(verifyStored(stored, image.digest, byRoot, daysFromNow(2))[0], 'expired', /certificate "CN=short" expired on/);
    });

    it('verifies a bundle that carries only the leaf when the project trusts the CA that issued it', { timeout }, async () => {
      const image = await pushImage('certified-bundle');
      const reference = cosign.reference(repository, image.digest);
      await cosign.attest(reference, release, { predicateType: cosignSignPredicate, predicate: {}, newBundleFormat: true,
        certificateFile: certificate.file, certificateChainFile: chainFile });
      const listed = await referrers(image.digest, bundleType);
      assert.equal(listed.length, 1);
      const stored = await readSignature(listed[0]!.digest);
      const material = (JSON.parse(stored.blobs[0]!.toString('utf8')) as { verificationMaterial: Record<string, unknown> }).verificationMaterial;
      assert.deepEqual(Object.keys(material), ['certificate'], 'cosign 2.5 puts the leaf alone in a v0.3 bundle, without the chain');

      assert.deepEqual(verifyStored(stored, image.digest, { keys: [], roots: anchors(root, intermediate) }), [{
        valid: true, tool: 'cosign', format: 'sigstore-bundle', signer: 'release@berth.example', role: 'signature', predicateType: cosignSignPredicate,
        validUntil: new Date(certificate.certificate.validTo), warnings: [],
      }]);
      // The root alone cannot vouch for it: the bundle does not say which intermediate issued the leaf.
      refused(verifyStored(stored, image.digest, { keys: [], roots: anchors(root) })[0], 'untrusted-signer', /does not lead to a trusted root/);
    });
  });
});
