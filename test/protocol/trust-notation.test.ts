/**
 * Notation signatures at the registry's policy point: a project's notation trust stores and its Notary Project trust
 * policy (scopes, trustedIdentities) decide which notation signatures, pushed as referrers as `notation sign` does
 * (test/support/notation-signatures.ts), let a pull through under enforce; per-platform enforcement makes each
 * platform of an index need its own signature; hostile signature artifacts (a 4 MiB manifest of 25,000 signatures,
 * `alg: none`, a 1,000-certificate chain, an envelope over the size bound, garbage) are refused with their reason and
 * never let a pull through.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminPassword, createProject, createUser, errorMessage, expectStatus, setRole, startApiBerth, type ApiBerth, type ApiClient } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { blobOf, buildImage, buildIndex, emptyConfig, finish, mediaTypes, type BuiltManifest, pushManifestAs } from '../support/image-builder.js';
import { notationJws, notationLeafExtensions, notationSignatureManifest, notationSignatureType } from '../support/notation-signatures.js';
import { type TestCertificate, TestPki } from '../support/signature-pki.js';

const adminAuth = basic('admin', adminPassword);
const releaseIdentity = 'x509.subject: C=US, ST=WA, O=Berth Test, OU=Release';

describe('signature trust (notation)', { timeout: 180_000 }, () => {
  let api: ApiBerth;
  let guest: ApiClient;
  let maintainer: ApiClient;
  const pki = new TestPki();
  let root: TestCertificate;
  let release: TestCertificate;
  let night: TestCertificate;
  const images: Record<string, BuiltManifest> = {};

  const push = (repository: string, reference: string, manifest: BuiltManifest): Promise<void> =>
    pushManifestAs(api.registry.url, adminAuth, repository, reference, manifest);

  /** Signs `image` in `repository` as notation does: the envelope's artifact pushed by digest, a referrer of the image. */
  async function notationSign(repository: string, image: BuiltManifest, signer: TestCertificate, envelope?: Buffer): Promise<void> {
    const signature = notationSignatureManifest(image.descriptor, envelope ?? await notationJws(signer, [root], image.descriptor));
    await push(repository, signature.digest, signature);
  }

  function pull(client: ApiClient, repository: string, reference: string) {
    return client.request('GET', `/v2/${repository}/manifests/${reference}`, undefined, { accept: `${mediaTypes.ociManifest}, ${mediaTypes.ociIndex}` });
  }

  async function status(repository: string, reference: string) {
    return expectStatus(await guest.get(`/api/v1/signatures?repository=${repository}&reference=${reference}`), 200).body;
  }

  before(async () => {
    root = pki.selfSigned({ subject: '/C=US/ST=WA/O=Berth Test/CN=Notary Root' });
    release = pki.issue(root, { subject: '/C=US/ST=WA/O=Berth Test/OU=Release/CN=release', extensions: notationLeafExtensions });
    night = pki.issue(root, { subject: '/C=US/ST=WA/O=Berth Test/OU=Nightly/CN=nightly', extensions: notationLeafExtensions });
    api = await startApiBerth();
    await createProject(api.admin, 'team');
    guest = await createUser(api.admin, 'gail');
    maintainer = await createUser(api.admin, 'mona');
    await setRole(api.admin, 'team', 'user', 'gail', 'guest');
    await setRole(api.admin, 'team', 'user', 'mona', 'maintainer');
    for (const name of ['signed', 'nightly', 'copied', 'unsigned', 'hostile']) {
      images[name] = buildImage();
      await push('team/app', name, images[name]!);
    }
    images.elsewhere = buildImage();
    await push('team/tools', 'signed', images.elsewhere);
    await notationSign('team/app', images.signed!, release);
    await notationSign('team/app', images.nightly!, night);
    await notationSign('team/tools', images.elsewhere, release);
    // The signed image's envelope, byte for byte, as a referrer of another image.
    await notationSign('team/app', images.copied!, release, await notationJws(release, [root], images.signed!.descriptor));
  });
  after(async () => {
    await api?.close();
    pki.close();
  });

  it('refuses a notation policy that is not valid or reaches outside the project, naming every problem', async () => {
    const bad = expectStatus(await maintainer.put('/api/v1/projects/team/trust', {
      notationPolicy: {
        version: '2.0',
        trustPolicies: [{ name: 'x', registryScopes: ['other/app'], signatureVerification: { level: 'strict' }, trustStores: ['ca:release'], trustedIdentities: ['*'] }],
      },
    }), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(bad), /version "2\.0" is not supported/);
    const outside = expectStatus(await maintainer.put('/api/v1/projects/team/trust', {
      notationPolicy: { version: '1.0', trustPolicies: [{ name: 'x', registryScopes: ['other/app'], signatureVerification: { level: 'strict' }, trustStores: ['ca:release'], trustedIdentities: ['*'] }] },
    }), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(outside), /registry scope "other\/app" is not a repository of project team/);
    const badStore = expectStatus(await maintainer.post('/api/v1/projects/team/trust/keys', { name: 'release', notationCertificates: root.pem }), 400);
    assert.match(errorMessage(badStore), /notation trust stores, and only they, are named TYPE:NAME/);
    expectStatus(await maintainer.post('/api/v1/projects/team/trust/keys', { name: 'ca:release', notationCertificates: 'not PEM' }), 400);
    expectStatus(await guest.put('/api/v1/projects/team/trust', { perPlatform: true }), 403);
  });

  it('under enforce serves an image signed by a trusted identity under the project\'s CA store, and says who signed', async () => {
    expectStatus(await maintainer.post('/api/v1/projects/team/trust/keys', { name: 'ca:release', notationCertificates: root.pem }), 201);
    const set = expectStatus(await maintainer.put('/api/v1/projects/team/trust', {
      mode: 'enforce',
      notationPolicy: {
        version: '1.0',
        trustPolicies: [{
          name: 'app', registryScopes: ['registry.example.com/team/app'], signatureVerification: { level: 'strict' },
          trustStores: ['ca:release'], trustedIdentities: [releaseIdentity],
        }],
      },
    }), 200).body;
    assert.deepEqual([set.mode, set.notationPolicy.trustPolicies[0].name, set.keys.map((key: { name: string; kind: string }) => [key.name, key.kind])],
      ['enforce', 'app', [['ca:release', 'notation-store']]]);
    expectStatus(await pull(guest, 'team/app', 'signed'), 200);
    expectStatus(await pull(guest, 'team/app', images.signed!.digest), 200);
    const shown = await status('team/app', 'signed');
    assert.deepEqual([shown.verified, shown.basis], [true, 'signed']);
    assert.deepEqual(shown.signatures.map((one: any) => [one.tool, one.format, one.via, one.valid, one.signer]),
      [['notation', 'notation-jws', 'referrer', true, 'C=US, ST=WA, O=Berth Test, OU=Release, CN=release']]);
  });

  it('refuses a signer outside the trusted identities, a copied envelope, an unsigned image and a repository no policy scopes', async () => {
    const nightly = expectStatus(await pull(guest, 'team/app', 'nightly'), 403, 'DENIED');
    assert.match(errorMessage(nightly), /signer "C=US, ST=WA, O=Berth Test, OU=Nightly, CN=nightly" is not a trusted identity of trust policy "app"/);
    const copied = expectStatus(await pull(guest, 'team/app', 'copied'), 403, 'DENIED');
    assert.match(errorMessage(copied), new RegExp(`payload names ${images.signed!.digest}, not the pulled digest ${images.copied!.digest}`));
    assert.match(errorMessage(expectStatus(await pull(guest, 'team/app', 'unsigned'), 403, 'DENIED')), /it has no signature/);
    const elsewhere = expectStatus(await pull(guest, 'team/tools', 'signed'), 403, 'DENIED');
    assert.match(errorMessage(elsewhere), /no notation trust policy applies to team\/tools/);
  });

  it('keeps a verdict across writes that change nothing it rests on, and makes it again when a signature is pushed', async () => {
    const verdictsMade = async (): Promise<number> => {
      const text = expectStatus(await api.admin.get('/metrics'), 200).text;
      return [...text.matchAll(/^berth_signature_verdicts_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    };
    expectStatus(await pull(guest, 'team/app', 'signed'), 200);
    const before = await verdictsMade();
    await push('team/unrelated', 'v1', buildImage());
    expectStatus(await pull(guest, 'team/app', 'signed'), 200);
    assert.equal(await verdictsMade(), before, 'a push elsewhere leaves the verdict standing');
    await notationSign('team/app', images.signed!, release);
    expectStatus(await pull(guest, 'team/app', 'signed'), 200);
    assert.equal(await verdictsMade(), before + 1, 'a new signature of the image makes the verdict again');
    assert.equal((await status('team/app', 'signed')).signatures.length, 2);
  });

  it('answers hostile signature artifacts with their reasons in bounded time, and never lets them through', async () => {
    const image = images.hostile!;
    const none = Buffer.from(JSON.stringify({
      payload: Buffer.from(JSON.stringify({ targetArtifact: image.descriptor })).toString('base64url'),
      protected: Buffer.from(JSON.stringify({ alg: 'none', cty: 'application/vnd.cncf.notary.payload.v1+json', crit: ['io.cncf.notary.signingScheme'], 'io.cncf.notary.signingScheme': 'notary.x509' })).toString('base64url'),
      header: { x5c: [release.der.toString('base64'), root.der.toString('base64')] }, signature: '',
    }));
    await notationSign('team/app', image, release, none);
    const chain = Array.from({ length: 1000 }, () => root);
    await notationSign('team/app', image, release, await notationJws(release, chain, image.descriptor));
    await notationSign('team/app', image, release, Buffer.from('{"payload": "garbage'));
    await notationSign('team/app', image, release, Buffer.alloc(1024 * 1024 + 1, 0x20));
    // A signature manifest just under the 4 MiB manifest limit: some 25,000 layers naming one bad envelope.
    const envelope = blobOf(none, 'application/jose+json');
    const manifestOf = (count: number) => finish({
      schemaVersion: 2, mediaType: mediaTypes.ociManifest, artifactType: notationSignatureType, config: emptyConfig().descriptor,
      layers: Array.from({ length: count }, () => envelope.descriptor), subject: { mediaType: image.mediaType, digest: image.digest, size: image.size },
    }, mediaTypes.ociManifest, [emptyConfig(), envelope]);
    const perLayer = manifestOf(1001).size - manifestOf(1).size;
    const count = Math.floor((4 * 1024 * 1024 - 2048) / (perLayer / 1000));
    const huge = manifestOf(count);
    assert.ok(huge.size > 3.9 * 1024 * 1024 && huge.size < 4 * 1024 * 1024, `the manifest is ${huge.size} bytes`);
    await push('team/app', huge.digest, huge);

    const refused = expectStatus(await pull(guest, 'team/app', 'hostile'), 403, 'DENIED');
    const reasons = (refused.body as { errors: { detail: { signatures: { valid: boolean; reason: string }[] } }[] }).errors[0]!.detail.signatures.map((one) => one.reason);
    const all = reasons.join('\n');
    assert.ok(reasons.every((reason) => typeof reason === 'string' && reason.length > 0), all);
    assert.match(all, /JWS algorithm "none" is not one notation allows/, 'alg none is named');
    assert.match(all, /certificate chain of 1001 certificates is longer than the limit of 10/, 'the long chain is named');
    assert.match(all, /the JWS envelope is not a JSON object/, 'the garbage envelope is named');
    assert.match(all, /larger than 1048576 bytes/, 'the oversized envelope is named');
    assert.match(all, new RegExp(`a notation signature has exactly one layer, this one has ${count}`), 'the huge manifest is named');
  });

  it('checks each platform of an index on its own when the project says so', async () => {
    const amd = buildImage();
    const arm = buildImage();
    for (const child of [amd, arm]) await push('team/app', child.digest, child);
    const index = buildIndex([amd, arm]);
    await push('team/app', 'multi', index);
    await notationSign('team/app', index, release);
    // By default the signed index vouches for the platforms it lists.
    expectStatus(await pull(guest, 'team/app', amd.digest), 200);
    assert.equal((await status('team/app', arm.digest)).basis, 'signed-index');

    expectStatus(await maintainer.put('/api/v1/projects/team/trust', { perPlatform: true }), 200);
    expectStatus(await pull(guest, 'team/app', 'multi'), 200);
    const refused = expectStatus(await pull(guest, 'team/app', amd.digest), 403, 'DENIED');
    assert.match(errorMessage(refused), /checks each platform of an index on its own: sign every platform \(cosign sign --recursive\)/);
    await notationSign('team/app', amd, release);
    expectStatus(await pull(guest, 'team/app', amd.digest), 200);
    expectStatus(await pull(guest, 'team/app', arm.digest), 403, 'DENIED');
    const unsignedIndex = buildIndex([arm]);
    await push('team/app', 'multi-unsigned', unsignedIndex);
    assert.equal((await status('team/app', 'multi-unsigned')).basis, 'platforms');
    expectStatus(await pull(guest, 'team/app', 'multi-unsigned'), 200);
    expectStatus(await maintainer.put('/api/v1/projects/team/trust', { perPlatform: false }), 200);
    expectStatus(await pull(guest, 'team/app', arm.digest), 200);
  });

  it('stops checking notation signatures once the policy is removed: they are answered "no policy"', async () => {
    const cleared = expectStatus(await maintainer.put('/api/v1/projects/team/trust', { notationPolicy: null }), 200).body;
    assert.equal(cleared.notationPolicy, null);
    const refused = expectStatus(await pull(guest, 'team/app', 'signed'), 403, 'DENIED');
    assert.match(errorMessage(refused), /notation trust policy and trust stores, which this project has not set/);
  });
});
