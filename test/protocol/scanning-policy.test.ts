/**
 * Projects' vulnerability policies at the registry's policy point, with access control on: pulls (GET and HEAD, by
 * tag and by digest) of an image with a finding at or above the policy's severity are refused 403 DENIED naming the
 * findings and the way out; allowlists (the project's and the registry's, with expiry) let them through; images whose
 * scan did not finish are refused when the policy says so; who may see and change policies.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { adminPassword, createProject, createUser, errorMessage, expectStatus, setRole, startApiBerth, type ApiBerth, type ApiClient } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { blobOf, finish, mediaTypes, sha256 } from '../support/image-builder.js';

const fixtures = new URL('../fixtures/scanning/', import.meta.url).pathname;
const adminAuth = basic('admin', adminPassword);
// A real Debian record (zlib's bookworm-security update) with a CVSS v3.1 vector added, so that it rates CRITICAL:
// the derived records carry no severity of their own.
const criticalZlib = 'DERIVED-zlib-1_1.2.13.dfsg-1+deb12u1';

describe('vulnerability policies', { timeout: 120_000 }, () => {
  let feed: string;
  let api: ApiBerth;
  let guest: ApiClient;
  let maintainer: ApiClient;
  let digest: string;

  before(async () => {
    feed = mkdtempSync(join(tmpdir(), 'berth-policy-feed-'));
    mkdirSync(join(feed, 'Debian'));
    const records = join(fixtures, 'osv/osv/debian');
    const files = Object.fromEntries(readdirSync(records).map((file) => [file, readFileSync(join(records, file))]));
    const zlib = JSON.parse(readFileSync(join(records, `${criticalZlib}.json`), 'utf8'));
    zlib.severity = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }];
    files[`${criticalZlib}.json`] = Buffer.from(JSON.stringify(zlib));
    writeFileSync(join(feed, 'Debian', 'all.zip'), zipSync(files));
    api = await startApiBerth({ scanning: { feed: feed } });
    await createProject(api.admin, 'team');
    guest = await createUser(api.admin, 'gail');
    maintainer = await createUser(api.admin, 'mona');
    await setRole(api.admin, 'team', 'user', 'gail', 'guest');
    await setRole(api.admin, 'team', 'user', 'mona', 'maintainer');
    digest = await pushRoot('team/debian', '12', join(fixtures, 'inventory/debian/bookworm-12.15-minbase'));
    await scanned('team/debian', '12', (report) => report.status === 'done' && report.summary.critical > 0);
  });
  after(async () => {
    await api?.close();
    rmSync(feed, { recursive: true, force: true });
  });

  async function push(repository: string, reference: string, bytes: Buffer, contentType: string): Promise<void> {
    const url = contentType === 'blob'
      ? `${api.registry.url}/v2/${repository}/blobs/uploads/?digest=${reference}` : `${api.registry.url}/v2/${repository}/manifests/${reference}`;
    const response = await fetch(url, {
      method: contentType === 'blob' ? 'POST' : 'PUT', body: new Uint8Array(bytes),
      headers: { authorization: adminAuth, 'content-type': contentType === 'blob' ? 'application/octet-stream' : contentType },
    });
    assert.equal(response.status, 201, `${url}: ${await response.text()}`);
  }

  /** An image of one gzipped layer (a file tree archived by GNU tar, or the bytes given); its digest. */
  async function pushRoot(repository: string, tag: string, root: string | Buffer): Promise<string> {
    const layer = blobOf(typeof root === 'string' ? execFileSync('tar', ['-C', root, '-czf', '-', '.']) : root, mediaTypes.ociLayer);
    const config = blobOf(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }), mediaTypes.ociConfig);
    const manifest = finish({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: config.descriptor, layers: [layer.descriptor] }, mediaTypes.ociManifest, [config, layer]);
    for (const blob of [config, layer]) await push(repository, blob.descriptor.digest, blob.bytes, 'blob');
    await push(repository, tag, manifest.bytes, mediaTypes.ociManifest);
    return sha256(manifest.bytes);
  }

  async function scanned(repository: string, reference: string, done: (report: any) => boolean): Promise<any> {
    let report: any;
    for (let attempt = 0; attempt < 200; attempt++) {
      report = expectStatus(await api.admin.get(`/api/v1/vulnerabilities?repository=${repository}&reference=${reference}`), 200).body;
      if (done(report)) return report;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`no finished scan of ${repository}:${reference}: ${JSON.stringify(report)}`);
  }

  const pull = (repository: string, reference: string, method = 'GET') => fetch(`${api.registry.url}/v2/${repository}/manifests/${reference}`, {
    method, headers: { authorization: adminAuth, accept: mediaTypes.ociManifest },
  });

  async function refused(repository: string, reference: string, method = 'GET'): Promise<string> {
    const response = await pull(repository, reference, method);
    assert.equal(response.status, 403, `${method} ${repository}:${reference} should be refused`);
    if (method === 'HEAD') return '';
    const body = await response.json() as { errors: { code: string; message: string; detail: Record<string, unknown> }[] };
    assert.equal(body.errors[0]!.code, 'DENIED');
    return body.errors[0]!.message;
  }

  it('lets members see the policy and only maintainers change it', async () => {
    const initial = expectStatus(await guest.get('/api/v1/projects/team/vulnerability-policy'), 200).body;
    assert.deepEqual([initial.blockSeverity, initial.blockUnscanned, initial.autoQuarantine], [null, false, false]);
    expectStatus(await guest.put('/api/v1/projects/team/vulnerability-policy', { blockSeverity: 'HIGH' }), 403, 'DENIED');
    expectStatus(await maintainer.put('/api/v1/projects/team/vulnerability-policy', { blockSeverity: 'loud' }), 400);
    const set = expectStatus(await maintainer.put('/api/v1/projects/team/vulnerability-policy', { blockSeverity: 'high' }), 200).body;
    assert.deepEqual([set.blockSeverity, set.updatedBy], ['HIGH', 'mona']);
    expectStatus(await maintainer.put('/api/v1/projects/team/vulnerability-policy', { blockSeverity: null }), 200);
    expectStatus(await api.anonymous.get('/api/v1/projects/team/vulnerability-policy'), 401);
  });

  it('refuses pulls at or above the severity, by tag and digest, GET and HEAD, naming the findings', async () => {
    assert.equal((await pull('team/debian', '12')).status, 200, 'no policy: the pull goes through');
    expectStatus(await maintainer.put('/api/v1/projects/team/vulnerability-policy', { blockSeverity: 'HIGH' }), 200);
    const message = await refused('team/debian', '12');
    assert.ok(message.includes(`1 vulnerability at or above HIGH (${criticalZlib} CRITICAL in zlib1g 1:1.2.13.dfsg-1)`), message);
    assert.match(message, /berth policy allow team <ID> --reason/);
    await refused('team/debian', digest);
    await refused('team/debian', '12', 'HEAD');
    // At CRITICAL it is still refused; the UNKNOWN-rated findings never block at HIGH.
    expectStatus(await maintainer.put('/api/v1/projects/team/vulnerability-policy', { blockSeverity: 'CRITICAL' }), 200);
    await refused('team/debian', '12');
  });

  it('lets allowlisted advisories through, by id or alias, until they expire', async () => {
    expectStatus(await maintainer.put('/api/v1/projects/team/vulnerability-policy', { blockSeverity: 'HIGH' }), 200);
    expectStatus(await guest.post('/api/v1/projects/team/vulnerability-allowlist', { advisory: criticalZlib, reason: 'guest' }), 403, 'DENIED');
    expectStatus(await maintainer.post('/api/v1/projects/team/vulnerability-allowlist', { advisory: criticalZlib }), 400);
    const expired = expectStatus(await maintainer.post('/api/v1/projects/team/vulnerability-allowlist', {
      advisory: criticalZlib, reason: 'expired already', expiresAt: '2020-01-01T00:00:00Z',
    }), 201).body;
    assert.equal(expired.expired, true);
    await refused('team/debian', '12');
    // By a CVE the advisory names (its upstream ids are its aliases), without expiry.
    const entry = expectStatus(await maintainer.post('/api/v1/projects/team/vulnerability-allowlist', {
      advisory: 'CVE-2026-27171', reason: 'the image never inflates untrusted data',
    }), 201).body;
    assert.equal((await pull('team/debian', '12')).status, 200);
    assert.deepEqual(expectStatus(await guest.get('/api/v1/projects/team/vulnerability-allowlist'), 200).body.items.map((item: any) => item.advisory).sort(),
      ['CVE-2026-27171', criticalZlib].sort());
    expectStatus(await maintainer.delete(`/api/v1/projects/team/vulnerability-allowlist/${entry.id}`), 204);
    await refused('team/debian', '12');
    // An entry expiring a moment from now lets the pull through, then no longer.
    expectStatus(await maintainer.post('/api/v1/projects/team/vulnerability-allowlist', {
      advisory: criticalZlib, reason: 'for a second', expiresAt: Date.now() + 1_500,
    }), 201);
    assert.equal((await pull('team/debian', '12')).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await refused('team/debian', '12');
  });

  it('keeps the registry-wide allowlist to system administrators, and applies it to every project', async () => {
    expectStatus(await maintainer.post('/api/v1/vulnerability-allowlist', { advisory: criticalZlib, reason: 'everywhere' }), 403, 'DENIED');
    const entry = expectStatus(await api.admin.post('/api/v1/vulnerability-allowlist', { advisory: criticalZlib, reason: 'accepted everywhere' }), 201).body;
    assert.equal(entry.project, null);
    assert.equal((await pull('team/debian', '12')).status, 200);
    expectStatus(await api.admin.delete(`/api/v1/vulnerability-allowlist/${entry.id}`), 204);
    await refused('team/debian', '12');
  });

  it('refuses images whose scan did not finish when the policy asks, and names why', async () => {
    expectStatus(await maintainer.put('/api/v1/projects/team/vulnerability-policy', { blockSeverity: null, blockUnscanned: true }), 200);
    // A layer that is no archive: the scan fails, so the image is never scanned.
    await pushRoot('team/broken', '1', Buffer.from('not a tar archive, not gzip either'));
    await scanned('team/broken', '1', (report) => report.status === 'failed');
    assert.match(await refused('team/broken', '1'), /has not been scanned \(failed\).*berth scan team\/broken@sha256:/);
    assert.equal((await pull('team/debian', '12')).status, 200, 'a scanned image passes');
    // A signature is no image: nothing to scan, never held back, so signing and verifying go on under the policy.
    const empty = blobOf('{}', mediaTypes.ociEmpty);
    const payload = blobOf('{"critical":{"image":{"docker-manifest-digest":"x"}}}', 'application/vnd.dev.cosign.simplesigning.v1+json');
    const signature = finish({
      schemaVersion: 2, mediaType: mediaTypes.ociManifest, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      config: empty.descriptor, layers: [payload.descriptor], subject: { mediaType: mediaTypes.ociManifest, digest, size: 1 },
    }, mediaTypes.ociManifest, [empty, payload]);
    for (const blob of [empty, payload]) await push('team/debian', blob.descriptor.digest, blob.bytes, 'blob');
    await push('team/debian', signature.digest, signature.bytes, mediaTypes.ociManifest);
    assert.equal((await pull('team/debian', signature.digest)).status, 200, 'the signature pulls');
    expectStatus(await maintainer.put('/api/v1/projects/team/vulnerability-policy', { blockUnscanned: false }), 200);
    assert.equal((await pull('team/broken', '1')).status, 200);
    assert.match(errorMessage(expectStatus(await api.admin.get('/api/v1/projects/nope/vulnerability-policy'), 404)), /not found/);
  });
});
