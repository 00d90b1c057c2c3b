/**
 * External scanners speaking Harbor's Pluggable Scanner API, against an adapter written in the test (Trivy's cannot
 * be installed here) that follows the spec's 302 + `Refresh-After` polling and really pulls the image from Berth
 * with the token it is handed: beside the built-in scanner (findings merged, each tagged with its scanner), instead
 * of it (no layer read), the adapter's errors as the scan's reason, a report that never comes, an adapter that is
 * down at start, and the pull token (pull on that one repository, past a policy that refuses unscanned images).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminPassword, ApiClient, createProject, expectStatus, startApiBerth, type ApiBerth } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { adapterTypes, closedAddress, startScannerAdapter, type AdapterVulnerability, type ScannerAdapter } from '../support/scanner-adapter.js';
import { feedFolder, ImageTrees, pushTreeImage, readReport, reportWhen, type VulnerabilityReport } from '../support/scanning.js';

const adminAuth = basic('admin', adminPassword);
const adapterSecret = 'Bearer adapter-secret';

const reported: AdapterVulnerability[] = [
  {
    id: 'CVE-2099-0001', package: 'musl', version: '1.2.5-r0', fix_version: '1.2.5-r1', severity: 'Critical',
    description: 'A made-up flaw in musl.\nMore lines the summary leaves out.', links: ['https://avd.aquasec.com/nvd/cve-2099-0001', 'javascript:alert(1)'],
    preferred_cvss: { score_v3: 9.8 },
  },
  { id: 'CVE-2099-0002', package: 'busybox', version: '1.36.1-r29', fix_version: '', severity: 'Negligible' },
];

interface ScannerView { name: string; kind: string; active: boolean; use: string | null; url: string | null; health: { status: string; error: string | null }; adapter: { name: string } | null; reportMediaType: string | null }

const finishedAfter = (since: string | undefined) => (report: VulnerabilityReport) =>
  ['done', 'failed'].includes(report.status) && report.platforms[0]!.finishedAt !== undefined && (since === undefined || report.platforms[0]!.finishedAt! > since);

function tokenClaims(authorization: string): { sub: string; exp: number; iat: number; access: { type: string; name: string; actions: string[] }[] } {
  const token = authorization.replace(/^Bearer /, '');
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('external scanners (Harbor Pluggable Scanner API)', { timeout: 180_000 }, () => {
  const trees = new ImageTrees();
  let feed: ReturnType<typeof feedFolder>;
  let alpine: string;

  before(() => {
    feed = feedFolder({ Alpine: 'alpine' });
    alpine = trees.tree({ '.': 'inventory/alpine/3.20.3' });
  });
  after(() => {
    feed?.remove();
    trees.remove();
  });

  describe('beside the built-in scanner, with access control on', () => {
    let adapter: ScannerAdapter;
    let api: ApiBerth;
    let digest: string;

    before(async () => {
      adapter = await startScannerAdapter({ expectAuthorization: adapterSecret });
      adapter.behaviour.vulnerabilities = reported;
      api = await startApiBerth({
        scanning: { feed: feed.path, external: [{ name: 'trivy', url: adapter.url, authorization: adapterSecret, use: 'beside', timeoutSeconds: 120 }] },
      });
      await createProject(api.admin, 'team');
      await createProject(api.admin, 'other');
      // Unscanned images may not be pulled: the adapter must still read the image it scans.
      expectStatus(await api.admin.put('/api/v1/projects/team/vulnerability-policy', { blockUnscanned: true, blockSeverity: 'critical' }), 200);
      const target = { url: api.registry.url, authorization: adminAuth };
      // Another image (one scan per digest: the same image would be scanned once, from whichever repository came first).
      await pushTreeImage(target, 'other/app', '1', [trees.tree({ '.': 'inventory/alpine/3.20.3' }, { 'etc/motd': 'another image\n' })]);
      digest = (await pushTreeImage(target, 'team/app', '1', [alpine])).digest;
    });
    after(async () => {
      await api?.close();
      await adapter?.close();
    });

    it('merges the built-in findings with the adapter\'s, each tagged with its scanner', async () => {
      const report = await reportWhen(api.admin, 'team/app', '1', finishedAfter(undefined));
      assert.equal(report.status, 'done', JSON.stringify(report.platforms[0]));
      assert.equal(report.platforms[0]!.scanner, 'berth+trivy');
      assert.ok(report.platforms[0]!.packages > 0, 'the built-in scanner read the inventory');
      const scanners = new Set(report.vulnerabilities.map((found) => found.scanner));
      assert.deepEqual([...scanners].sort(), ['berth', 'trivy']);
      const musl = report.vulnerabilities.find((found) => found.id === 'CVE-2099-0001')!;
      assert.deepEqual({ ...musl, platforms: undefined }, {
        id: 'CVE-2099-0001', aliases: [], summary: 'A made-up flaw in musl.', severity: 'CRITICAL', score: 9.8, package: 'musl', version: '1.2.5-r0',
        fixedVersion: '1.2.5-r1', kind: 'reported', ecosystem: '', path: '', purl: '', scanner: 'trivy',
        links: ['https://avd.aquasec.com/nvd/cve-2099-0001'], platforms: undefined,
      });
      const busybox = report.vulnerabilities.find((found) => found.id === 'CVE-2099-0002')!;
      assert.equal(busybox.severity, 'NEGLIGIBLE');
      assert.equal(busybox.fixedVersion, null);
      // The counts hold both scanners' findings: the adapter's critical one is the only critical.
      assert.equal(report.summary.critical, 1);
      assert.equal(report.summary.total, report.vulnerabilities.length);
      // Filters apply to reported findings as to matched ones.
      const critical = await readReport(api.admin, 'team/app', '1', { severity: 'critical' });
      assert.deepEqual(critical.vulnerabilities.map((found) => found.id), ['CVE-2099-0001']);
      // The policy counts them too: a critical finding of the adapter's blocks pulls.
      const pull = await fetch(`${api.registry.url}/v2/team/app/manifests/1`, { headers: { authorization: adminAuth, accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(pull.status, 403);
      assert.match(await pull.text(), /CVE-2099-0001 CRITICAL in musl 1\.2\.5-r0/);
    });

    it('follows the spec: metadata, the scan request, the report polled after each Refresh-After', async () => {
      assert.ok(adapter.metadataRequests.length >= 1);
      assert.match(adapter.metadataRequests[0]!, /application\/vnd\.scanner\.adapter\.metadata\+json; version=1\.1/);
      const scan = adapter.scans.find((candidate) => candidate.request.artifact.repository === 'team/app')!;
      assert.equal(scan.contentType, adapterTypes.scanRequest);
      assert.equal(scan.adapterAuthorization, adapterSecret);
      assert.equal(scan.request.registry.url, api.registry.url);
      assert.deepEqual(scan.request.artifact, { repository: 'team/app', digest, mime_type: 'application/vnd.oci.image.manifest.v1+json' });
      // Two 302s, then the report, asked for in the v1.1 format the metadata offered.
      assert.equal(scan.polls.length, 3);
      for (const accept of scan.polls) assert.match(accept, /^application\/vnd\.security\.vulnerability\.report; version=1\.1/);
    });

    it('hands the adapter a short-lived token that pulls that one repository and nothing else', async () => {
      const scan = adapter.scans.find((candidate) => candidate.request.artifact.repository === 'team/app')!;
      // The adapter pulled the manifest with it while the image was still unscanned, past the policy.
      assert.equal(scan.pullStatus, 200);
      const authorization = scan.request.registry.authorization!;
      const claims = tokenClaims(authorization);
      assert.equal(claims.sub, 'scanner:trivy');
      assert.deepEqual(claims.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
      assert.equal(claims.exp - claims.iat, 120 + 60);
      const headers = { authorization, accept: 'application/vnd.oci.image.manifest.v1+json' };
      // Not another repository, not a push, not the catalog.
      assert.equal((await fetch(`${api.registry.url}/v2/other/app/manifests/1`, { headers })).status, 403);
      const push = await fetch(`${api.registry.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers });
      assert.equal(push.status, 403);
      assert.equal((await fetch(`${api.registry.url}/v2/_catalog`, { headers })).status, 403);
      // Nor the administration API.
      assert.equal((await fetch(`${api.registry.url}/api/v1/users`, { headers })).status, 401);
    });

    it('lists the scanners with their health and metadata', async () => {
      const { items } = expectStatus(await api.admin.get<{ items: ScannerView[] }>('/api/v1/scanners'), 200).body;
      assert.deepEqual(items.map((item) => [item.name, item.kind, item.active, item.use, item.health.status]), [
        ['berth', 'built-in', true, null, 'up'], ['trivy', 'external', true, 'beside', 'up'],
      ]);
      assert.equal(items[1]!.adapter?.name, 'Trivy');
      assert.equal(items[1]!.reportMediaType, adapterTypes.reportV11);
      assert.equal(items[1]!.url, adapter.url);
      // Others see the scanners, but not where the adapter is.
      const anonymous = expectStatus(await api.anonymous.get<{ items: ScannerView[] }>('/api/v1/scanners'), 200).body.items;
      assert.equal(anonymous[1]!.url, null);
    });

    it('fails the scan with the adapter\'s status and words when it refuses the request', async () => {
      const before = (await readReport(api.admin, 'team/app', '1')).platforms[0]!.finishedAt;
      adapter.behaviour.rejectScan = { status: 400, message: 'unsupported artifact type' };
      try {
        expectStatus(await api.admin.post('/api/v1/scans', { repository: 'team/app', reference: '1' }), 202);
        const report = await reportWhen(api.admin, 'team/app', '1', finishedAfter(before));
        assert.equal(report.status, 'failed');
        assert.match(report.platforms[0]!.reason!, /external scanner trivy answered 400 to POST \/api\/v1\/scan of team\/app@sha256:[0-9a-f]{64}: unsupported artifact type/);
      } finally {
        adapter.behaviour.rejectScan = undefined;
      }
    });

    it('fails the scan with the adapter\'s status and words when the report fails', async () => {
      const before = (await readReport(api.admin, 'team/app', '1')).platforms[0]!.finishedAt;
      adapter.behaviour.failReport = { status: 500, message: 'the vulnerability database is corrupt' };
      try {
        expectStatus(await api.admin.post('/api/v1/scans', { repository: 'team/app', reference: '1' }), 202);
        const report = await reportWhen(api.admin, 'team/app', '1', finishedAfter(before));
        assert.equal(report.status, 'failed');
        assert.match(report.platforms[0]!.reason!, /external scanner trivy answered 500 to GET \/api\/v1\/scan\/[^/]+\/report: the vulnerability database is corrupt/);
      } finally {
        adapter.behaviour.failReport = undefined;
      }
      const metrics = await (await fetch(`${api.registry.url}/metrics`, { headers: { authorization: adminAuth } })).text();
      assert.match(metrics, /^berth_external_scans_total\{scanner="trivy",outcome="completed"\} [1-9]/m);
      assert.match(metrics, /^berth_external_scans_total\{scanner="trivy",outcome="failed"\} 2$/m);
    });
  });

  describe('instead of the built-in scanner', () => {
    let adapter: ScannerAdapter;
    let berth: ApiBerth;
    let api: ApiClient;

    before(async () => {
      adapter = await startScannerAdapter();
      adapter.behaviour.vulnerabilities = reported;
      berth = await startApiBerth({ scanning: { feed: feed.path, external: [{ name: 'clair', url: adapter.url, use: 'instead' }] } });
      api = berth.admin;
      await createProject(api, 'team');
    });
    after(async () => {
      await berth?.close();
      await adapter?.close();
    });

    it('takes the adapter\'s report as the report, reading no layer', async () => {
      // The project refuses pulls of unscanned images: only the scanner's token gets the image out before its scan.
      expectStatus(await api.put('/api/v1/projects/team/vulnerability-policy', { blockUnscanned: true }), 200);
      await pushTreeImage({ url: berth.registry.url, authorization: adminAuth }, 'team/app', '1', [alpine]);
      const report = await reportWhen(api, 'team/app', '1', finishedAfter(undefined));
      assert.equal(report.status, 'done', JSON.stringify(report.platforms[0]));
      assert.equal(report.platforms[0]!.scanner, 'clair');
      assert.equal(report.platforms[0]!.packages, 0, 'no inventory of its own');
      assert.deepEqual(report.vulnerabilities.map((found) => [found.id, found.scanner]), [['CVE-2099-0001', 'clair'], ['CVE-2099-0002', 'clair']]);
      // No advisory feed was read: the built-in scanner did not run.
      assert.deepEqual(expectStatus(await api.get<{ items: unknown[] }>('/api/v1/advisory-feeds'), 200).body.items, []);
      assert.equal(adapter.scans[0]!.pullStatus, 200);
      const { items } = expectStatus(await api.get<{ items: ScannerView[] }>('/api/v1/scanners'), 200).body;
      assert.deepEqual(items.map((item) => [item.name, item.active, item.use]), [['berth', false, null], ['clair', true, 'instead']]);
    });
  });

  describe('a report that never comes', () => {
    let adapter: ScannerAdapter;
    let berth: InProcessBerth;

    before(async () => {
      adapter = await startScannerAdapter();
      adapter.behaviour.neverReady = true;
      berth = await startInProcess({ scanning: { feed: feed.path, external: [{ name: 'slow', url: adapter.url, use: 'instead', timeoutSeconds: 2 }] } });
    });
    after(async () => {
      await berth?.close();
      await adapter?.close();
    });

    it('fails the scan once the scanner\'s timeout has passed', async () => {
      await pushTreeImage({ url: berth.url }, 'team/app', '1', [alpine]);
      const report = await reportWhen(new ApiClient(berth.url, undefined), 'team/app', '1', finishedAfter(undefined));
      assert.equal(report.status, 'failed');
      assert.match(report.platforms[0]!.reason!, /external scanner slow did not deliver the report of team\/app@sha256:[0-9a-f]{64} within 2 s/);
      assert.ok(adapter.scans[0]!.polls.length >= 1);
      // With access control off the scanner's token is still checked (policies must know it), and pulls with it.
      assert.equal(adapter.scans[0]!.pullStatus, 200);
      const manifest = `${berth.url}/v2/team/app/manifests/1`;
      assert.equal((await fetch(manifest, { headers: { authorization: 'Bearer not-a-token' } })).status, 200, 'other credentials are ignored, as before');
      const metrics = await (await fetch(`${berth.url}/metrics`)).text();
      assert.match(metrics, /^berth_external_scans_total\{scanner="slow",outcome="timeout"\} 1$/m);
    });
  });

  describe('an adapter that is down at start', () => {
    let berth: InProcessBerth;
    let url: string;

    before(async () => {
      url = await closedAddress();
      berth = await startInProcess({ scanning: { feed: feed.path, external: [{ name: 'gone', url, use: 'beside' }] } });
    });
    after(async () => {
      await berth?.close();
    });

    it('starts all the same, shows the scanner down, and fails scans naming it', async () => {
      const api = new ApiClient(berth.url, undefined);
      const { items } = expectStatus(await api.get<{ items: ScannerView[] }>('/api/v1/scanners'), 200).body;
      const gone = items.find((item) => item.name === 'gone')!;
      assert.equal(gone.health.status, 'down');
      assert.match(gone.health.error!, new RegExp(`external scanner gone could not be reached at ${url}/api/v1/metadata`));
      await pushTreeImage({ url: berth.url }, 'team/app', '1', [alpine]);
      const report = await reportWhen(api, 'team/app', '1', finishedAfter(undefined));
      assert.equal(report.status, 'failed');
      assert.match(report.platforms[0]!.reason!, /external scanner gone could not be reached/);
    });
  });
});
