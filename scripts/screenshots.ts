// Seeds a small registry (a few projects, a multi-arch image, labels, a signature and an SBOM, pulls, a quarantine, a
// real Debian image scanned against a feed folder, small npm images scanned for a project's overview) in a Berth
// started in this process, then saves PNGs of the web UI's main pages at 1440x900, light and dark, under
// docs/screenshots/. Run with `node --import tsx scripts/screenshots.ts`
// after `npm run build`; name pages (`… artifact artifact-vulnerabilities`) to save only those.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { expectStatus } from '../test/support/api-client.js';
import { debianFeedFolder, pushDebianImage } from '../test/browser/scanned-image.js';
import { addProjectScanFeed, seedProjectImages } from '../test/support/project-scans.js';
import { adminPassword, launchBrowser, openPage, Pusher, signIn, startUiBerth } from '../test/browser/ui-harness.js';

const out = resolve(import.meta.dirname, '..', 'docs', 'screenshots');
mkdirSync(out, { recursive: true });

const only = new Set(process.argv.slice(2));

// A few illustrative advisories beside the fixtures' Debian ones (whose severity is unknown), so that the
// screenshot shows each colour; their ids say they are examples.
const example = (id: string, name: string, summary: string, rating: Record<string, unknown>, fixed?: string) => ({
  schema_version: '1.6.0', id, modified: '2026-11-02T12:00:00Z', summary, ...rating,
  affected: [{
    package: { ecosystem: 'Debian:12', name }, ...('ecosystem_specific' in rating ? { ecosystem_specific: rating.ecosystem_specific } : {}),
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, ...(fixed ? [{ fixed }] : [])] }],
  }],
});
const feed = debianFeedFolder([
  example('EXAMPLE-2026-0001', 'bash', 'Example: command injection through a crafted environment variable',
    { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] }),
  example('EXAMPLE-2026-0002', 'tar', 'Example: path traversal when extracting an archive', { ecosystem_specific: { urgency: 'high' } }, '1.34+dfsg-1.2+deb12u2'),
  example('EXAMPLE-2026-0003', 'gzip', 'Example: out-of-bounds read on a malformed stream', { ecosystem_specific: { urgency: 'medium' } }),
  example('EXAMPLE-2026-0004', 'sed', 'Example: excessive memory use on a long regular expression', { ecosystem_specific: { urgency: 'low' } }, '4.9-1+deb12u2'),
]);
// Example npm advisories beside them, for the images of a project's vulnerability overview (ml-platform).
addProjectScanFeed(feed.path);
// Scans on demand only: the other images are random bytes, which a scan would (rightly) report as failed.
const berth = await startUiBerth({ scanning: { onPush: false, feed: feed.path } });
const browser = await launchBrowser();
try {
  const { admin, url } = berth;
  for (const [name, isPublic] of [['library', true], ['payments', false], ['ml-platform', true]] as const) {
    expectStatus(await admin.post('/api/v1/projects', { name, public: isPublic }), 201);
  }
  expectStatus(await admin.post('/api/v1/users', { username: 'alice', password: 'alice-password-1', email: 'alice@example.com' }), 201);
  expectStatus(await admin.put('/api/v1/projects/payments/members', { kind: 'user', name: 'alice', role: 'developer' }), 200);
  expectStatus(await admin.post('/api/v1/robots', { name: 'payments-ci', permissions: [{ project: 'payments', actions: ['pull', 'push'] }] }), 201);

  const push = new Pusher(url, 'admin', adminPassword);
  const day = 24 * 3600 * 1000;
  const labels = (version: string) => ({
    'org.opencontainers.image.title': 'payments-api',
    'org.opencontainers.image.version': version,
    'org.opencontainers.image.source': 'https://git.example.com/payments/api',
    'org.opencontainers.image.vendor': 'Example Payments',
    'com.example.team': 'payments',
  });
  for (const [index, version] of ['1.0.0', '1.2.0', '1.9.3', '1.10.0', '2.0.0-rc.1'].entries()) {
    await push.image('payments/api', version, {
      labels: labels(version), created: new Date(Date.now() - (10 - index) * day).toISOString(), author: 'payments-team@example.com',
      entrypoint: ['/usr/local/bin/api'], cmd: ['serve', '--port=8080'], env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'API_PORT=8080'],
      layers: [3_145_728, 912_384, 40_960 + index],
    });
  }
  const release = await push.index('payments/api', '2.0.0', [
    { architecture: 'amd64', labels: labels('2.0.0'), entrypoint: ['/usr/local/bin/api'], author: 'payments-team@example.com', layers: [3_145_728, 1_048_576] },
    { architecture: 'arm64', variant: 'v8', labels: labels('2.0.0'), entrypoint: ['/usr/local/bin/api'], author: 'payments-team@example.com', layers: [2_883_584, 1_000_000] },
    { architecture: 's390x', labels: labels('2.0.0'), entrypoint: ['/usr/local/bin/api'], layers: [3_300_000, 1_100_000] },
  ]);
  await push.manifest('payments/api', 'latest', (await (await fetch(`${url}/v2/payments/api/manifests/2.0.0`, {
    headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`, accept: 'application/vnd.oci.image.index.v1+json' },
  })).json()) as Record<string, unknown>);
  await push.referrer('payments/api', release, 'application/vnd.dev.cosign.artifact.sig.v1+json', { 'dev.cosignproject.cosign/signature': 'MEUCIQ…' });
  await push.referrer('payments/api', release, 'application/spdx+json', { 'org.opencontainers.image.created': new Date().toISOString() });
  await push.image('payments/worker', '3.4.1', { labels: { 'com.example.team': 'payments' }, layers: [5_242_880] });
  await push.index('library/alpine', '3.20', [{ architecture: 'amd64' }, { architecture: 'arm64', variant: 'v8' }, { architecture: 'arm', variant: 'v7' }]);
  await push.image('library/busybox', '1.36', { layers: [2_202_009] });
  await push.image('ml-platform/notebook', '2024.11', { labels: { 'org.opencontainers.image.title': 'notebook' }, layers: [52_428_800, 10_485_760] });
  for (let i = 0; i < 7; i++) await push.pull('payments/api', '2.0.0');
  for (let i = 0; i < 3; i++) await push.pull('payments/api', '1.10.0');
  await push.pull('library/alpine', '3.20');
  const old = await fetch(`${url}/v2/payments/api/manifests/1.0.0`, {
    method: 'HEAD', headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  expectStatus(await admin.post('/api/v1/quarantines', {
    repository: 'payments/api', digest: old.headers.get('docker-content-digest'), reason: 'CVE-2024-6119 in openssl: rebuild on 1.10.0 or later',
  }), 201);
  const base = await pushDebianImage(push, 'payments/base', 'bookworm');
  expectStatus(await admin.post('/api/v1/scans', { repository: 'payments/base', reference: 'bookworm' }), 202);
  // The scan, then the first read of the Debian advisories, then the image matched again.
  for (let attempt = 0; ; attempt++) {
    const report = (await admin.get(`/api/v1/vulnerabilities?repository=payments/base&reference=${base.digest}`)).body as { status: string; vulnerabilities: unknown[] };
    if (report.status === 'done' && report.vulnerabilities.length > 10) break;
    if (attempt === 300) throw new Error(`the scan of payments/base:bookworm did not finish: ${JSON.stringify(report).slice(0, 500)}`);
    await new Promise((done) => setTimeout(done, 200));
  }
  // Small npm images scanned against the example npm advisories: ml-platform's overview, worst first.
  const trees = mkdtempSync(join(tmpdir(), 'berth-screenshot-trees-'));
  try {
    await seedProjectImages({ url, authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` }, admin, 'ml-platform', trees);
  } finally {
    rmSync(trees, { recursive: true, force: true });
  }
  // Let the batched pull records and the audit trail land.
  await new Promise((done) => setTimeout(done, 1500));

  const pages: [string, string, (page: Page) => Promise<void>][] = [
    ['projects', '/ui/projects', (page) => page.getByRole('table', { name: 'Projects' }).getByRole('link', { name: 'payments' }).waitFor()],
    ['project', '/ui/projects/payments', (page) => page.getByRole('link', { name: 'payments/api' }).waitFor()],
    ['repository-tags', '/ui/repo/payments/api?sort=version&order=desc', (page) => page.getByRole('link', { name: '2.0.0', exact: true }).waitFor()],
    ['artifact', '/ui/artifact/payments/api:2.0.0', (page) => page.getByRole('heading', { name: /Platforms/ }).waitFor()],
    ['artifact-vulnerabilities', '/ui/artifact/payments/base:bookworm', async (page) => {
      await page.getByRole('table', { name: 'Vulnerabilities' }).getByRole('link', { name: 'EXAMPLE-2026-0001' }).waitFor();
      await page.getByRole('region', { name: 'Vulnerabilities' }).evaluate((section) => section.scrollIntoView());
    }],
    ['project-vulnerabilities', '/ui/projects/ml-platform/vulnerabilities', (page) => page.getByRole('form', { name: 'Vulnerability policy' }).waitFor()],
    ['search', '/ui/search?q=payments&label=com.example.team%3Dpayments', (page) => page.getByRole('heading', { name: 'Labels' }).waitFor()],
    ['audit', '/ui/audit', (page) => page.getByRole('table', { name: 'Audit events' }).getByRole('row').nth(3).waitFor()],
  ];
  for (const scheme of ['light', 'dark'] as const) {
    const { page, context, errors } = await openPage(browser, { viewport: { width: 1440, height: 900 }, colorScheme: scheme });
    await signIn(page, url, 'admin', adminPassword);
    for (const [name, path, ready] of pages) {
      if (only.size > 0 && !only.has(name)) continue;
      await page.goto(`${url}${path}`);
      await ready(page);
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: join(out, `${name}-${scheme}.png`) });
      process.stdout.write(`docs/screenshots/${name}-${scheme}.png\n`);
    }
    if (errors.length > 0) throw new Error(`the browser reported errors:\n${errors.join('\n')}`);
    await context.close();
  }
} finally {
  await browser.close();
  await berth.close();
  feed.remove();
}
