/**
 * Certificate signatures under a project's trust: cosign's simple-signing layers carrying the signing certificate
 * and its chain (as `cosign sign --certificate --certificate-chain` writes them), verified against the CA
 * certificates the project trusts and the signer identities it requires. A certificate from another CA, another
 * identity, an expired certificate and a CA upload that is no CA are refused, each with its reason.
 */
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { adminPassword, createProject, createUser, errorMessage, expectStatus, setRole, startApiBerth, type ApiBerth, type ApiClient } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { blobOf, buildImage, finish, mediaTypes, type BuiltManifest, pushManifestAs } from '../support/image-builder.js';
import { extensions, TestPki, type TestCertificate } from '../support/signature-pki.js';

const adminAuth = basic('admin', adminPassword);
const codeSigning = (email: string): string[] => [...extensions.codeSigning, `subjectAltName=email:${email}`];

function payloadFor(digest: string): Buffer {
  return Buffer.from(JSON.stringify({
    critical: { identity: { 'docker-reference': 'localhost/team/app' }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
    optional: null,
  }));
}

/** A `.sig` manifest whose one layer is signed with `leaf`'s key and carries `leaf` and `chain` as cosign puts them. */
function certificateSignature(digest: string, leaf: TestCertificate, chain: readonly TestCertificate[]): BuiltManifest {
  const payload = payloadFor(digest);
  const config = blobOf(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [] } }), mediaTypes.ociConfig);
  const layer = blobOf(payload, 'application/vnd.dev.cosign.simplesigning.v1+json');
  return finish({
    schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: config.descriptor,
    layers: [{
      ...layer.descriptor,
      annotations: {
        'dev.cosignproject.cosign/signature': sign('sha256', payload, leaf.privateKey).toString('base64'),
        'dev.sigstore.cosign/certificate': leaf.pem,
        'dev.sigstore.cosign/chain': chain.map((certificate) => certificate.pem).join(''),
      },
    }],
  }, mediaTypes.ociManifest, [config, layer]);
}

describe('signature trust (CA certificates and signer identities)', { timeout: 120_000 }, () => {
  let api: ApiBerth;
  let guest: ApiClient;
  const pki = new TestPki();
  let root: TestCertificate;
  let intermediate: TestCertificate;
  let otherRoot: TestCertificate;

  const push = (repository: string, reference: string, manifest: BuiltManifest): Promise<void> =>
    pushManifestAs(api.registry.url, adminAuth, repository, reference, manifest);

  /** A new image in team/app, signed with `leaf` (and its chain): its digest. */
  async function signedImage(tag: string, leaf: TestCertificate, chain: readonly TestCertificate[]): Promise<string> {
    const image = buildImage();
    await push('team/app', tag, image);
    await push('team/app', `${image.digest.replace(':', '-')}.sig`, certificateSignature(image.digest, leaf, chain));
    return image.digest;
  }

  const pull = (reference: string) => guest.request('GET', `/v2/team/app/manifests/${reference}`, undefined, { accept: mediaTypes.ociManifest });

  before(async () => {
    root = pki.selfSigned({ subject: '/CN=Example Root CA' });
    intermediate = pki.issue(root, { subject: '/CN=Example Signing CA', extensions: extensions.intermediate });
    otherRoot = pki.selfSigned({ subject: '/CN=Somebody Else CA' });
    api = await startApiBerth();
    await createProject(api.admin, 'team');
    guest = await createUser(api.admin, 'gail');
    await setRole(api.admin, 'team', 'user', 'gail', 'guest');
  });
  after(async () => {
    await api?.close();
    pki.close();
  });

  it('takes CA certificates, and refuses a leaf certificate or no certificate as a CA', async () => {
    const leaf = pki.issue(intermediate, { subject: '/CN=release', extensions: codeSigning('release@example.com') });
    const notCa = expectStatus(await api.admin.post('/api/v1/projects/team/trust/keys', { name: 'leaf', caCertificates: leaf.pem }), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(notCa), /CN=release is not a CA certificate/);
    const junk = expectStatus(await api.admin.post('/api/v1/projects/team/trust/keys', { name: 'junk', caCertificates: 'no pem here' }), 400);
    assert.match(errorMessage(junk), /caCertificates/);
    expectStatus(await api.admin.post('/api/v1/projects/team/trust/keys', { name: 'both', caCertificates: root.pem, cosignKey: root.publicPem }), 400);
    const added = expectStatus(await api.admin.post('/api/v1/projects/team/trust/keys', { name: 'corporate', caCertificates: root.pem }), 201).body;
    assert.deepEqual([added.kind, added.hint], ['ca-roots', root.certificate.fingerprint256]);
    expectStatus(await api.admin.put('/api/v1/projects/team/trust', { mode: 'enforce' }), 200);
  });

  it('serves an image signed with a certificate chaining to a trusted CA, and names the signer by its identity', async () => {
    const leaf = pki.issue(intermediate, { subject: '/CN=release', extensions: codeSigning('release@example.com') });
    const digest = await signedImage('by-release', leaf, [intermediate, root]);
    expectStatus(await pull('by-release'), 200);
    const status = expectStatus(await guest.get(`/api/v1/signatures?repository=team/app&reference=${digest}`), 200).body;
    // The verdict holds until the first certificate of the chain expires (the intermediate was made a moment earlier).
    const firstExpiry = Math.min(...[leaf, intermediate, root].map((certificate) => Date.parse(certificate.certificate.validTo)));
    assert.deepEqual([status.verified, status.signatures[0].signer, status.signatures[0].validUntil], [true, 'release@example.com', new Date(firstExpiry).toISOString()]);
  });

  it('refuses a certificate from another CA, and one whose chain does not reach the trusted CA', async () => {
    const stranger = pki.issue(otherRoot, { subject: '/CN=mallory', extensions: codeSigning('mallory@example.com') });
    await signedImage('by-stranger', stranger, [otherRoot]);
    const refused = expectStatus(await pull('by-stranger'), 403, 'DENIED');
    assert.match(errorMessage(refused), /none of its 1 signature is valid from a key the project trusts/);
    const status = expectStatus(await guest.get('/api/v1/signatures?repository=team/app&reference=by-stranger'), 200).body;
    assert.equal(status.signatures[0].failure, 'untrusted-signer');
  });

  it('holds certificate signers to the identities the project requires', async () => {
    const shown = expectStatus(await api.admin.put('/api/v1/projects/team/trust', { identities: [{ subject: 'release@example.com' }] }), 200).body;
    assert.deepEqual([shown.mode, shown.identities], ['enforce', [{ subject: 'release@example.com', issuer: null }]]);
    expectStatus(await pull('by-release'), 200);
    const intern = pki.issue(intermediate, { subject: '/CN=intern', extensions: codeSigning('intern@example.com') });
    await signedImage('by-intern', intern, [intermediate, root]);
    const refused = expectStatus(await pull('by-intern'), 403, 'DENIED');
    assert.match(errorMessage(refused), /intern@example\.com/);
    expectStatus(await api.admin.put('/api/v1/projects/team/trust', { identities: [] }), 200);
    expectStatus(await pull('by-intern'), 200);
    expectStatus(await api.admin.put('/api/v1/projects/team/trust', {}), 400);
  });

  it('refuses a signature whose certificate has expired, saying so', async () => {
    // Valid for no time at all: expired a second later (openssl 3.0 cannot backdate a certificate).
    const brief = pki.issue(intermediate, { subject: '/CN=release', extensions: codeSigning('release@example.com'), days: 0 });
    await sleep(1_100);
    await signedImage('expired', brief, [intermediate, root]);
    const refused = expectStatus(await pull('expired'), 403, 'DENIED');
    assert.match(errorMessage(refused), /expired/);
    const status = expectStatus(await guest.get('/api/v1/signatures?repository=team/app&reference=expired'), 200).body;
    assert.deepEqual([status.verified, status.signatures[0].failure], [false, 'expired']);
  });
});
