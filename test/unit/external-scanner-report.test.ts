/**
 * The pure parts of the Harbor Pluggable Scanner API client: a report translated into Berth's findings (severities,
 * fixed versions, scores, summaries, links, duplicates, a report about another artifact), the report format chosen
 * from an adapter's metadata, and the wait a `Refresh-After` header asks for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExternalScannerError } from '../../src/features/scanning/external/adapter-http.js';
import { parseAdapterMetadata } from '../../src/features/scanning/external/adapter-metadata.js';
import { refreshAfter } from '../../src/features/scanning/external/report-polling.js';
import { translateReport } from '../../src/features/scanning/external/report-translation.js';

const digest = `sha256:${'a'.repeat(64)}`;
const v11 = 'application/vnd.security.vulnerability.report; version=1.1';
const v10 = 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0';
const image = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];

const item = (fields: Record<string, unknown>) => ({ id: 'CVE-2024-1', package: 'openssl', version: '3.0.11-1', severity: 'High', ...fields });

describe('Harbor report translation', () => {
  it('maps Harbor\'s severity scale onto Berth\'s, whatever the case, and anything else to UNKNOWN', () => {
    const scale = ['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical', 'critical', 'Important', undefined];
    const found = translateReport('trivy', digest, { vulnerabilities: scale.map((severity, n) => item({ id: `CVE-${n}`, severity })) });
    assert.deepEqual(found.map((finding) => finding.severity), ['UNKNOWN', 'NEGLIGIBLE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'CRITICAL', 'UNKNOWN', 'UNKNOWN']);
  });

  it('keeps the fixed version, or null when there is none', () => {
    const found = translateReport('trivy', digest, {
      vulnerabilities: [item({ id: 'A', fix_version: '3.0.13-1' }), item({ id: 'B', fix_version: '' }), item({ id: 'C' }), item({ id: 'D', fix_version: '  ' })],
    });
    assert.deepEqual(found.map((finding) => finding.fixedVersion), ['3.0.13-1', null, null, null]);
  });

  it('takes the CVSS v3 score, else v2, and the first line of the description', () => {
    const found = translateReport('trivy', digest, {
      vulnerabilities: [
        item({ id: 'A', preferred_cvss: { score_v3: 7.5, score_v2: 5 }, description: 'First line.\nSecond line.' }),
        item({ id: 'B', preferred_cvss: { score_v2: 5 } }),
        item({ id: 'C', description: `  ${'x'.repeat(600)}` }),
      ],
    });
    assert.deepEqual(found.map((finding) => finding.score), [7.5, 5, undefined]);
    assert.equal(found[0]!.summary, 'First line.');
    assert.equal(found[1]!.summary, undefined);
    assert.equal(found[2]!.summary, `${'x'.repeat(500)}…`);
  });

  it('keeps only http(s) links, at most ten', () => {
    const links = ['https://nvd.nist.gov/vuln/detail/CVE-2024-1', 'javascript:alert(1)', 'not a url', 42, 'http://example.com/a',
      ...Array.from({ length: 20 }, (_, n) => `https://example.com/${n}`)];
    const [finding] = translateReport('trivy', digest, { vulnerabilities: [item({ links })] });
    assert.equal(finding!.links.length, 10);
    assert.deepEqual(finding!.links.slice(0, 3), ['https://nvd.nist.gov/vuln/detail/CVE-2024-1', 'http://example.com/a', 'https://example.com/0']);
  });

  it('lists a vulnerability of one package version once, and keeps the same id in other packages', () => {
    const found = translateReport('trivy', digest, {
      vulnerabilities: [item({}), item({ severity: 'Low' }), item({ package: 'libssl3' }), item({ version: '3.0.12-1' })],
    });
    assert.deepEqual(found.map((finding) => `${finding.id} ${finding.package} ${finding.version} ${finding.severity}`), [
      'CVE-2024-1 openssl 3.0.11-1 HIGH', 'CVE-2024-1 libssl3 3.0.11-1 HIGH', 'CVE-2024-1 openssl 3.0.12-1 HIGH',
    ]);
  });

  it('reads a report without vulnerabilities as clean', () => {
    assert.deepEqual(translateReport('trivy', digest, { artifact: { digest }, vulnerabilities: null }), []);
    assert.deepEqual(translateReport('trivy', digest, { generated_at: '2024-01-01T00:00:00Z' }), []);
  });

  it('refuses a report about another artifact, or one it cannot read, naming the scanner', () => {
    assert.throws(() => translateReport('trivy', digest, { artifact: { digest: `sha256:${'b'.repeat(64)}` }, vulnerabilities: [] }),
      (error: unknown) => error instanceof ExternalScannerError && error.scanner === 'trivy' && /trivy sent the report of sha256:b+ when asked for sha256:a+/.test(error.message));
    assert.throws(() => translateReport('trivy', digest, { vulnerabilities: [{ id: 'CVE-1' }] }),
      /external scanner trivy sent a report Berth cannot read \(vulnerabilities\.0\.package/);
    assert.throws(() => translateReport('trivy', digest, 'nonsense'), /external scanner trivy sent a report Berth cannot read/);
  });
});

describe('adapter metadata', () => {
  const metadata = (produces: string[], fields: Record<string, unknown> = {}) => ({
    scanner: { name: 'Trivy', vendor: 'Aqua Security', version: '0.50.1' },
    capabilities: [{ type: 'vulnerability', consumes_mime_types: image, produces_mime_types: produces, ...fields }],
    properties: { 'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability', ignored: 42 },
  });

  it('prefers the v1.1 report, else reads Harbor\'s v1.0 one', () => {
    assert.equal(parseAdapterMetadata('trivy', metadata([v10, v11, 'application/vnd.scanner.adapter.vuln.report.raw'])).reportMediaType, v11);
    assert.equal(parseAdapterMetadata('trivy', metadata([v10])).reportMediaType, v10);
    // Parameters written without the space are the same media type.
    assert.equal(parseAdapterMetadata('trivy', metadata(['application/vnd.security.vulnerability.report;version=1.1'])).reportMediaType, v11);
  });

  it('reads a v1.0 adapter\'s capability, which has no type, and keeps its string properties', () => {
    const parsed = parseAdapterMetadata('clair', {
      scanner: { name: 'Clair', vendor: 'CoreOS', version: '4' }, capabilities: [{ consumes_mime_types: image, produces_mime_types: [v10] }],
      properties: { 'harbor.scanner-adapter/vulnerability-database-updated-at': '2024-01-01T00:00:00Z', count: 3 },
    });
    assert.deepEqual(parsed.scanner, { name: 'Clair', vendor: 'CoreOS', version: '4' });
    assert.deepEqual(parsed.properties, { 'harbor.scanner-adapter/vulnerability-database-updated-at': '2024-01-01T00:00:00Z' });
  });

  it('refuses an adapter with no vulnerability report of images Berth reads', () => {
    assert.throws(() => parseAdapterMetadata('sbomer', metadata([v11], { type: 'sbom' })), /external scanner sbomer offers no vulnerability report of image manifests that Berth reads \(it produces none;/);
    assert.throws(() => parseAdapterMetadata('raw', metadata(['application/vnd.scanner.adapter.vuln.report.raw'])), /it produces application\/vnd\.scanner\.adapter\.vuln\.report\.raw;/);
    assert.throws(() => parseAdapterMetadata('helm', metadata([v11], { consumes_mime_types: ['application/vnd.cncf.helm.config.v1+json'] })), /offers no vulnerability report/);
    assert.throws(() => parseAdapterMetadata('broken', { scanner: {} }), /external scanner broken sent metadata Berth cannot read \(capabilities/);
  });
});

describe('Refresh-After', () => {
  it('is the seconds the adapter asks for, within a minute, and a second when it names none', () => {
    assert.equal(refreshAfter('5'), 5);
    assert.equal(refreshAfter(' 2 '), 2);
    assert.equal(refreshAfter('0'), 0);
    assert.equal(refreshAfter('3600'), 60);
    assert.equal(refreshAfter(null), 1);
    assert.equal(refreshAfter('soon'), 1);
    assert.equal(refreshAfter('-4'), 1);
    assert.equal(refreshAfter('1.5'), 1);
  });
});
