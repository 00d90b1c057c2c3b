import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import type { NewAdvisory, NewFinding } from '../../src/metadata/scan-store.js';
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
      await scans.markQueued(digest(1), 'berth', 1_000);
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
      await scans.markQueued(digest(3), 'berth', 2_000);
      const queued = (await scans.reports([digest(3)])).get(digest(3))!;
      assert.deepEqual([queued.status, queued.reason, queued.queuedAt], ['queued', undefined, 2_000]);
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
      const holders = (ecosystem: string, name: string) => scans.digestsWithPackages([{ ecosystem, name }]);
      assert.deepEqual(await holders('Debian:12', 'glibc'), [digest(10)], 'OS packages are indexed by their source');
      assert.deepEqual(await holders('Debian:12', 'zlib'), [digest(10), digest(11)]);
      assert.deepEqual(await holders('Debian:12', 'libc6'), []);
      assert.deepEqual(await scans.inventoryEcosystems(), ['Debian:12']);

      assert.deepEqual(await scans.digestsWithFindings(['A-1']), [digest(10)]);
      assert.deepEqual(await scans.digestsWithFindings(['A-2', 'A-9']), [digest(10), digest(11)]);

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
  });
}
