/**
 * A project's Vulnerabilities tab in a real Chromium: images of npm packages scanned against advisories of known
 * severity (test/support/project-scans.ts) listed worst first with the project's figures, each linking to its
 * artifact page's findings; the vulnerability policy set through its form by a project administrator (checked
 * through the API, and an error the API gives shown as it says it); an allowlist entry added with an expiry and
 * removed; a guest reads the policy and the allowlist without any form; the tab fits a phone in the dark.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createUser, expectStatus } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { expectedCounts, projectScanFeed, seedProjectImages, type SeededImage } from '../support/project-scans.js';
import { adminPassword, horizontalOverflow, launchBrowser, openPage, signIn, startUiBerth, type BrowserPage, type UiBerth } from './ui-harness.js';

const timeout = 120_000;
const carol = { username: 'carol', password: 'carol-password-1' };
const gail = { username: 'gail', password: 'gail-password-1' };

describe('a project\'s vulnerabilities in the web UI', { timeout }, () => {
  let feed: ReturnType<typeof projectScanFeed>;
  let trees: string;
  let berth: UiBerth;
  let browser: Browser;
  let session: BrowserPage;
  let page: Page;
  let images: SeededImage[];

  before(async () => {
    feed = projectScanFeed();
    trees = mkdtempSync(join(tmpdir(), 'berth-ui-project-trees-'));
    // One after the other: a browser launched beside a Berth that failed to start would be left running.
    browser = await launchBrowser();
    berth = await startUiBerth({ scanning: { feed: feed.path, onPush: false } });
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'team', public: false }), 201);
    // carol administers the project without being a system administrator; gail is a guest in it.
    await createUser(berth.admin, carol.username, { password: carol.password });
    await createUser(berth.admin, gail.username, { password: gail.password });
    expectStatus(await berth.admin.put('/api/v1/projects/team/members', { kind: 'user', name: carol.username, role: 'admin' }), 200);
    expectStatus(await berth.admin.put('/api/v1/projects/team/members', { kind: 'user', name: gail.username, role: 'guest' }), 200);
    images = await seedProjectImages({ url: berth.url, authorization: basic('admin', adminPassword) }, berth.admin, 'team', trees);
    session = await openPage(browser);
    page = session.page;
    await signIn(page, berth.url, carol.username, carol.password);
  });
  after(async () => {
    await browser?.close();
    await berth?.close();
    feed?.remove();
    if (trees) rmSync(trees, { recursive: true, force: true });
  });

  const table = (on: Page) => on.getByRole('table', { name: 'Images by vulnerability' });
  const policyForm = (on: Page) => on.getByRole('form', { name: 'Vulnerability policy' });
  const allowForm = (on: Page) => on.getByRole('form', { name: 'Allow an advisory' });
  const textsOf = async (items: ReturnType<Page['locator']>) => (await items.allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());

  async function openTab(on: Page): Promise<void> {
    await on.goto(`${berth.url}/ui/projects/team`);
    await on.getByRole('link', { name: 'Vulnerabilities' }).click();
    await on.waitForURL(`${berth.url}/ui/projects/team/vulnerabilities`);
    await table(on).waitFor();
  }

  it('lists the images worst first with the project\'s figures, each image\'s status and counts', { timeout }, async () => {
    await openTab(page);
    const rows = table(page).locator('tbody tr');
    assert.deepEqual(await textsOf(rows.locator('th a')), images.map((image) => image.fullName));
    // Each row's tag, then status, counts and fixable.
    for (const [index, image] of images.entries()) {
      const row = rows.nth(index);
      await row.locator('th').getByText(image.tag, { exact: true }).waitFor();
      const cells = row.locator('td');
      assert.equal((await cells.nth(0).textContent())?.trim(), image.unscanned ? 'Not scanned' : 'Scanned');
      if (image.unscanned) {
        assert.equal((await cells.nth(1).textContent())?.trim(), '—');
        assert.equal((await cells.nth(3).textContent())?.trim(), 'never');
      } else {
        const counts = expectedCounts(image);
        assert.deepEqual(await textsOf(cells.nth(1).getByRole('listitem')),
          [`Critical ${counts.critical}`, `High ${counts.high}`, `Medium ${counts.medium}`, `Low ${counts.low}`, `Other ${counts.other}`]);
        assert.equal((await cells.nth(2).textContent())?.trim(), String(counts.fixable));
      }
    }
    assert.deepEqual(await textsOf(page.getByRole('list', { name: 'Images by worst finding' }).getByRole('listitem')),
      ['Critical 1', 'High 2', 'Medium 0', 'Low 1', 'Other 0', 'None 1']);
    assert.deepEqual(await textsOf(page.getByRole('list', { name: 'Findings in all images' }).getByRole('listitem')),
      ['Critical 1', 'High 3', 'Medium 0', 'Low 2', 'Other 0']);
    assert.deepEqual(await textsOf(page.locator('dl[aria-label="Images by scan status"] div')), ['Images6', 'Scanned5', 'Not scanned1']);
    assert.deepEqual(session.errors, []);
  });

  it('links an image to its artifact page\'s vulnerabilities', { timeout }, async () => {
    await openTab(page);
    const worst = images[0]!;
    await table(page).getByRole('link', { name: worst.fullName }).click();
    await page.waitForURL(`${berth.url}/ui/artifact/${worst.fullName}@${worst.digest}#vulnerabilities`);
    const section = page.getByRole('region', { name: 'Vulnerabilities' });
    await section.getByRole('table', { name: 'Vulnerabilities' }).getByRole('link', { name: 'EXAMPLE-NPM-0001' }).waitFor();
    // Brought into view once the report has come: the section's heading is on the screen.
    await page.waitForFunction(() => {
      const top = document.getElementById('vulnerabilities-heading')?.getBoundingClientRect().top;
      return top !== undefined && top >= 0 && top < window.innerHeight;
    });
    assert.deepEqual(session.errors, []);
  });

  it('sets the policy through its form, which the API then answers; shows an API refusal as the API words it', { timeout }, async () => {
    await openTab(page);
    const form = policyForm(page);
    await form.getByLabel('Block pulls of images with findings at').selectOption('HIGH');
    await form.getByRole('checkbox', { name: 'Block pulls of images not yet scanned' }).check();
    await form.getByRole('checkbox', { name: 'Quarantine an image when a rescan finds a new critical vulnerability' }).check();
    const saved = page.waitForResponse((response) => response.url().endsWith('/api/v1/projects/team/vulnerability-policy') && response.request().method() === 'PUT');
    await form.getByRole('button', { name: 'Save policy' }).click();
    assert.equal((await saved).status(), 200);
    await form.getByRole('status').getByText('Saved.').waitFor();
    const policy = expectStatus(await berth.admin.get('/api/v1/projects/team/vulnerability-policy'), 200).body;
    assert.deepEqual([policy.blockSeverity, policy.blockUnscanned, policy.autoQuarantine, policy.updatedBy], ['HIGH', true, true, carol.username]);
    await page.getByText(`Last changed by ${carol.username}`).waitFor();

    // The policy is in force: the unscanned image may no longer be pulled.
    const unscanned = images.find((image) => image.unscanned)!;
    const pull = await fetch(`${berth.url}/v2/${unscanned.fullName}/manifests/${unscanned.tag}`, {
      headers: { authorization: basic(carol.username, carol.password), accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(pull.status, 403);

    // Read again, the form shows what is stored; "Do not block" clears the threshold.
    await page.reload();
    assert.equal(await policyForm(page).getByLabel('Block pulls of images with findings at').inputValue(), 'HIGH');
    await policyForm(page).getByLabel('Block pulls of images with findings at').selectOption('');
    await policyForm(page).getByRole('checkbox', { name: 'Block pulls of images not yet scanned' }).uncheck();
    await policyForm(page).getByRole('button', { name: 'Save policy' }).click();
    await policyForm(page).getByRole('status').getByText('Saved.').waitFor();
    const cleared = expectStatus(await berth.admin.get('/api/v1/projects/team/vulnerability-policy'), 200).body;
    assert.deepEqual([cleared.blockSeverity, cleared.blockUnscanned, cleared.autoQuarantine], [null, false, true]);

    // The API refuses an advisory id with a space; the page says why in the API's words.
    const refused = page.waitForResponse((response) => response.url().endsWith('/vulnerability-allowlist') && response.request().method() === 'POST');
    await allowForm(page).getByLabel('Advisory or CVE').fill('CVE 2024');
    await allowForm(page).getByLabel('Reason').fill('a typo');
    await allowForm(page).getByRole('button', { name: 'Allow' }).click();
    const answer = await refused;
    assert.equal(answer.status(), 400);
    const message = ((await answer.json()) as { errors: { message: string }[] }).errors[0]!.message;
    await page.getByRole('alert').getByText(message, { exact: false }).waitFor();
    assert.match(message, /no spaces/);
    // The browser reports the refused request itself; that one is expected.
    assert.deepEqual(session.errors.filter((error) => !error.includes('status of 400')), []);
    session.errors.length = 0;
  });

  it('adds an advisory to the allowlist with a reason and expiry, then removes it', { timeout }, async () => {
    await openTab(page);
    await allowForm(page).getByLabel('Advisory or CVE').fill('CVE-2099-0003');
    await allowForm(page).getByLabel('Reason').fill('minimist is only used by the build');
    await allowForm(page).getByLabel('Expires (optional)').fill('2099-12-31');
    await allowForm(page).getByRole('button', { name: 'Allow' }).click();
    const list = page.getByRole('table', { name: 'Allowlist' });
    const row = list.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'CVE-2099-0003' }) });
    await row.getByRole('cell', { name: 'minimist is only used by the build' }).waitFor();
    await row.getByText('2099-12-31').waitFor();
    const stored = expectStatus(await berth.admin.get('/api/v1/projects/team/vulnerability-allowlist'), 200).body.items;
    assert.deepEqual(stored.map((entry: { advisory: string; reason: string; expiresAt: string; createdBy: string }) => [entry.advisory, entry.reason, entry.expiresAt, entry.createdBy]),
      [['CVE-2099-0003', 'minimist is only used by the build', '2099-12-31T23:59:59.000Z', carol.username]]);
    assert.equal(await allowForm(page).getByLabel('Advisory or CVE').inputValue(), '', 'the form is cleared for the next entry');

    await row.getByRole('button', { name: 'Remove CVE-2099-0003 from the allowlist' }).click();
    await page.getByText('No advisories are allowlisted in this project.').waitFor();
    assert.deepEqual(expectStatus(await berth.admin.get('/api/v1/projects/team/vulnerability-allowlist'), 200).body.items, []);
    assert.deepEqual(session.errors, []);
  });

  it('shows a guest the overview, the policy and the allowlist, with no form and no button to change them', { timeout }, async () => {
    expectStatus(await berth.admin.post('/api/v1/projects/team/vulnerability-allowlist', { advisory: 'EXAMPLE-NPM-0004', reason: 'debug output is off' }), 201);
    expectStatus(await berth.admin.put('/api/v1/projects/team/vulnerability-policy', { blockSeverity: 'critical' }), 200);
    const guest = await openPage(browser);
    try {
      await signIn(guest.page, berth.url, gail.username, gail.password);
      await openTab(guest.page);
      const policy = guest.page.locator('dl[aria-label="Vulnerability policy"]');
      await policy.waitFor();
      assert.deepEqual(await textsOf(policy.locator('dd')), ['Critical', 'No', 'Yes']);
      await guest.page.getByRole('table', { name: 'Allowlist' }).getByRole('rowheader', { name: 'EXAMPLE-NPM-0004' }).waitFor();
      // The capabilities are asked for beside the lists: once the network is quiet, the page has decided.
      await guest.page.waitForLoadState('networkidle');
      assert.equal(await policyForm(guest.page).count(), 0);
      assert.equal(await allowForm(guest.page).count(), 0);
      assert.equal(await guest.page.getByRole('button', { name: /Remove|Save policy|Allow/ }).count(), 0);
      assert.equal(await table(guest.page).locator('tbody tr').count(), images.length);
      assert.deepEqual(guest.errors, []);
    } finally {
      await guest.context.close();
    }
  });

  it('fits a phone in the dark: the table scrolls inside its box, the page does not', { timeout }, async () => {
    const phone = await openPage(browser, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    try {
      await signIn(phone.page, berth.url, carol.username, carol.password);
      await openTab(phone.page);
      await policyForm(phone.page).waitFor();
      assert.equal(await horizontalOverflow(phone.page), 0, 'nothing is wider than the phone');
      assert.deepEqual(phone.errors, []);
    } finally {
      await phone.context.close();
    }
  });
});
