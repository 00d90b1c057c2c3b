/**
 * SBOMs attached to scanned images as OCI referrers (issue 13, item 1), with access control on: a scanned image gets
 * its inventory as a CycloneDX 1.6 referrer (the OCI empty config, one layer, `subject` the image) pushed by Berth
 * itself through the registry core, listed by the referrers API and named by the vulnerability report; the SBOM is
 * never scanned and never held back by a pull policy; the same inventory is not attached twice; an image pushed to
 * another repository gets its own there, an index none of its own; switched to SPDX, a rescan replaces Berth's SBOM
 * and never a user's own. Turned off, none is attached.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createBerth, type Berth } from '../../src/app.js';
import { configSchema } from '../../src/config/config-schema.js';
import { adminPassword, ApiClient, createProject, expectStatus, startApiBerth } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { schemaErrors } from '../support/sbom-schemas.js';
import {
  feedFolder, imageTypes, jobsOf, pushManifest, pushTreeImage, readReport, reportWhen, scanFixtures, scanningCaughtUp, sha256, type VulnerabilityReport,
} from '../support/scanning.js';

const timeout = 180_000;
const debianRoot = join(scanFixtures, 'inventory/debian/bookworm-12.15-minbase');
const authorization = basic('admin', adminPassword);
const cyclonedx = 'application/vnd.cyclonedx+json';
const spdx = 'application/spdx+json';

interface Descriptor { mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }
interface Manifest { mediaType: string; artifactType?: string; config: Descriptor; layers: Descriptor[]; subject?: Descriptor; annotations?: Record<string, string> }

interface Running {
  readonly berth: Berth;
  readonly url: string;
  readonly admin: ApiClient;
}

describe('SBOMs attached to scanned images', { timeout }, () => {
  let feed: ReturnType<typeof feedFolder>;
  let dataDir: string;
  let running: Running;
  let image: { digest: string; descriptor: Descriptor };
  let sbomDigest: string;

  /** Berth over `dataDir` (kept across restarts), writing SBOMs in `format`. */
  async function start(format: 'cyclonedx' | 'spdx'): Promise<Running> {
    const berth = await createBerth(configSchema.parse({
      listen: '127.0.0.1:0', dataDir, auth: { adminPassword }, scanning: { feed: feed.path, sbom: { attach: true, format } },
    }), pino({ level: 'silent' }));
    const { port } = await berth.listen();
    const url = `http://127.0.0.1:${port}`;
    return { berth, url, admin: new ApiClient(url, { username: 'admin', password: adminPassword }) };
  }

  const v2 = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${running.url}/v2/${path}`, { ...init, headers: { authorization, ...init.headers as Record<string, string> } });

  async function referrers(repository: string, digest: string, artifactType?: string): Promise<Descriptor[]> {
    const response = await v2(`${repository}/referrers/${digest}${artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : ''}`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { manifests: Descriptor[] }).manifests;
  }

  async function manifest(repository: string, digest: string): Promise<Manifest> {
    const response = await v2(`${repository}/manifests/${digest}`, { headers: { accept: imageTypes.manifest } });
    assert.equal(response.status, 200, `${repository}@${digest}: ${response.status}`);
    return (await response.json()) as Manifest;
  }

  async function blob(repository: string, digest: string): Promise<Buffer> {
    const response = await v2(`${repository}/blobs/${digest}`);
    assert.equal(response.status, 200);
    return Buffer.from(await response.arrayBuffer());
  }

  /** The report once the image's platforms all name an SBOM for which `wanted` holds. */
  function sbomReport(repository: string, reference: string, wanted: (sbom: NonNullable<VulnerabilityReport['platforms'][number]['sbom']>) => boolean = () => true) {
    return reportWhen(running.admin, repository, reference, (report) => report.platforms.every((platform) => platform.sbom !== null && wanted(platform.sbom)));
  }

  /** Waits until more `scan.sbom` jobs than `before` exist and all have ended well. */
  async function sbomJobsSettled(before: number): Promise<void> {
    for (let attempt = 0; attempt < 600; attempt++) {
      const jobs = await jobsOf(running.admin, 'scan.sbom');
      assert.ok(jobs.every((job) => job.status !== 'failed'), JSON.stringify(jobs));
      if (jobs.length > before && jobs.every((job) => job.status === 'done')) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail('the SBOM jobs did not settle');
  }

  before(async () => {
    feed = feedFolder({ Debian: 'debian' });
    dataDir = mkdtempSync(join(tmpdir(), 'berth-sbom-'));
    running = await start('cyclonedx');
    await createProject(running.admin, 'team');
    image = await pushTreeImage({ url: running.url, authorization }, 'team/debian', '12', [debianRoot]);
    const report = await sbomReport('team/debian', '12');
    sbomDigest = report.platforms[0]!.sbom!.digest;
  });
  after(async () => {
    await running?.berth.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    feed?.remove();
  });

  it('attaches the inventory as a CycloneDX 1.6 referrer of the image, named by the report', async () => {
    const listed = await referrers('team/debian', image.digest);
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.digest, sbomDigest);
    assert.equal(listed[0]!.artifactType, cyclonedx);
    assert.equal(listed[0]!.annotations?.['dev.berth.sbom.scanner'], 'berth');
    assert.deepEqual((await referrers('team/debian', image.digest, cyclonedx)).map((entry) => entry.digest), [sbomDigest]);

    const sbom = await manifest('team/debian', sbomDigest);
    assert.equal(sbom.mediaType, imageTypes.manifest);
    assert.equal(sbom.artifactType, cyclonedx);
    assert.deepEqual(sbom.config, { mediaType: imageTypes.empty, digest: sha256('{}'), size: 2 });
    assert.deepEqual(sbom.subject, { mediaType: imageTypes.manifest, digest: image.digest, size: image.descriptor.size });
    assert.equal(sbom.layers.length, 1);
    assert.equal(sbom.layers[0]!.mediaType, cyclonedx);
    assert.equal(sbom.layers[0]!.annotations?.['org.opencontainers.image.title'], 'sbom.cyclonedx.json');
    const report = await readReport(running.admin, 'team/debian', '12');
    assert.equal(sbom.annotations?.['org.opencontainers.image.created'], report.platforms[0]!.finishedAt!.replace(/\.\d{3}Z$/, 'Z'));
    assert.deepEqual(report.platforms[0]!.sbom, {
      digest: sbomDigest, artifactType: cyclonedx, format: 'cyclonedx', size: listed[0]!.size, created: sbom.annotations?.['org.opencontainers.image.created'],
    });

    const document = JSON.parse((await blob('team/debian', sbom.layers[0]!.digest)).toString('utf8')) as {
      bomFormat: string; specVersion: string; serialNumber: string; metadata: { component: { version: string } };
      components: { type: string; name: string; version: string }[];
    };
    assert.deepEqual(schemaErrors('bom-1.6.schema.json', document), []);
    assert.equal(document.specVersion, '1.6');
    assert.equal(document.metadata.component.version, image.digest);
    assert.equal(document.components.filter((component) => component.type === 'library').length, 88);
    assert.ok(document.components.some((component) => component.type === 'library' && component.name === 'zlib1g'));
    assert.ok(document.components.some((component) => component.type === 'operating-system' && component.name === 'debian' && component.version === '12'));
  });

  it('pushes it as the system, through the registry core: the audit log names Berth', async () => {
    const audit = expectStatus(await running.admin.get('/api/v1/audit?actor=berth&repository=team/debian&n=100'), 200).body as {
      items: { actorKind: string; action: string; digest: string | null }[];
    };
    assert.ok(audit.items.some((entry) => entry.actorKind === 'system' && entry.action === 'push' && entry.digest === sbomDigest), JSON.stringify(audit.items));
  });

  it('never scans the SBOM, and no pull policy holds it back', async () => {
    await scanningCaughtUp({ url: running.url, authorization });
    const ofSbom = await readReport(running.admin, 'team/debian', sbomDigest);
    assert.equal(ofSbom.status, 'unsupported');
    assert.equal(ofSbom.platforms[0]!.status, 'not scanned', 'no scan of the SBOM was ever queued');

    expectStatus(await running.admin.put('/api/v1/projects/team/vulnerability-policy', { blockSeverity: 'unknown', blockUnscanned: true }), 200);
    try {
      assert.equal((await v2(`team/debian/manifests/${image.digest}`, { headers: { accept: imageTypes.manifest } })).status, 403, 'the image is held back');
      const sbom = await manifest('team/debian', sbomDigest);
      assert.equal((await blob('team/debian', sbom.layers[0]!.digest)).length, sbom.layers[0]!.size);
    } finally {
      expectStatus(await running.admin.put('/api/v1/projects/team/vulnerability-policy', { blockSeverity: null, blockUnscanned: false }), 200);
    }
  });

  it('keeps the SBOM when a rescan reads the same inventory', async () => {
    const before = (await jobsOf(running.admin, 'scan.sbom')).length;
    const finished = (await readReport(running.admin, 'team/debian', '12')).platforms[0]!.finishedAt;
    expectStatus(await running.admin.post('/api/v1/scans', { repository: 'team/debian', reference: '12' }), 202);
    await reportWhen(running.admin, 'team/debian', '12', (report) => report.status === 'done' && report.platforms[0]!.finishedAt !== finished);
    await sbomJobsSettled(before);
    assert.deepEqual((await referrers('team/debian', image.digest)).map((entry) => entry.digest), [sbomDigest]);
  });

  it('attaches one to an image pushed to another repository after its scan, and none to an index', async () => {
    const stored = await manifest('team/debian', image.digest);
    for (const { digest } of [stored.config, ...stored.layers]) {
      const mounted = await v2(`team/multi/blobs/uploads/?mount=${digest}&from=team/debian`, { method: 'POST' });
      assert.equal(mounted.status, 201);
    }
    await pushManifest({ url: running.url, authorization }, 'team/multi', image.digest, stored as unknown as Record<string, unknown>);
    const index = await pushManifest({ url: running.url, authorization }, 'team/multi', 'v1', {
      schemaVersion: 2, mediaType: imageTypes.index,
      manifests: [{ ...image.descriptor, platform: { os: 'linux', architecture: 'amd64' } }],
    });
    const report = await sbomReport('team/multi', 'v1');
    const attached = report.platforms[0]!.sbom!.digest;
    assert.notEqual(attached, sbomDigest, 'each repository has its own, naming the repository');
    assert.deepEqual((await referrers('team/multi', image.digest)).map((entry) => entry.digest), [attached]);
    assert.deepEqual(await referrers('team/multi', index.digest), []);
    const subject = (await manifest('team/multi', attached)).subject;
    assert.equal(subject?.digest, image.digest);

    // Deleting the image follows the registry's rules for referrers: the SBOM outlives its subject, listed under it.
    assert.equal((await v2(`team/multi/manifests/${index.digest}`, { method: 'DELETE' })).status, 202);
    assert.equal((await v2(`team/multi/manifests/${image.digest}`, { method: 'DELETE' })).status, 202);
    assert.deepEqual((await referrers('team/multi', image.digest)).map((entry) => entry.digest), [attached]);
  });

  it('replaces only its own SBOM when a rescan writes another (SPDX 2.3 after a restart)', async () => {
    // A user's own SBOM of the image: Berth never touches it.
    const own = Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 }));
    const userSbom = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: imageTypes.manifest, artifactType: cyclonedx,
      config: { mediaType: imageTypes.empty, digest: sha256('{}'), size: 2 },
      layers: [{ mediaType: cyclonedx, digest: sha256(own), size: own.length }],
      subject: image.descriptor,
    }));
    assert.equal((await v2(`team/debian/blobs/uploads/?digest=${sha256(own)}`, { method: 'POST', body: new Uint8Array(own) })).status, 201);
    assert.equal((await v2(`team/debian/manifests/${sha256(userSbom)}`, {
      method: 'PUT', body: new Uint8Array(userSbom), headers: { 'content-type': imageTypes.manifest },
    })).status, 201);

    await running.berth.close();
    running = await start('spdx');
    expectStatus(await running.admin.post('/api/v1/scans', { repository: 'team/debian', reference: '12' }), 202);
    const report = await sbomReport('team/debian', '12', (sbom) => sbom.format === 'spdx');
    const replacement = report.platforms[0]!.sbom!.digest;
    await sbomJobsSettled(0);

    const listed = await referrers('team/debian', image.digest);
    assert.deepEqual(listed.map((entry) => entry.digest).sort(), [replacement, sha256(userSbom)].sort());
    assert.equal(listed.find((entry) => entry.digest === replacement)?.artifactType, spdx);
    assert.equal((await v2(`team/debian/manifests/${sbomDigest}`, { headers: { accept: imageTypes.manifest } })).status, 404, 'the CycloneDX SBOM Berth made is gone');
    const sbom = await manifest('team/debian', replacement);
    assert.equal(sbom.layers[0]!.mediaType, spdx);
    assert.equal(sbom.layers[0]!.annotations?.['org.opencontainers.image.title'], 'sbom.spdx.json');
    const document = JSON.parse((await blob('team/debian', sbom.layers[0]!.digest)).toString('utf8')) as { spdxVersion: string; packages: unknown[] };
    assert.deepEqual(schemaErrors('spdx-schema.json', document), []);
    assert.equal(document.spdxVersion, 'SPDX-2.3');
    const audit = expectStatus(await running.admin.get('/api/v1/audit?actor=berth&repository=team/debian&n=100'), 200).body as {
      items: { actorKind: string; action: string; digest: string | null }[];
    };
    assert.ok(audit.items.some((entry) => entry.actorKind === 'system' && entry.action === 'delete' && entry.digest === sbomDigest), JSON.stringify(audit.items));
  });
});

describe('SBOM attachment turned off', { timeout }, () => {
  it('scans the image and attaches nothing (scanning.sbom.attach: false)', async () => {
    const feed = feedFolder({ Debian: 'debian' });
    const api = await startApiBerth({ scanning: { feed: feed.path, sbom: { attach: false } } });
    try {
      await createProject(api.admin, 'team');
      const target = { url: api.registry.url, authorization };
      const image = await pushTreeImage(target, 'team/debian', '12', [debianRoot]);
      const report = await reportWhen(api.admin, 'team/debian', '12', (seen) => seen.status === 'done');
      await scanningCaughtUp(target);
      assert.equal(report.platforms[0]!.sbom, null);
      const listed = await fetch(`${api.registry.url}/v2/team/debian/referrers/${image.digest}`, { headers: { authorization } });
      assert.deepEqual(((await listed.json()) as { manifests: unknown[] }).manifests, []);
      assert.deepEqual(await jobsOf(api.admin, 'scan.sbom'), []);
    } finally {
      await api.close();
      feed.remove();
    }
  });
});
