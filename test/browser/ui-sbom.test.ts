/**
 * The SBOM Berth attaches to a scanned image, in a real Chromium: the artifact page lists it among the referrers as
 * "SBOM (CycloneDX)", marked as coming from Berth's scan, and the scan's facts link to it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expectStatus } from '../support/api-client.js';
import { reportWhen, type PushedManifest } from '../support/scanning.js';
import { debianFeedFolder, pushDebianImage } from './scanned-image.js';
import { adminPassword, launchBrowser, openPage, Pusher, signIn, startUiBerth, type BrowserPage, type UiBerth } from './ui-harness.js';

const timeout = 120_000;

describe('the SBOM Berth attaches, on the artifact page', { timeout }, () => {
  let feed: ReturnType<typeof debianFeedFolder>;
  let berth: UiBerth;
  let browser: Browser;
  let session: BrowserPage;
  let page: Page;
  let image: PushedManifest;
  let sbom: string;

  before(async () => {
    feed = debianFeedFolder();
    // One after the other: a browser launched beside a Berth that failed to start would be left running.
    browser = await launchBrowser();
    berth = await startUiBerth({ scanning: { feed: feed.path } });
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'team', public: false }), 201);
    image = await pushDebianImage(new Pusher(berth.url, 'admin', adminPassword), 'team/debian', '12');
    const report = await reportWhen(berth.admin, 'team/debian', '12', (seen) => seen.platforms[0]?.sbom != null);
    sbom = report.platforms[0]!.sbom!.digest;
    session = await openPage(browser);
    page = session.page;
    await signIn(page, berth.url, 'admin', adminPassword);
  });
  after(async () => {
    await browser?.close();
    await berth?.close();
    feed?.remove();
  });

  it('lists it among the referrers as "SBOM (CycloneDX)", from Berth\'s scan', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/debian@${image.digest}`);
    const sboms = page.getByRole('region', { name: 'SBOMs' });
    const item = sboms.getByRole('listitem').filter({ hasText: 'SBOM (CycloneDX)' });
    await item.waitFor();
    await item.getByText('from Berth\'s scan', { exact: true }).waitFor();
    await item.getByText('application/vnd.cyclonedx+json').waitFor();
    assert.deepEqual(session.errors, []);
  });

  it('links to it from the scan\'s facts, and the link opens the SBOM\'s own page', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/debian:12`);
    const link = page.getByRole('region', { name: 'Vulnerabilities' }).getByRole('link', { name: 'SBOM (CycloneDX)' });
    await link.click();
    await page.waitForURL((url) => url.pathname.endsWith(`/team/debian@${sbom}`) || decodeURIComponent(url.pathname).includes(sbom));
    assert.deepEqual(session.errors, []);
  });
});
