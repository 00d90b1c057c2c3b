/**
 * What the scanner finds in images built from real file trees, read through /api/v1/vulnerabilities: an Alpine root,
 * a Debian root whose later layer rewrites the dpkg database, an npm application (and the same with packages removed
 * by whiteouts), a two-platform index rolled up; the report's filters; a corrupt layer; artifacts that are not
 * images; and the `scanning.enabled` and `scanning.onPush` settings.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminPassword, expectStatus, startApiBerth, type ApiBerth } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import {
  expectedFindings, feedFolder, findingLines, ImageTrees, imageTypes, jobsOf, layerOf, pushManifest, pushTreeImage, readReport, reportWhen,
  scanningCaughtUp, sha256, type RegistryTarget, type VulnerabilityReport,
} from '../support/scanning.js';

interface NpmFinding { id: string; name: string; installed: string; fixed: string | null; file: string }

const alpine = expectedFindings<{ findings: { id: string; package: string; installed: string; fixed: string | null }[] }>('alpine-3.20.3');
const aptRemoved = expectedFindings<{ findings: { id: string; binary: string; installed: string; fixed: string | null }[] }>('debian-bookworm-12.15-minbase-apt-removed');
const npm = expectedFindings<{ findings: NpmFinding[] }>('npm');
const alpineLines = alpine.findings.map((finding) => `${finding.id} ${finding.package} ${finding.installed} ${finding.fixed}`).sort();

// The npm application is placed at /usr/src/app; the expected findings name its files under inventories/npm/app.
const npmLine = (finding: NpmFinding): string =>
  `${finding.id} ${finding.name} ${finding.installed} ${finding.fixed} ${finding.file.replace('inventories/npm/app/', 'usr/src/app/')}`;
const npmLines = (report: VulnerabilityReport): string[] =>
  report.vulnerabilities.map((found) => `${found.id} ${found.package} ${found.version} ${found.fixedVersion} ${found.path}`).sort();

const done = (count: number) => (report: VulnerabilityReport) => report.status === 'done' && report.vulnerabilities.length >= count;

describe('scanning images built from real file trees', { timeout: 240_000 }, () => {
  let feed: ReturnType<typeof feedFolder>;
  let api: ApiBerth;
  let target: RegistryTarget;
  const trees = new ImageTrees();
  let alpineRoot: string;
  let npmApp: string;

  before(async () => {
    feed = feedFolder({ Alpine: 'alpine', Debian: 'debian', npm: 'npm' });
    api = await startApiBerth({ scanning: { feed: feed.path } });
    target = { url: api.registry.url, authorization: basic('admin', adminPassword) };
    alpineRoot = trees.tree({ '.': 'inventory/alpine/3.20.3' });
    npmApp = trees.tree({ 'usr/src/app': 'inventory/npm/app' });
  });
  after(async () => {
    await api?.close();
    feed?.remove();
    trees.remove();
  });

  it('finds exactly the expected vulnerabilities of Alpine 3.20.3', async () => {
    await pushTreeImage(target, 'team/alpine', '3.20', [alpineRoot]);
    const report = await reportWhen(api.admin, 'team/alpine', '3.20', done(alpineLines.length));
    assert.deepEqual(findingLines(report), alpineLines);
    assert.equal(report.platforms[0]!.packages, 14);
    assert.equal(report.platforms[0]!.distro?.ecosystem, 'Alpine:v3.20');
    assert.equal(report.summary.total, alpineLines.length);
  });

  it('reads the dpkg database a later layer wrote, not the one it replaced', async () => {
    const debian = trees.tree({ '.': 'inventory/debian/bookworm-12.15-minbase' });
    const removed = trees.tree({ '.': 'inventory/debian/bookworm-12.15-minbase-apt-removed' });
    await pushTreeImage(target, 'team/debian', 'apt-removed', [debian, removed]);
    const wanted = aptRemoved.findings.map((finding) => `${finding.id} ${finding.binary} ${finding.installed} ${finding.fixed}`).sort();
    const report = await reportWhen(api.admin, 'team/debian', 'apt-removed', done(wanted.length));
    assert.deepEqual(findingLines(report), wanted);
    assert.equal(report.platforms[0]!.packages, 87, 'apt, removed in the upper layer, is not installed');
    assert.ok(!report.vulnerabilities.some((found) => found.package === 'apt'));
  });

  it('finds exactly the expected vulnerabilities of an npm application, nested packages included', async () => {
    await pushTreeImage(target, 'team/npm', '1', [npmApp]);
    const report = await reportWhen(api.admin, 'team/npm', '1', done(npm.findings.length));
    assert.deepEqual(npmLines(report), npm.findings.map(npmLine).sort());
    assert.equal(report.platforms[0]!.packages, 87);
  });

  it('leaves out packages a later layer deleted with whiteouts (a folder, and one package.json)', async () => {
    const whiteouts = trees.tree({}, {
      'usr/src/app/node_modules/.wh.mkdirp': '',
      'usr/src/app/node_modules/axios/.wh.package.json': '',
    });
    await pushTreeImage(target, 'team/npm', 'slim', [npmApp, whiteouts]);
    const gone = (finding: NpmFinding) => finding.file.includes('/node_modules/mkdirp/') || finding.file.includes('/node_modules/axios/');
    const wanted = npm.findings.filter((finding) => !gone(finding)).map(npmLine).sort();
    assert.equal(wanted.length, npm.findings.length - 4);
    const report = await reportWhen(api.admin, 'team/npm', 'slim', done(wanted.length));
    assert.deepEqual(npmLines(report), wanted);
    assert.equal(report.platforms[0]!.packages, 87 - 3, 'mkdirp, its nested minimist, and axios');
  });

  it('reports each platform of an index, and the roll-up with the platforms each finding is in', async () => {
    const amd64 = await pushTreeImage(target, 'team/multi', 'amd64', [alpineRoot]);
    const arm64 = await pushTreeImage(target, 'team/multi', 'arm64', [alpineRoot, npmApp], { architecture: 'arm64', variant: 'v8' });
    await pushManifest(target, 'team/multi', '1', {
      schemaVersion: 2, mediaType: imageTypes.index,
      manifests: [
        { ...amd64.descriptor, platform: { os: 'linux', architecture: 'amd64' } },
        { ...arm64.descriptor, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
    });
    const total = alpineLines.length + npm.findings.length;
    const report = await reportWhen(api.admin, 'team/multi', '1', done(total));
    assert.equal(report.mediaType, imageTypes.index);
    assert.deepEqual(report.platforms.map((platform) => [platform.digest, platform.platform, platform.status, platform.summary.total]), [
      [amd64.digest, 'linux/amd64', 'done', alpineLines.length],
      [arm64.digest, 'linux/arm64/v8', 'done', total],
    ]);
    assert.equal(report.vulnerabilities.length, total, 'a finding on both platforms is listed once');
    assert.equal(report.summary.total, total);
    for (const found of report.vulnerabilities) {
      assert.deepEqual(found.platforms, found.ecosystem === 'npm' ? [arm64.digest] : [amd64.digest, arm64.digest], `${found.id} in ${found.package}`);
    }
    // Each platform by its digest is a report of its own.
    assert.deepEqual(findingLines(await readReport(api.admin, 'team/multi', amd64.digest)), alpineLines);
  });

  it('filters findings by severity, package and fix, and refuses filters it cannot read', async () => {
    const all = await readReport(api.admin, 'team/npm', '1');
    const rank = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NEGLIGIBLE', 'UNKNOWN'];
    const high = await readReport(api.admin, 'team/npm', '1', { severity: 'high' });
    assert.deepEqual(high.vulnerabilities, all.vulnerabilities.filter((found) => rank.indexOf(found.severity) <= 1));
    assert.ok(high.vulnerabilities.length > 0 && high.vulnerabilities.length < all.vulnerabilities.length, `${high.vulnerabilities.length} of ${all.vulnerabilities.length}`);
    assert.equal(high.summary.total, high.vulnerabilities.length);
    assert.equal(high.summary.medium + high.summary.low + high.summary.other, 0);
    const minimist = await readReport(api.admin, 'team/npm', '1', { package: 'minimist' });
    assert.deepEqual(minimist.vulnerabilities.map((found) => `${found.id} ${found.version}`).sort(), [
      'GHSA-vh95-rmgr-6w4m 0.0.10', 'GHSA-vh95-rmgr-6w4m 0.0.8', 'GHSA-vh95-rmgr-6w4m 1.2.0',
      'GHSA-xvch-5gv4-984h 0.0.10', 'GHSA-xvch-5gv4-984h 0.0.8', 'GHSA-xvch-5gv4-984h 1.2.0',
    ]);
    assert.equal((await readReport(api.admin, 'team/npm', '1', { fixable: 'true' })).vulnerabilities.length, all.vulnerabilities.length);
    assert.deepEqual((await readReport(api.admin, 'team/npm', '1', { fixable: 'false' })).vulnerabilities, []);
    const both = await readReport(api.admin, 'team/npm', '1', { severity: 'CRITICAL', package: 'minimist', fixable: 'true' });
    assert.deepEqual(both.vulnerabilities, minimist.vulnerabilities.filter((found) => found.severity === 'CRITICAL'));
    for (const query of ['severity=loud', 'severity=', 'fixable=yes', 'package=', 'colour=red']) {
      const response = await api.admin.get(`/api/v1/vulnerabilities?repository=team/npm&reference=1&${query}`);
      expectStatus(response, 400, 'INVALID_REQUEST');
    }
    expectStatus(await api.admin.get('/api/v1/vulnerabilities?repository=team/npm'), 400, 'INVALID_REQUEST');
    expectStatus(await api.admin.get('/api/v1/vulnerabilities?repository=team/npm&reference=sha256:nothex'), 400, 'INVALID_REQUEST');
    expectStatus(await api.admin.get('/api/v1/vulnerabilities?repository=team/npm&reference=2'), 404, 'MANIFEST_UNKNOWN');
  });

  it('fails the scan of an image with a corrupt layer, naming the layer, and goes on scanning others', async () => {
    const corrupt = randomBytes(4096);
    await pushTreeImage(target, 'team/broken', '1', [alpineRoot, corrupt]);
    const report = await reportWhen(api.admin, 'team/broken', '1', (seen) => seen.status === 'failed');
    assert.match(report.platforms[0]!.reason ?? '', /^not a readable tar archive: .* \(layer 2 of 2, sha256:[0-9a-f]{64}\)$/);
    assert.deepEqual(report.vulnerabilities, []);
    await pushTreeImage(target, 'team/alpine', 'again', [trees.tree({ '.': 'inventory/alpine/3.20.3' }, { 'etc/motd': 'again\n' })]);
    assert.deepEqual(findingLines(await reportWhen(api.admin, 'team/alpine', 'again', done(alpineLines.length))), alpineLines);
  });

  it('neither queues nor accepts a scan of an artifact that is not an image', async () => {
    // A signature-like artifact: artifactType set and the empty config, though its one layer is a gzipped tar.
    const empty = Buffer.from('{}');
    const layer = layerOf(alpineRoot);
    const artifact = await pushManifest(target, 'team/alpine', 'sig', {
      schemaVersion: 2, mediaType: imageTypes.manifest, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      config: { mediaType: imageTypes.empty, digest: sha256(empty), size: 2 },
      layers: [{ mediaType: imageTypes.layer, digest: sha256(layer), size: layer.length }],
    }, [empty, layer]);
    await scanningCaughtUp(target);
    const report = await readReport(api.admin, 'team/alpine', artifact.digest);
    assert.equal(report.status, 'unsupported');
    assert.equal(report.platforms[0]!.status, 'not scanned', 'no scan was queued on push');
    assert.equal(report.platforms[0]!.queuedAt, undefined);
    const refused = expectStatus(await api.admin.post('/api/v1/scans', { repository: 'team/alpine', reference: 'sig' }), 400, 'INVALID_REQUEST');
    assert.match(refused.text, /not a container image/);
  });
});

describe('scanning turned off', { timeout: 60_000 }, () => {
  let api: ApiBerth;

  before(async () => {
    api = await startApiBerth({ scanning: { enabled: false } });
  });
  after(async () => {
    await api?.close();
  });

  it('answers UNSUPPORTED on the scanning routes', async () => {
    const target = { url: api.registry.url, authorization: basic('admin', adminPassword) };
    await pushTreeImage(target, 'team/alpine', '1', [randomBytes(64)]);
    for (const response of [
      await api.admin.get('/api/v1/vulnerabilities?repository=team/alpine&reference=1'),
      await api.admin.post('/api/v1/scans', { repository: 'team/alpine', reference: '1' }),
      await api.admin.get('/api/v1/advisory-feeds'),
      await api.admin.post('/api/v1/advisory-feeds/refresh'),
      await api.admin.get('/api/v1/projects/team/vulnerability-policy'),
    ]) {
      expectStatus(response, 405, 'UNSUPPORTED');
    }
  });
});

describe('scanning on demand only (scanning.onPush: false)', { timeout: 60_000 }, () => {
  let feed: ReturnType<typeof feedFolder>;
  let api: ApiBerth;
  const trees = new ImageTrees();

  before(async () => {
    feed = feedFolder({ Alpine: 'alpine' });
    api = await startApiBerth({ scanning: { onPush: false, feed: feed.path } });
  });
  after(async () => {
    await api?.close();
    feed?.remove();
    trees.remove();
  });

  it('leaves a pushed image not scanned until a scan is asked for', async () => {
    const target = { url: api.registry.url, authorization: basic('admin', adminPassword) };
    await pushTreeImage(target, 'team/alpine', '3.20', [trees.tree({ '.': 'inventory/alpine/3.20.3' })]);
    await scanningCaughtUp(target);
    const unscanned = await readReport(api.admin, 'team/alpine', '3.20');
    assert.equal(unscanned.status, 'not scanned');
    assert.deepEqual(await jobsOf(api.admin, 'scan.artifact'), []);
    const queued = expectStatus(await api.admin.post<VulnerabilityReport>('/api/v1/scans', { repository: 'team/alpine', reference: '3.20' }), 202).body;
    assert.ok(['queued', 'scanning', 'done'].includes(queued.status), queued.status);
    const report = await reportWhen(api.admin, 'team/alpine', '3.20', done(alpineLines.length));
    assert.deepEqual(findingLines(report), alpineLines);
    assert.equal((await jobsOf(api.admin, 'scan.artifact')).length, 1);
  });
});
