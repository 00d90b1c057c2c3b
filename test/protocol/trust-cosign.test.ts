/**
 * Signature trust at the registry's policy point, with access control on: cosign-style simple signatures (made here
 * with node:crypto exactly as cosign lays them out: a `sha256-<hex>.sig` tag whose layers are the signed payloads)
 * verified at pull time against the keys a project trusts. Under enforce an unsigned image, one signed by another
 * key and one whose signature was copied from another image are refused 403 DENIED with the reason and the way out;
 * signatures themselves, platforms of a signed index and whoever may push are let through; audit lets everything
 * through; a new signature, a removed key and a mode change take effect at once.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminPassword, createProject, createUser, errorMessage, expectStatus, setRole, startApiBerth, type ApiBerth, type ApiClient } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { blobOf, buildImage, buildIndex, finish, mediaTypes, type BuiltManifest } from '../support/image-builder.js';
import { eventually } from '../support/registry-client.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const adminAuth = basic('admin', adminPassword);

interface Signer {
  readonly privateKey: KeyObject;
  readonly publicPem: string;
}

function newSigner(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** cosign's simple-signing payload for `digest`, as `cosign sign` writes it (no newline). */
function payloadFor(repository: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify({
    critical: { identity: { 'docker-reference': `localhost/${repository}` }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
    optional: null,
  }));
}

/** A `.sig` manifest with one layer per payload, each signed with its signer (ECDSA P-256, DER, over SHA-256). */
function signatureManifest(layers: readonly { payload: Buffer; signer: Signer }[]): BuiltManifest {
  const config = blobOf(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [] } }), mediaTypes.ociConfig);
  const blobs = layers.map(({ payload }) => blobOf(payload, 'application/vnd.dev.cosign.simplesigning.v1+json'));
  return finish({
    schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: config.descriptor,
    layers: blobs.map((blob, at) => ({
      ...blob.descriptor,
      annotations: { 'dev.cosignproject.cosign/signature': sign('sha256', layers[at]!.payload, layers[at]!.signer.privateKey).toString('base64') },
    })),
  }, mediaTypes.ociManifest, [config, ...blobs]);
}

const sigTag = (digest: string): string => `${digest.replace(':', '-')}.sig`;

interface CloudEvent {
  type: string;
  data: { repository: string; digest: string; actor: { name: string }; signature?: { digest: string; verified: boolean; checks: Record<string, unknown>[] } };
}

describe('signature trust (cosign keys)', { timeout: 120_000 }, () => {
  let api: ApiBerth;
  let guest: ApiClient;
  let maintainer: ApiClient;
  let receiver: WebhookReceiver<CloudEvent>;
  const release = newSigner();
  const stranger = newSigner();
  const images: Record<string, BuiltManifest> = {};

  async function put(repository: string, reference: string, bytes: Buffer, contentType: string | 'blob', auth = adminAuth): Promise<void> {
    const blob = contentType === 'blob';
    const url = blob ? `${api.registry.url}/v2/${repository}/blobs/uploads/?digest=${reference}` : `${api.registry.url}/v2/${repository}/manifests/${reference}`;
    const response = await fetch(url, {
      method: blob ? 'POST' : 'PUT', body: new Uint8Array(bytes),
      headers: { authorization: auth, 'content-type': blob ? 'application/octet-stream' : contentType },
    });
    assert.equal(response.status, 201, `push of ${repository} ${reference}: ${await response.text()}`);
  }

  async function push(repository: string, reference: string, manifest: BuiltManifest): Promise<void> {
    for (const blob of manifest.blobs) await put(repository, blob.descriptor.digest, blob.bytes, 'blob');
    await put(repository, reference, manifest.bytes, manifest.mediaType);
  }

  async function signWith(repository: string, digest: string, layers: readonly { payload: Buffer; signer: Signer }[]): Promise<void> {
    await push(repository, sigTag(digest), signatureManifest(layers));
  }

  function pull(client: ApiClient, repository: string, reference: string, method: 'GET' | 'HEAD' = 'GET') {
    return client.request(method, `/v2/${repository}/manifests/${reference}`, undefined, { accept: `${mediaTypes.ociManifest}, ${mediaTypes.ociIndex}` });
  }

  before(async () => {
    receiver = await startWebhookReceiver<CloudEvent>();
    api = await startApiBerth({ webhooks: { allowPrivateTargets: true, retryBaseSeconds: 0.05 } });
    await createProject(api.admin, 'team');
    expectStatus(await api.admin.post('/api/v1/projects/team/webhooks', { url: receiver.url, events: ['signature.verified', 'signature.rejected'] }), 201);
    guest = await createUser(api.admin, 'gail');
    maintainer = await createUser(api.admin, 'mona');
    await setRole(api.admin, 'team', 'user', 'gail', 'guest');
    await setRole(api.admin, 'team', 'user', 'mona', 'maintainer');
    for (const name of ['signed', 'unsigned', 'stranger', 'copied']) {
      images[name] = buildImage();
      await push('team/app', name, images[name]!);
    }
    await signWith('team/app', images.signed!.digest, [{ payload: payloadFor('team/app', images.signed!.digest), signer: release }]);
    await signWith('team/app', images.stranger!.digest, [{ payload: payloadFor('team/app', images.stranger!.digest), signer: stranger }]);
    // The signed image's signature, byte for byte, under the tag of another image.
    await signWith('team/app', images.copied!.digest, [{ payload: payloadFor('team/app', images.signed!.digest), signer: release }]);
  });
  after(async () => {
    await api?.close();
    await receiver?.close();
  });

  it('serves everything while the project\'s mode is off, and tells a guest it may not change it', async () => {
    expectStatus(await pull(guest, 'team/app', 'unsigned'), 200);
    const shown = expectStatus(await guest.get('/api/v1/projects/team/trust'), 200).body;
    assert.deepEqual([shown.mode, shown.keys], ['off', []]);
    expectStatus(await guest.put('/api/v1/projects/team/trust', { mode: 'enforce' }), 403);
    expectStatus(await guest.post('/api/v1/projects/team/trust/keys', { name: 'mine', cosignKey: stranger.publicPem }), 403);
  });

  it('takes a maintainer\'s cosign key and refuses what is not one, saying what to send', async () => {
    const bad = expectStatus(await maintainer.post('/api/v1/projects/team/trust/keys', { name: 'release', cosignKey: 'not a key' }), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(bad), /not a PEM public key.*cosign\.pub/);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.match(errorMessage(expectStatus(await maintainer.post('/api/v1/projects/team/trust/keys', { cosignKey: weak }), 400)), /2048/);
    const added = expectStatus(await maintainer.post('/api/v1/projects/team/trust/keys', { name: 'release', cosignKey: release.publicPem }), 201).body;
    assert.equal(added.name, 'release');
    assert.equal(added.hint, createHash('sha256').update(Buffer.from(release.publicPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')).digest('base64'));
    const again = expectStatus(await maintainer.post('/api/v1/projects/team/trust/keys', { name: 'release', cosignKey: stranger.publicPem }), 400);
    assert.match(errorMessage(again), /already trusts something named "release"/);
    const shown = expectStatus(await maintainer.put('/api/v1/projects/team/trust', { mode: 'enforce' }), 200).body;
    assert.deepEqual([shown.mode, shown.updatedBy, shown.keys.map((key: { name: string }) => key.name)], ['enforce', 'mona', ['release']]);
  });

  it('under enforce serves an image signed by a trusted key, by tag and by digest, GET and HEAD', async () => {
    expectStatus(await pull(guest, 'team/app', 'signed'), 200);
    expectStatus(await pull(guest, 'team/app', images.signed!.digest, 'HEAD'), 200);
    const status = expectStatus(await guest.get('/api/v1/signatures?repository=team/app&reference=signed'), 200).body;
    assert.deepEqual([status.verified, status.basis, status.mode], [true, 'signed', 'enforce']);
    assert.deepEqual(status.signatures.map((one: any) => [one.tool, one.format, one.via, one.valid, one.signer]), [['cosign', 'cosign-simple-signing', 'tag', true, 'release']]);
  });

  it('refuses an unsigned image, one signed by another key and one wearing another image\'s signature, each with its reason', async () => {
    const unsigned = expectStatus(await pull(guest, 'team/app', 'unsigned'), 403, 'DENIED');
    assert.match(errorMessage(unsigned), /project team only serves images signed by a key it trusts, and team\/app@sha256:[0-9a-f]{64} is refused: it has no signature/);
    assert.match(errorMessage(unsigned), /berth trust add-key team --cosign-key KEY\.pub/);
    expectStatus(await pull(guest, 'team/app', images.unsigned!.digest, 'HEAD'), 403);
    const other = expectStatus(await pull(guest, 'team/app', 'stranger'), 403, 'DENIED');
    assert.match(errorMessage(other), /none of its 1 signature is valid from a key the project trusts/);
    const copied = expectStatus(await pull(guest, 'team/app', 'copied'), 403, 'DENIED');
    assert.match(errorMessage(copied), new RegExp(`payload names ${images.signed!.digest}, not the pulled digest ${images.copied!.digest}`));
    const detail = (copied.body as { errors: { detail: any }[] }).errors[0]!.detail;
    assert.equal(detail.policy, 'trust');
    assert.equal(detail.signatures[0].failure, 'wrong-subject');
    const status = expectStatus(await guest.get(`/api/v1/signatures?repository=team/app&reference=${images.stranger!.digest}`), 200).body;
    assert.deepEqual([status.verified, status.basis, status.signatures[0].failure], [false, 'untrusted', 'untrusted-signer']);
  });

  it('serves the signatures themselves, and lets whoever may push read unsigned images to sign them', async () => {
    expectStatus(await pull(guest, 'team/app', sigTag(images.signed!.digest)), 200);
    expectStatus(await pull(maintainer, 'team/app', 'unsigned'), 200);
  });

  it('takes a new signature, a removed key and a mode change into account at once', async () => {
    await signWith('team/app', images.unsigned!.digest, [{ payload: payloadFor('team/app', images.unsigned!.digest), signer: release }]);
    expectStatus(await pull(guest, 'team/app', 'unsigned'), 200);
    const verified = await eventually('signature.verified at the receiver', () => receiver.events
      .find((event) => event.type === 'io.berth.signature.verified' && event.data.digest === images.unsigned!.digest));
    assert.deepEqual([verified.data.repository, verified.data.digest, verified.data.actor.name, verified.data.signature?.verified],
      ['team/app', images.unsigned!.digest, 'admin', true]);
    assert.deepEqual(verified.data.signature?.checks, [{ tool: 'cosign', format: 'cosign-simple-signing', valid: true, signer: 'release', role: 'signature' }]);
    const other = buildImage();
    await push('team/app', 'other', other);
    await signWith('team/app', other.digest, [{ payload: payloadFor('team/app', other.digest), signer: stranger }]);
    const rejected = await eventually('signature.rejected at the receiver', () => receiver.events
      .find((event) => event.type === 'io.berth.signature.rejected' && event.data.digest === other.digest));
    assert.deepEqual([rejected.data.digest, rejected.data.signature?.verified, rejected.data.signature?.checks[0]?.failure], [other.digest, false, 'untrusted-signer']);
    expectStatus(await maintainer.put('/api/v1/projects/team/trust', { mode: 'audit' }), 200);
    expectStatus(await pull(guest, 'team/app', 'stranger'), 200);
    expectStatus(await maintainer.put('/api/v1/projects/team/trust', { mode: 'enforce' }), 200);
    expectStatus(await maintainer.delete('/api/v1/projects/team/trust/keys/release'), 204);
    expectStatus(await pull(guest, 'team/app', 'signed'), 403);
    expectStatus(await maintainer.delete('/api/v1/projects/team/trust/keys/release'), 404);
    expectStatus(await maintainer.post('/api/v1/projects/team/trust/keys', { name: 'release', cosignKey: release.publicPem }), 201);
    expectStatus(await pull(guest, 'team/app', 'signed'), 200);
  });

  it('lets the platforms of a signed index through, and only those', async () => {
    const amd = buildImage();
    const arm = buildImage();
    const index = buildIndex([amd, arm]);
    for (const child of [amd, arm]) await push('team/multi', child.digest, child);
    await push('team/multi', 'v1', index);
    expectStatus(await pull(guest, 'team/multi', 'v1'), 403);
    expectStatus(await pull(guest, 'team/multi', amd.digest), 403);
    await signWith('team/multi', index.digest, [{ payload: payloadFor('team/multi', index.digest), signer: release }]);
    expectStatus(await pull(guest, 'team/multi', 'v1'), 200);
    expectStatus(await pull(guest, 'team/multi', arm.digest), 200);
    const status = expectStatus(await guest.get(`/api/v1/signatures?repository=team/multi&reference=${amd.digest}`), 200).body;
    assert.deepEqual([status.verified, status.basis, status.index], [true, 'signed-index', index.digest]);
    // Not an index of this repository: the other image stays refused.
    expectStatus(await pull(guest, 'team/app', 'stranger'), 403);
  });

  it('counts verdicts and refused and audited pulls in /metrics', async () => {
    const text = expectStatus(await api.admin.get('/metrics'), 200).text;
    const figure = (name: string, outcome: string) => Number(new RegExp(`^${name}\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    for (const outcome of ['verified', 'unverified']) assert.ok(figure('berth_signature_verdicts_total', outcome) >= 1, `${outcome} verdicts in:\n${text}`);
    assert.ok(figure('berth_signature_pulls_total', 'refused') >= 5);
    assert.ok(figure('berth_signature_pulls_total', 'audited') >= 1);
  });
});
