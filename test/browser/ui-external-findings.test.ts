/**
 * An external scanner's findings on the artifact page, in a real Chromium: Berth scans an Alpine image itself and
 * hands it to an adapter written in the test (Harbor's Pluggable Scanner API) beside it. The rows the adapter
 * reported say which scanner reported them and link to the adapter's own page for the advisory (never a
 * `javascript:` link it gave); Berth's own rows keep OSV's page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expectStatus } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { startScannerAdapter, type ScannerAdapter } from '../support/scanner-adapter.js';
import { feedFolder, ImageTrees, pushTreeImage, reportWhen } from '../support/scanning.js';
import { adminPassword, launchBrowser, openPage, signIn, startUiBerth, type UiBerth } from './ui-harness.js';

const timeout = 120_000;

describe('an external scanner\'s findings on the artifact page', { timeout }, () => {
  const trees = new ImageTrees();
  let feed: ReturnType<typeof feedFolder>;
  let adapter: ScannerAdapter;
  let berth: UiBerth;
  let browser: Browser;
  let page: Page;

  before(async () => {
    feed = feedFolder({ Alpine: 'alpine' });
    adapter = await startScannerAdapter();
    adapter.behaviour.vulnerabilities = [{
      id: 'CVE-2099-0001', package: 'musl', version: '1.2.5-r0', fix_version: '1.2.5-r1', severity: 'Critical',
      description: 'A made-up flaw in musl.', links: ['javascript:alert(1)', 'https://avd.aquasec.com/nvd/cve-2099-0001'],
    }];
    browser = await launchBrowser();
    berth = await startUiBerth({ scanning: { feed: feed.path, external: [{ name: 'trivy', url: adapter.url, use: 'beside', timeoutSeconds: 60 }] } });
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'team', public: false }), 201);
    await pushTreeImage({ url: berth.url, authorization: basic('admin', adminPassword) }, 'team/alpine', '3', [trees.tree({ '.': 'inventory/alpine/3.20.3' })]);
    const report = await reportWhen(berth.admin, 'team/alpine', '3', (scanned) => scanned.status === 'done' || scanned.status === 'failed');
    assert.equal(report.status, 'done', JSON.stringify(report.platforms[0]));
    page = (await openPage(browser)).page;
    await signIn(page, berth.url, 'admin', adminPassword);
  });
  after(async () => {
    await browser?.close();
    await berth?.close();
    await adapter?.close();
    feed?.remove();
    trees.remove();
  });

  it('names the scanner of a reported finding and links to its page, and keeps OSV for Berth\'s own', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/alpine:3`);
    const table = page.getByRole('table', { name: 'Vulnerabilities' });
    const reported = table.locator('tbody tr', { hasText: 'CVE-2099-0001' });
    await reported.waitFor();
    assert.match((await reported.locator('th').textContent()) ?? '', /reported by trivy/);
    assert.equal(await reported.locator('th a').getAttribute('href'), 'https://avd.aquasec.com/nvd/cve-2099-0001');
    const own = table.locator('tbody tr').filter({ hasNotText: 'CVE-2099-0001' });
    assert.ok(await own.count() > 0, 'Berth\'s own findings are listed beside');
    assert.match((await own.first().locator('th a').getAttribute('href'))!, /^https:\/\/osv\.dev\/vulnerability\//);
    assert.doesNotMatch((await own.first().locator('th').textContent()) ?? '', /reported by/);
  });
});
