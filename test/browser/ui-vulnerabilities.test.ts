/**
 * The artifact page's vulnerabilities in a real Chromium: a real Debian image pushed to a Berth whose advisory feed
 * is a folder laid out as OSV's bucket; the page shows the scan's findings, filters them on the server, scans again
 * on request; a guest reads the findings but is offered no scan; an advisory summary written as HTML stays text; the
 * section fits a phone and keeps its colours in the dark. And with a feed served over HTTP that answers only when
 * the test lets it (so that the first scan stays under way), the page follows the scan to its findings.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createUser, expectStatus } from '../support/api-client.js';
import type { PushedManifest } from '../support/scanning.js';
import { debianFeed, debianFeedFolder, expectedDebianFindings, pushDebianImage } from './scanned-image.js';
import { adminPassword, horizontalOverflow, launchBrowser, openPage, Pusher, signIn, startUiBerth, type BrowserPage, type UiBerth } from './ui-harness.js';

const timeout = 120_000;
/** The scan, the first read of the feed and the matching again run as jobs: the page may wait this long for them. */
const scanWaitMs = 60_000;
const hostile = '<img src=x onerror=window.__xss=1>';
/** An advisory the test adds to the feed: unfixed, rated critical by its CVSS vector, its summary written as HTML. */
const hostileRecord = {
  schema_version: '1.6.0',
  id: 'BERTH-TEST-0001',
  aliases: ['CVE-2099-0001'],
  modified: '2026-11-02T12:00:00Z',
  published: '2026-11-02T12:00:00Z',
  summary: hostile,
  details: `<script>window.__xss=2</script>${hostile}`,
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [{ package: { ecosystem: 'Debian:12', name: 'bash' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
};
const rowCount = expectedDebianFindings.length + 1;

describe('vulnerabilities on the artifact page', { timeout }, () => {
  let feed: ReturnType<typeof debianFeedFolder>;
  let berth: UiBerth;
  let browser: Browser;
  let session: BrowserPage;
  let page: Page;
  let image: PushedManifest;

  before(async () => {
    feed = debianFeedFolder([hostileRecord]);
    // One after the other: a browser launched beside a Berth that failed to start would be left running.
    browser = await launchBrowser();
    berth = await startUiBerth({ scanning: { feed: feed.path } });
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'team', public: false }), 201);
    await createUser(berth.admin, 'guest', { password: 'guest-password-1' });
    expectStatus(await berth.admin.put('/api/v1/projects/team/members', { kind: 'user', name: 'guest', role: 'guest' }), 200);
    session = await openPage(browser);
    page = session.page;
    await signIn(page, berth.url, 'admin', adminPassword);
    // Scanned on push (a first Debian image reads the Debian advisories before it is matched).
    image = await pushDebianImage(new Pusher(berth.url, 'admin', adminPassword), 'team/debian', '12');
  });
  after(async () => {
    await browser?.close();
    await berth?.close();
    feed?.remove();
  });

  const section = () => page.getByRole('region', { name: 'Vulnerabilities' });
  const table = () => page.getByRole('table', { name: 'Vulnerabilities' });
  const rows = (on: Page) => on.locator('table[aria-label="Vulnerabilities"] tbody tr');
  const waitForRows = (on: Page, count: number) => on.waitForFunction(
    (wanted) => document.querySelectorAll('table[aria-label="Vulnerabilities"] tbody tr').length === wanted, count, { timeout: scanWaitMs });

  async function readRows(on: Page): Promise<string[]> {
    // One line per row: the id, then the package, installed and fixed cells' first text (not their notes below).
    return rows(on).evaluateAll((found) => found.map((row) => [row.querySelector('th a'), ...[...row.querySelectorAll('td')].slice(1, 4)]
      .map((cell) => (cell?.firstChild?.textContent ?? '').trim()).join(' ')));
  }

  it('shows the scan of a pushed image: status, counts, distro, times and every finding', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/debian:12`);
    await section().getByRole('status').waitFor();
    // The page reads the report again until the scan is done and the Debian advisories have been read.
    await waitForRows(page, rowCount);
    assert.match(await section().getByRole('status').textContent() ?? '', /^Scanned/);

    const counts = await section().getByRole('list', { name: 'Findings by severity' }).getByRole('listitem').allTextContents();
    assert.deepEqual(counts, ['Critical 1', 'High 0', 'Medium 0', 'Low 0', 'Other 10']);
    // Distro, packages, scanned, last matched, advisories read.
    const facts = section().getByRole('definition');
    assert.equal(await facts.nth(0).textContent(), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(await facts.nth(1).textContent(), '88');
    for (const at of [2, 3]) assert.ok(await facts.nth(at).locator('time').getAttribute('datetime'));
    assert.match(await facts.nth(4).textContent() ?? '', /^Debian /);

    const wanted = [
      ...expectedDebianFindings.map((finding) => `${finding.id} ${finding.binary} ${finding.installed} ${finding.fixed ?? 'no fix'}`),
      'BERTH-TEST-0001 bash 5.2.15-2+b13 no fix',
    ].sort();
    assert.deepEqual((await readRows(page)).sort(), wanted);
    // Worst first: the critical finding leads, with its CVSS score and alias.
    const first = rows(page).first();
    assert.equal(await first.locator('th a').textContent(), 'BERTH-TEST-0001');
    await first.getByText('Critical', { exact: true }).waitFor();
    await first.getByText('9.8').waitFor();
    await first.getByText('CVE-2099-0001').waitFor();
    await table().getByText('source pam').first().waitFor();

    const link = table().getByRole('link', { name: 'DERIVED-apt-2.6.2' }).first();
    assert.equal(await link.getAttribute('href'), 'https://osv.dev/vulnerability/DERIVED-apt-2.6.2');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noreferrer');
    assert.deepEqual(session.errors, []);
  });

  it('renders an advisory summary written as HTML as text: no element is made and no script runs', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/debian:12`);
    await waitForRows(page, rowCount);
    await table().getByRole('cell', { name: hostile, exact: true }).waitFor();
    assert.equal(await page.locator('main img').count(), 0, 'no <img> was made from the summary');
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
    assert.deepEqual(session.errors, []);
  });

  it('filters on the server: only fixable, by package, by minimum severity', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/debian:12`);
    await waitForRows(page, rowCount);

    const fixable = page.waitForResponse((response) => response.url().includes('/api/v1/vulnerabilities?') && response.url().includes('fixable=true'));
    await section().getByRole('checkbox', { name: 'Only fixable' }).check();
    assert.equal((await fixable).status(), 200);
    await waitForRows(page, expectedDebianFindings.length);
    assert.equal(await table().getByText('no fix').count(), 0);
    await section().getByRole('heading', { name: 'Findings matching the filters' }).waitFor();
    assert.deepEqual(await section().getByRole('list', { name: 'Findings by severity' }).getByRole('listitem').allTextContents(),
      ['Critical 0', 'High 0', 'Medium 0', 'Low 0', 'Other 10']);

    const byPackage = page.waitForResponse((response) => response.url().includes('package=apt') && response.url().includes('fixable=true'));
    await section().getByRole('searchbox', { name: 'Filter by package' }).fill('apt');
    await section().getByRole('searchbox', { name: 'Filter by package' }).press('Enter');
    assert.equal((await byPackage).status(), 200);
    await waitForRows(page, 2);
    assert.deepEqual((await readRows(page)).sort(), ['DERIVED-apt-2.6.2 apt 2.6.1 2.6.2', 'DERIVED-apt-2.6.2 libapt-pkg6.0 2.6.1 2.6.2']);

    await section().getByRole('searchbox', { name: 'Filter by package' }).fill('');
    await section().getByRole('searchbox', { name: 'Filter by package' }).press('Enter');
    await section().getByRole('checkbox', { name: 'Only fixable' }).uncheck();
    const critical = page.waitForResponse((response) => response.url().includes('severity=critical'));
    await section().getByLabel('Minimum severity').selectOption('critical');
    assert.equal((await critical).status(), 200);
    await waitForRows(page, 1);
    assert.deepEqual(await readRows(page), ['BERTH-TEST-0001 bash 5.2.15-2+b13 no fix']);

    await section().getByLabel('Minimum severity').selectOption('');
    await waitForRows(page, rowCount);
    assert.deepEqual(session.errors, []);
  });

  it('scans again on "Scan now": the status moves to queued or scanning, then back to scanned', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/debian:12`);
    await waitForRows(page, rowCount);
    const scannedAt = () => section().getByRole('definition').nth(2).locator('time').getAttribute('datetime');
    const before = await scannedAt();
    assert.ok(before);

    const posted = page.waitForResponse((response) => response.url().endsWith('/api/v1/scans') && response.request().method() === 'POST');
    await section().getByRole('button', { name: 'Scan now' }).click();
    assert.equal((await posted).status(), 202);
    await section().getByRole('status').getByText(/^(Queued|Scanning)$/).waitFor();
    assert.equal(await section().getByRole('button', { name: 'Scan now' }).isDisabled(), true, 'no second scan while one is under way');
    await section().getByRole('status').getByText('Scanned', { exact: true }).waitFor({ timeout: scanWaitMs });
    await waitForRows(page, rowCount);
    const now = await scannedAt();
    assert.ok(now && Date.parse(now) > Date.parse(before), `scanned again: ${before} then ${now}`);
    assert.equal(await section().getByRole('button', { name: 'Scan now' }).isDisabled(), false);
    assert.deepEqual(session.errors, []);
  });

  it('rolls an index up: each platform\'s scan and counts, the findings once with the platforms they were found in', { timeout }, async () => {
    const push = new Pusher(berth.url, 'admin', adminPassword);
    const platforms = [{ architecture: 'amd64' }, { architecture: 'arm64', variant: 'v8' }];
    const children: PushedManifest[] = [];
    for (const platform of platforms) children.push(await pushDebianImage(push, 'team/multi', platform.architecture, platform));
    await push.manifest('team/multi', 'bookworm', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: children.map((child, index) => ({ ...child.descriptor, platform: { os: 'linux', ...platforms[index] } })),
    });
    await page.goto(`${berth.url}/ui/artifact/team/multi:bookworm`);
    await waitForRows(page, rowCount);
    await section().getByRole('status').getByText('Every platform has been scanned', { exact: false }).waitFor();
    const scans = section().getByRole('table', { name: 'Scans per platform' });
    assert.deepEqual((await scans.getByRole('rowheader').allTextContents()).map((text) => text.trim()), ['linux/amd64', 'linux/arm64/v8']);
    for (const name of ['linux/amd64', 'linux/arm64/v8']) {
      const row = scans.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
      await row.getByRole('cell', { name: /^Scanned$/ }).waitFor();
      await row.getByRole('cell', { name: 'Debian GNU/Linux 12 (bookworm)' }).waitFor();
      assert.deepEqual(await row.getByRole('list', { name: `Findings in ${name}` }).getByRole('listitem').allTextContents(),
        ['Critical 1', 'High 0', 'Medium 0', 'Low 0', 'Other 10']);
    }
    // The same finding on both platforms is one row, and counts once in the roll-up.
    assert.deepEqual(await section().getByRole('list', { name: 'Findings by severity' }).getByRole('listitem').allTextContents(),
      ['Critical 1', 'High 0', 'Medium 0', 'Low 0', 'Other 10']);
    await section().getByRole('heading', { name: 'Findings on all platforms' }).waitFor();
    const platformCells = await rows(page).evaluateAll((found) => found.map((row) => row.querySelectorAll('td')[4]?.textContent));
    assert.deepEqual(new Set(platformCells), new Set(['linux/amd64, linux/arm64/v8']));
    assert.deepEqual(session.errors, []);
  });

  it('shows a guest the findings but no "Scan now" (and the API refuses the guest a scan)', { timeout }, async () => {
    const guest = await openPage(browser);
    try {
      await signIn(guest.page, berth.url, 'guest', 'guest-password-1');
      await guest.page.goto(`${berth.url}/ui/artifact/team/debian:12`);
      await waitForRows(guest.page, rowCount);
      // The capabilities are asked for beside the report: once the network is quiet, the page has decided.
      await guest.page.waitForLoadState('networkidle');
      assert.equal(await guest.page.getByRole('button', { name: 'Scan now' }).count(), 0);
      assert.equal(await guest.page.getByRole('button', { name: 'Delete' }).count(), 0);
      expectStatus(await berth.admin.as({ username: 'guest', password: 'guest-password-1' }).post('/api/v1/scans', { repository: 'team/debian', reference: image.digest }), 403, 'DENIED');
      assert.deepEqual(guest.errors, []);
    } finally {
      await guest.context.close();
    }
  });

  it('fits a phone: the table scrolls inside its box, the page does not; severities keep their colours in the dark', { timeout }, async () => {
    const phone = await openPage(browser, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    try {
      await signIn(phone.page, berth.url, 'admin', adminPassword);
      await phone.page.goto(`${berth.url}/ui/artifact/team/debian:12`);
      await waitForRows(phone.page, rowCount);
      assert.equal(await horizontalOverflow(phone.page), 0, 'nothing is wider than the phone');
      await phone.page.getByRole('button', { name: 'Scan now' }).waitFor();
      const critical = phone.page.locator('table[aria-label="Vulnerabilities"] .sev-critical').first();
      const dark = await critical.evaluate((element) => getComputedStyle(element).backgroundColor);
      await phone.page.getByRole('button', { name: 'Dark theme' }).click();
      await phone.page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
      const light = await critical.evaluate((element) => getComputedStyle(element).backgroundColor);
      assert.notEqual(dark, light, 'the dark scheme has its own severity colours');
      assert.deepEqual(phone.errors, []);
    } finally {
      await phone.context.close();
    }
  });
});

describe('vulnerabilities while a scan is under way', { timeout }, () => {
  let berth: UiBerth;
  let browser: Browser;
  let feedServer: Server;
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => { release = resolve; });

  before(async () => {
    // The feed's all.zip is answered only once the test releases it: the first scan of a Debian image reads the Debian
    // advisories before it is done, so until then the page is seen with the scan under way.
    const zip = debianFeed();
    feedServer = createServer((request, response) => {
      if (request.url !== '/Debian/all.zip') {
        response.writeHead(404).end();
        return;
      }
      void released.then(() => response.writeHead(200, { 'content-type': 'application/zip' }).end(zip));
    });
    await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
    const feedUrl = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    berth = await startUiBerth({ scanning: { feed: feedUrl } });
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'team', public: false }), 201);
  });
  after(async () => {
    release();
    await browser?.close();
    await berth?.close();
    feedServer?.closeAllConnections();
    await new Promise((resolve) => feedServer?.close(resolve));
  });

  it('follows a scan under way to its findings, reading the report again by itself', { timeout }, async () => {
    const { page, errors } = await openPage(browser);
    await signIn(page, berth.url, 'admin', adminPassword);
    await pushDebianImage(new Pusher(berth.url, 'admin', adminPassword), 'team/debian', '12');
    await page.goto(`${berth.url}/ui/artifact/team/debian:12`);
    const status = page.getByRole('region', { name: 'Vulnerabilities' }).getByRole('status');
    await status.getByText('Scanning', { exact: true }).waitFor({ timeout: scanWaitMs });
    assert.equal(await page.getByRole('table', { name: 'Vulnerabilities' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Scan now' }).isDisabled(), true);
    release();
    await page.waitForFunction((wanted) => document.querySelectorAll('table[aria-label="Vulnerabilities"] tbody tr').length === wanted,
      expectedDebianFindings.length, { timeout: scanWaitMs });
    assert.equal(await status.textContent(), 'Scanned');
    assert.deepEqual(errors, []);
  });
});
