import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import type { NewAdvisory, NewFinding, ProjectImageCursor } from '../../src/metadata/scan-store.js';
import type { InstalledPackage } from '../../src/scanning/model.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function pkg(name: string, version: string, fields: Partial<InstalledPackage> = {}): InstalledPackage {
  return { kind: 'dpkg', name, version, ecosystem: 'Debian:12', purl: `pkg:deb/debian/${name}@${version}`, path: 'var/lib/dpkg/status', ...fields };
}

function advisory(id: string, packages: [string, string][], modified = 1_000): NewAdvisory {
  return {
    id, modified, summary: `${id} summary`, aliases: [`CVE-${id}`], packages: packages.map(([ecosystem, name]) => ({ ecosystem, name })),
    record: JSON.stringify({ id, affected: packages.map(([ecosystem, name]) => ({ package: { ecosystem, name } })) }),
  };
}

const finding = (advisoryId: string, packageSeq: number, severity: NewFinding['severity'], fixedVersion: string | null = null): NewFinding =>
  ({ advisoryId, packageSeq, severity, fixedVersion, score: severity === 'CRITICAL' ? 9.8 : undefined });

/**
 * The scanner's part of the metadata contract (src/metadata/scan-store.ts): scan states, inventories and findings
 * stored and replaced whole, advisories looked up by the packages they name, and the inventory index a rescan uses.
 */
export function scanStoreTests(store: () => MetadataStore): void {
  describe('scans', () => {
    it('moves a scan through queued, scanning and done, keeping the inventory, findings and counts', async () => {
      const scans = store().scans();
      await scans.markQueued([digest(1)], 'berth', 1_000);
      assert.equal((await scans.reports([digest(1)])).get(digest(1))?.status, 'queued');
      await scans.markScanning(digest(1), 2_000);
      const packages = [
        pkg('libc6', '2.36-9+deb12u1', { sourceName: 'glibc', arch: 'amd64' }),
        pkg('bsdutils', '1:2.38.1-5', { sourceName: 'util-linux', sourceVersion: '2.38.1-5' }),
        pkg('Django', '3.2.25', { kind: 'pypi', ecosystem: 'PyPI', path: 'usr/lib/python3/dist-packages/Django-3.2.25.egg-info/PKG-INFO' }),
      ];
      await scans.saveAdvisories([advisory('A-1', [['Debian:12', 'glibc']]), advisory('A-2', [['PyPI', 'django']])], []);
      const distro = { id: 'debian', versionId: '12', ecosystem: 'Debian:12' };
      await scans.saveScan(digest(1), { scanner: 'berth', distro, packages, findings: [finding('A-1', 0, 'CRITICAL', '2.36-9+deb12u3'), finding('A-2', 2, 'MEDIUM')] }, 3_000);

      const report = (await scans.reports([digest(1), digest(2)])).get(digest(1))!;
      assert.equal(report.status, 'done');
      assert.deepEqual(report.distro, distro);
      assert.equal(report.packageCount, 3);
      assert.deepEqual(report.counts, { critical: 1, high: 0, medium: 1, low: 0, other: 0 });
      assert.equal(report.fixable, 1);
      assert.deepEqual([report.queuedAt, report.startedAt, report.finishedAt, report.matchedAt], [1_000, 2_000, 3_000, 3_000]);
      assert.deepEqual((await scans.packages(digest(1))).map(({ seq, ...rest }) => [seq, rest]), packages.map((value, seq) => [seq, value]));
      const findings = await scans.findings(digest(1));
      assert.deepEqual(findings.map((found) => [found.advisoryId, found.packageSeq, found.severity, found.fixedVersion, found.summary, found.aliases]), [
        ['A-1', 0, 'CRITICAL', '2.36-9+deb12u3', 'A-1 summary', ['CVE-A-1']],
        ['A-2', 2, 'MEDIUM', null, 'A-2 summary', ['CVE-A-2']],
      ]);
      assert.equal(findings[0]!.score, 9.8);

      // A scan again replaces the inventory and findings whole.
      await scans.saveScan(digest(1), { scanner: 'berth', distro, packages: packages.slice(0, 1), findings: [] }, 4_000);
      assert.equal((await scans.packages(digest(1))).length, 1);
      assert.deepEqual(await scans.findings(digest(1)), []);
      assert.deepEqual((await scans.reports([digest(1)])).get(digest(1))!.counts, { critical: 0, high: 0, medium: 0, low: 0, other: 0 });
    });

    it('records a failed scan with its reason, and a queued scan again clears it', async () => {
      const scans = store().scans();
      await scans.markFailed(digest(3), 'layer 2 is not a tar archive', 1_000);
      const failed = (await scans.reports([digest(3)])).get(digest(3))!;
      assert.deepEqual([failed.status, failed.reason], ['failed', 'layer 2 is not a tar archive']);
      await scans.markQueued([digest(3)], 'berth', 2_000);
      const queued = (await scans.reports([digest(3)])).get(digest(3))!;
      assert.deepEqual([queued.status, queued.reason, queued.queuedAt], ['queued', undefined, 2_000]);
    });

    it('keeps a done scan\'s note on what it skipped as its reason, through a rematch, until the next scan', async () => {
      const scans = store().scans();
      const note = 'one file was skipped, so packages they hold are not in the inventory: app/package.json: not valid JSON';
      await scans.saveScan(digest(4), { scanner: 'berth', distro: undefined, packages: [], findings: [], note }, 1_000);
      const done = (await scans.reports([digest(4)])).get(digest(4))!;
      assert.deepEqual([done.status, done.reason], ['done', note]);
      await scans.replaceFindings(digest(4), [], 2_000);
      assert.equal((await scans.reports([digest(4)])).get(digest(4))!.reason, note);
      await scans.saveScan(digest(4), { scanner: 'berth', distro: undefined, packages: [], findings: [] }, 3_000);
      assert.equal((await scans.reports([digest(4)])).get(digest(4))!.reason, undefined);
    });

    it('finds advisories by the packages they name, and replaces or drops them by id', async () => {
      const scans = store().scans();
      await scans.saveAdvisories([advisory('A-1', [['Debian:12', 'glibc'], ['Debian:11', 'glibc']]), advisory('A-2', [['Debian:12', 'zlib']]), advisory('A-3', [['npm', 'lodash']])], []);
      assert.equal(await scans.advisoryCount(), 3);
      const ids = async (keys: [string, string][]) => (await scans.advisoriesFor(keys.map(([ecosystem, name]) => ({ ecosystem, name })))).map((stored) => stored.id);
      assert.deepEqual(await ids([['Debian:12', 'glibc'], ['Debian:12', 'zlib']]), ['A-1', 'A-2']);
      assert.deepEqual(await ids([['Debian:11', 'glibc']]), ['A-1']);
      assert.deepEqual(await ids([['Debian:12', 'lodash'], ['npm', 'glibc']]), [], 'a name matches within its own ecosystem only');

      // A-1 changes to name only Debian 11; A-3 is withdrawn.
      await scans.saveAdvisories([advisory('A-1', [['Debian:11', 'glibc']], 2_000)], ['A-3']);
      assert.deepEqual(await ids([['Debian:12', 'glibc']]), []);
      assert.deepEqual(await ids([['npm', 'lodash']]), []);
      assert.deepEqual([...await scans.advisoryModified(['A-1', 'A-2', 'A-3'])].sort(), [['A-1', 2_000], ['A-2', 1_000]]);
      assert.equal(await scans.advisoryCount(), 2);
    });

    it('answers which images hold a package or an advisory\'s findings, and replaces findings on a rematch', async () => {
      const scans = store().scans();
      await scans.saveAdvisories([advisory('A-1', [['Debian:12', 'glibc']]), advisory('A-2', [['Debian:12', 'zlib']])], []);
      const glibc = pkg('libc6', '2.36-9', { sourceName: 'glibc' });
      const zlib = pkg('zlib1g', '1:1.2.13.dfsg-1', { sourceName: 'zlib' });
      await scans.saveScan(digest(10), { scanner: 'berth', distro: undefined, packages: [glibc, zlib], findings: [finding('A-1', 0, 'HIGH'), finding('A-2', 1, 'LOW')] }, 1_000);
      await scans.saveScan(digest(11), { scanner: 'berth', distro: undefined, packages: [zlib], findings: [finding('A-2', 0, 'LOW')] }, 1_000);
      const variants = async (ecosystem: string, name: string) => (await scans.rematchScope([{ ecosystem, name }], [])).variants
        .map((named) => [named.kind, named.matchName, named.version, named.sourceVersion, named.packages]).sort();
      assert.deepEqual(await variants('Debian:12', 'glibc'), [['dpkg', 'glibc', '2.36-9', null, 1]], 'OS packages are indexed by their source');
      assert.deepEqual(await variants('Debian:12', 'zlib'), [['dpkg', 'zlib', '1:1.2.13.dfsg-1', null, 2]], 'one variant however many images hold it');
      assert.deepEqual(await variants('Debian:12', 'libc6'), []);
      assert.deepEqual(await scans.inventoryEcosystems(), ['Debian:12']);
      const scope = await scans.rematchScope([], ['A-2', 'A-9']);
      assert.equal(scope.findings, 2);
      assert.equal(scope.imageKeys!.last - scope.imageKeys!.first, 1, 'two images scanned, two keys');

      // A-1 now rates CRITICAL with a fix: the findings are replaced, and the counts follow.
      assert.ok(await scans.replaceFindings(digest(10), [finding('A-1', 0, 'CRITICAL', '2.36-9+deb12u3'), finding('A-2', 1, 'LOW')], 2_000));
      const findings = await scans.findings(digest(10));
      assert.deepEqual(findings.map((found) => [found.advisoryId, found.severity]), [['A-1', 'CRITICAL'], ['A-2', 'LOW']]);
      const report = (await scans.reports([digest(10)])).get(digest(10))!;
      assert.deepEqual([report.counts.critical, report.counts.high, report.counts.low, report.fixable, report.matchedAt], [1, 0, 1, 1, 2_000]);
      assert.equal(report.finishedAt, 1_000, 'a rematch is no new scan');
      // An advisory that no longer holds leaves no finding; an image without a finished scan is left alone.
      assert.ok(await scans.replaceFindings(digest(11), [], 3_000));
      assert.deepEqual(await scans.findings(digest(11)), []);
      assert.equal(await scans.replaceFindings(digest(12), [finding('A-2', 0, 'LOW')], 3_000), false);
      assert.deepEqual((await scans.reports([digest(12)])).size, 0);
    });

    it('rematches images as sets: findings of the changed advisories replaced, counts moved, only changed images written', async () => {
      const scans = store().scans();
      const zlib = pkg('zlib1g', '1:1.2.13.dfsg-1', { sourceName: 'zlib' });
      const glibc = pkg('libc6', '2.36-9', { sourceName: 'glibc' });
      await scans.saveScan(digest(20), { scanner: 'berth', distro: undefined, packages: [glibc, zlib], findings: [finding('B-1', 0, 'HIGH'), finding('B-2', 1, 'LOW')] }, 1_000);
      await scans.saveScan(digest(21), { scanner: 'berth', distro: undefined, packages: [zlib], findings: [finding('B-2', 0, 'LOW')] }, 1_000);
      await scans.saveScan(digest(22), { scanner: 'berth', distro: undefined, packages: [zlib], findings: [] }, 1_000);
      await scans.saveScan(digest(23), { scanner: 'berth', distro: undefined, packages: [zlib], findings: [] }, 1_000);
      await scans.markQueued([digest(23)], 'berth', 1_500);
      await store().putManifest({
        repository: 'library/zlib', digest: digest(22), mediaType: 'application/vnd.oci.image.manifest.v1+json', content: Buffer.from('{}'),
        artifactType: undefined, subjectDigest: undefined, annotations: {}, references: [], tags: [], now: 1_000,
      });
      const variant = { ecosystem: 'Debian:12', kind: 'dpkg' as const, matchName: 'zlib', version: '1:1.2.13.dfsg-1', sourceVersion: null };
      const scope = await scans.rematchScope([{ ecosystem: 'Debian:12', name: 'zlib' }], ['B-2']);
      assert.deepEqual(scope.variants, [{ ...variant, packages: 4 }]);
      assert.equal(scope.findings, 2);

      // B-2 is now CRITICAL with a fix and reaches digest(22) too; digest(23)'s scan is not done.
      const critical = { ...variant, advisoryId: 'B-2', fixedVersion: '1:1.2.13.dfsg-2', severity: 'CRITICAL' as const, score: 9.5 };
      const outcome = await scans.rematchRange({ advisoryIds: ['B-2'], findings: [critical] }, scope.imageKeys!, 2_000);
      assert.equal(outcome.written, 3);
      assert.deepEqual(outcome.critical.map((image) => [image.digest, image.advisories, image.repositories]).sort(),
        [[digest(20), ['B-2'], []], [digest(21), ['B-2'], []], [digest(22), ['B-2'], ['library/zlib']]]);
      const found = (await store().outbox().read(0, 1_000)).filter((event) => event.type === 'vulnerability.found');
      assert.deepEqual(found.map((event) => [event.repository, event.digest, event.data]), [['library/zlib', digest(22), { advisories: ['B-2'], critical: 1 }]],
        'one event per repository holding the image, counting its critical findings after the rematch');
      const reports = await scans.reports([digest(20), digest(21), digest(22), digest(23)]);
      assert.deepEqual((await scans.findings(digest(20))).map((one) => [one.advisoryId, one.severity, one.fixedVersion, one.score]),
        [['B-1', 'HIGH', null, null], ['B-2', 'CRITICAL', '1:1.2.13.dfsg-2', 9.5]].map(([id, severity, fixed, score]) => [id, severity, fixed, score ?? undefined]));
      assert.deepEqual([reports.get(digest(20))!.counts, reports.get(digest(20))!.fixable, reports.get(digest(20))!.matchedAt],
        [{ critical: 1, high: 1, medium: 0, low: 0, other: 0 }, 1, 2_000]);
      assert.deepEqual([reports.get(digest(21))!.counts, reports.get(digest(21))!.fixable], [{ critical: 1, high: 0, medium: 0, low: 0, other: 0 }, 1]);
      assert.deepEqual(reports.get(digest(22))!.counts, { critical: 1, high: 0, medium: 0, low: 0, other: 0 });
      assert.deepEqual([await scans.findings(digest(23)), reports.get(digest(23))!.matchedAt], [[], 1_000], 'an image whose scan is not done is left alone');

      // The same verdicts again change nothing; B-2 withdrawn takes its findings away and moves the counts back.
      assert.deepEqual(await scans.rematchRange({ advisoryIds: ['B-2'], findings: [critical] }, scope.imageKeys!, 3_000), { written: 0, critical: [] });
      assert.equal((await scans.reports([digest(20)])).get(digest(20))!.matchedAt, 2_000);
      const withdrawn = await scans.rematchRange({ advisoryIds: ['B-2'], findings: [] }, scope.imageKeys!, 4_000);
      assert.deepEqual(withdrawn, { written: 3, critical: [] });
      const after = await scans.reports([digest(20), digest(22)]);
      assert.deepEqual([after.get(digest(20))!.counts, after.get(digest(20))!.fixable, after.get(digest(20))!.matchedAt],
        [{ critical: 0, high: 1, medium: 0, low: 0, other: 0 }, 0, 4_000]);
      assert.deepEqual(await scans.findings(digest(22)), []);

      // A range holds only its own images.
      const first = scope.imageKeys!.first;
      const low = { ...critical, severity: 'LOW' as const, score: undefined, fixedVersion: null };
      assert.equal((await scans.rematchRange({ advisoryIds: ['B-2'], findings: [low] }, { first, last: first }, 5_000)).written, 1);
      assert.deepEqual((await scans.findings(digest(20))).map((one) => [one.advisoryId, one.severity]), [['B-1', 'HIGH'], ['B-2', 'LOW']]);
      assert.deepEqual(await scans.findings(digest(21)), []);
    });

    it('keeps what external scanners reported beside its own matches, through rematches, until the next scan', async () => {
      const scans = store().scans();
      await scans.saveAdvisories([advisory('C-1', [['Debian:12', 'glibc']])], []);
      const glibc = pkg('libc6', '2.36-9', { sourceName: 'glibc' });
      const reported = (id: string, seq: number, severity: NewFinding['severity'], name: string, fixedVersion: string | null = null): NewFinding => ({
        advisoryId: id, packageSeq: seq, severity, fixedVersion, score: undefined,
        reported: { scanner: 'trivy', package: name, version: '1.0', summary: `${id} as trivy says`, links: [`https://example.com/${id}`] },
      });
      // C-1 reported by the scanner too: it is its own finding, apart from Berth's match of the same id.
      await scans.saveScan(digest(30), {
        scanner: 'berth+trivy', distro: undefined, packages: [glibc],
        findings: [finding('C-1', 0, 'HIGH'), reported('C-1', -1, 'CRITICAL', 'libc6', '2.0'), reported('CVE-X', -2, 'LOW', 'musl')],
      }, 1_000);
      const found = await scans.findings(digest(30));
      assert.deepEqual(found.map((finding) => [finding.advisoryId, finding.packageSeq, finding.severity, finding.summary, finding.reported?.scanner, finding.reported?.package]), [
        ['CVE-X', -2, 'LOW', 'CVE-X as trivy says', 'trivy', 'musl'],
        ['C-1', -1, 'CRITICAL', 'C-1 summary', 'trivy', 'libc6'],
        ['C-1', 0, 'HIGH', 'C-1 summary', undefined, undefined],
      ]);
      assert.deepEqual(found[0]!.reported, { scanner: 'trivy', package: 'musl', version: '1.0', summary: 'CVE-X as trivy says', links: ['https://example.com/CVE-X'] });
      assert.equal(found[2]!.reported, undefined);
      assert.deepEqual((await scans.reports([digest(30)])).get(digest(30))!.counts, { critical: 1, high: 1, medium: 0, low: 1, other: 0 });

      // Feed changes match Berth's own findings again and leave the reported ones be.
      const scope = await scans.rematchScope([{ ecosystem: 'Debian:12', name: 'glibc' }], ['C-1']);
      assert.equal((await scans.rematchRange({ advisoryIds: ['C-1'], findings: [] }, scope.imageKeys!, 2_000)).written, 1);
      assert.deepEqual((await scans.findings(digest(30))).map((finding) => [finding.advisoryId, finding.packageSeq]), [['CVE-X', -2], ['C-1', -1]]);
      await scans.replaceFindings(digest(30), [finding('C-1', 0, 'MEDIUM')], 3_000);
      assert.deepEqual((await scans.findings(digest(30))).map((finding) => [finding.advisoryId, finding.packageSeq, finding.severity]),
        [['CVE-X', -2, 'LOW'], ['C-1', -1, 'CRITICAL'], ['C-1', 0, 'MEDIUM']]);
      const report = (await scans.reports([digest(30)])).get(digest(30))!;
      assert.deepEqual([report.counts, report.fixable], [{ critical: 1, high: 0, medium: 1, low: 1, other: 0 }, 1]);

      // A scan replaces everything.
      await scans.saveScan(digest(30), { scanner: 'berth', distro: undefined, packages: [glibc], findings: [] }, 4_000);
      assert.deepEqual(await scans.findings(digest(30)), []);
    });

    it('keeps each project\'s vulnerability policy and allowlists, the registry-wide one apart', async () => {
      const scans = store().scans();
      assert.equal((await scans.vulnerabilityPolicies()).size, 0);
      await scans.saveVulnerabilityPolicy({ project: 'team', blockSeverity: 'HIGH', blockUnscanned: false, autoQuarantine: true, updatedBy: 'alice', updatedAt: 1_000 });
      await scans.saveVulnerabilityPolicy({ project: 'team', blockSeverity: 'CRITICAL', blockUnscanned: true, autoQuarantine: false, updatedBy: 'bob', updatedAt: 2_000 });
      await scans.saveVulnerabilityPolicy({ project: 'other', blockSeverity: undefined, blockUnscanned: true, autoQuarantine: false, updatedBy: 'bob', updatedAt: 2_000 });
      const policies = await scans.vulnerabilityPolicies();
      assert.deepEqual(policies.get('team'), { project: 'team', blockSeverity: 'CRITICAL', blockUnscanned: true, autoQuarantine: false, updatedBy: 'bob', updatedAt: 2_000 });
      assert.equal(policies.get('other')?.blockSeverity, undefined);

      const first = await scans.allowAdvisory({ project: 'team', advisoryId: 'CVE-2024-1', reason: 'not reachable', expiresAt: 9_000, createdBy: 'alice', createdAt: 1_000 });
      await scans.allowAdvisory({ project: '', advisoryId: 'CVE-2024-2', reason: 'registry-wide', expiresAt: undefined, createdBy: 'admin', createdAt: 1_000 });
      // The same advisory again replaces the project's entry.
      const replaced = await scans.allowAdvisory({ project: 'team', advisoryId: 'CVE-2024-1', reason: 'until the fix ships', expiresAt: 10_000, createdBy: 'bob', createdAt: 2_000 });
      assert.notEqual(replaced.id, first.id);
      assert.deepEqual((await scans.allowlist('team')).map((entry) => [entry.advisoryId, entry.reason, entry.expiresAt, entry.createdBy]), [['CVE-2024-1', 'until the fix ships', 10_000, 'bob']]);
      assert.deepEqual((await scans.allowlist('')).map((entry) => [entry.advisoryId, entry.expiresAt]), [['CVE-2024-2', undefined]]);
      assert.equal(await scans.disallowAdvisory('other', replaced.id), false, 'an entry is removed through its own project only');
      assert.ok(await scans.disallowAdvisory('team', replaced.id));
      assert.deepEqual(await scans.allowlist('team'), []);
    });

    it('keeps each feed source\'s state', async () => {
      const scans = store().scans();
      await scans.saveFeed({ source: 'Debian', location: '/srv/osv', newestModified: 5_000, records: 10, refreshedAt: 6_000, error: undefined });
      await scans.saveFeed({ source: 'npm', location: '/srv/osv', newestModified: undefined, records: 0, refreshedAt: 6_000, error: 'no npm/all.zip' });
      await scans.saveFeed({ source: 'Debian', location: '/srv/osv', newestModified: 7_000, records: 12, refreshedAt: 8_000, error: undefined });
      assert.deepEqual((await scans.feeds()).map((feed) => [feed.source, feed.newestModified, feed.records, feed.error]), [
        ['Debian', 7_000, 12, undefined], ['npm', undefined, 0, 'no npm/all.zip'],
      ]);
    });

    // The project overview (ScanStore.projectImages, projectScanTotals).
    describe('project vulnerability overview', () => {
      const image = 'application/vnd.oci.image.manifest.v1+json';
      const imageConfig = 'application/vnd.oci.image.config.v1+json';
      const put = (repository: string, n: number, fields: { tags?: string[]; mediaType?: string; artifactType?: string; subject?: string; children?: number[] } = {}) =>
        store().putManifest({
          repository, digest: digest(n), mediaType: fields.mediaType ?? image, content: Buffer.from(`{"n":${n}}`),
          artifactType: fields.artifactType ?? imageConfig, subjectDigest: fields.subject, annotations: undefined,
          references: (fields.children ?? []).map((child) => ({ digest: digest(child), kind: 'manifest' as const })), tags: fields.tags ?? [], now: 1_000 + n,
        });
      const scanned = (n: number, severities: NewFinding['severity'][], fixed = 0) => store().scans().saveScan(digest(n), {
        scanner: 'berth', distro: undefined, packages: severities.map((_, seq) => pkg(`p${seq}`, '1')),
        findings: severities.map((severity, seq) => finding(`A-${seq}`, seq, severity, seq < fixed ? '2' : null)),
      }, 5_000);

      it('lists a project\'s images worst first, a page at a time, with their tags, and counts them', async () => {
        const scans = store().scans();
        await put('team/app', 1, { tags: ['v1', 'latest'] });
        await put('team/app', 2, { tags: ['v2'] });
        await put('team/api', 3);
        await put('team/api', 4, { tags: ['old'] });
        await put('team/api', 5);
        await put('team/api', 6);
        await put('team', 7);
        // An index (listed through its platforms), a referrer, a non-image artifact and another project's images are left out.
        await put('team/app', 8, { mediaType: 'application/vnd.oci.image.index.v1+json', artifactType: undefined, tags: ['multi'], children: [2] });
        await put('team/app', 9, { subject: digest(1), artifactType: 'application/vnd.cyclonedx+json' });
        await put('team/app', 10, { artifactType: 'application/vnd.cncf.helm.config.v1+json' });
        await put('teamwork/app', 11);
        await put('team0', 12);
        await scanned(1, ['HIGH', 'HIGH', 'LOW'], 1);
        await scanned(2, ['CRITICAL', 'MEDIUM'], 0);
        await scanned(3, ['HIGH', 'HIGH', 'LOW'], 2);
        await scanned(4, []);
        await scans.markQueued([digest(5)], 'berth', 6_000);
        await scans.markFailed(digest(6), 'layer 1 is not a tar archive', 6_000);
        await scanned(11, ['CRITICAL', 'CRITICAL']);
        await scanned(12, ['CRITICAL']);

        const all = await scans.projectImages('team', undefined, 100);
        assert.deepEqual(all.map((row) => `${row.repository}@${row.digest.slice(-2)}`), [
          'team/app@02', 'team/api@03', 'team/app@01', 'team@07', 'team/api@04', 'team/api@05', 'team/api@06',
        ], 'critical first; equal counts by fixable, then by name');
        const first = all[0]!;
        assert.deepEqual([first.tags, first.tagCount, first.pushedAt], [['multi', 'v2'], 2, 1_002], 'an index\'s tags name its platforms too');
        assert.deepEqual([first.report?.status, first.report?.counts, first.report?.fixable], ['done', { critical: 1, high: 0, medium: 1, low: 0, other: 0 }, 0]);
        assert.deepEqual(all[2]!.tags, ['latest', 'v1']);
        assert.equal(all[3]!.report, undefined, 'never scanned');
        assert.deepEqual([all[5]!.report?.status, all[6]!.report?.status, all[6]!.report?.reason], ['queued', 'failed', 'layer 1 is not a tar archive']);

        // Pages follow the order without repeating or skipping a row.
        const pages: string[] = [];
        let after: ProjectImageCursor | undefined;
        for (;;) {
          const page = await scans.projectImages('team', after, 2);
          pages.push(...page.map((row) => `${row.repository}@${row.digest}`));
          if (page.length < 2) break;
          const last = page[page.length - 1]!;
          const counts = last.report?.counts;
          after = {
            rank: [counts?.critical ?? 0, counts?.high ?? 0, counts?.medium ?? 0, counts?.low ?? 0, counts?.other ?? 0, last.report?.fixable ?? 0],
            repository: last.repository, digest: last.digest,
          };
        }
        assert.deepEqual(pages, all.map((row) => `${row.repository}@${row.digest}`));

        assert.deepEqual(await scans.projectScanTotals('team'), {
          images: 7,
          byStatus: { queued: 1, scanning: 0, done: 4, failed: 1, unsupported: 0, 'not scanned': 1 },
          byWorst: { critical: 1, high: 2, medium: 0, low: 0, other: 0, none: 1 },
          findings: { critical: 1, high: 4, medium: 1, low: 2, other: 0, fixable: 3 },
        });
        assert.deepEqual(await scans.projectImages('nobody', undefined, 10), []);
        assert.equal((await scans.projectScanTotals('nobody')).images, 0);
      });
    });
  });
}
