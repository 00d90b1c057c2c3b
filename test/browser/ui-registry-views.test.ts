/**
 * What the web UI shows of the registry's contents, in a real Chromium, over images pushed as clients push them:
 * labels a pusher wrote rendered as text (never markup, with the CSP as a second wall); tags sorted by version; a
 * multi-arch index with each platform's layers and labels; signatures and SBOMs grouped as referrers; the pull
 * command copied to the clipboard; a quarantine with its reason and pullers; search by label.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createUser, expectStatus } from '../support/api-client.js';
import { adminPassword, launchBrowser, openPage, Pusher, signIn, startUiBerth, type BrowserPage, type Pushed, type UiBerth } from './ui-harness.js';

const timeout = 90_000;
const hostile = '<img src=x onerror=window.__xss=1>';

describe('the registry in the web UI', { timeout }, () => {
  let berth: UiBerth;
  let browser: Browser;
  let session: BrowserPage;
  let page: Page;
  let push: Pusher;
  let release: Pushed & { children: Pushed[] };

  before(async () => {
    [berth, browser] = await Promise.all([startUiBerth(), launchBrowser()]);
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'team', public: false }), 201);
    await createUser(berth.admin, 'puller', { password: 'puller-password-1' });
    expectStatus(await berth.admin.put('/api/v1/projects/team/members', { kind: 'user', name: 'puller', role: 'guest' }), 200);
    push = new Pusher(berth.url, 'admin', adminPassword);
    await push.image('team/web', 'evil', {
      labels: { 'org.example.note': hostile, [`x-${'<b>bold</b>'}`]: 'key with markup' },
      annotations: { 'org.opencontainers.image.description': `<script>window.__xss=2</script>${hostile}` },
    });
    for (const tag of ['1.2.0', '1.10.0', '1.9.1', 'v2.0.0', '2.0.0-rc.1', 'latest', '0.9']) await push.image('team/app', tag, { labels: { version: tag } });
    release = await push.index('team/multi', '3.1.0', [
      { architecture: 'amd64', labels: { 'org.opencontainers.image.vendor': 'Acme', arch: 'amd64-label' }, layers: [1000, 2000] },
      { architecture: 'arm64', variant: 'v8', labels: { 'org.opencontainers.image.vendor': 'Acme', arch: 'arm64-label' }, layers: [3000, 4000, 5000] },
    ]);
    await push.referrer('team/multi', release, 'application/vnd.dev.cosign.artifact.sig.v1+json', { 'dev.cosignproject.cosign/signature': 'MEUC' });
    await push.referrer('team/multi', release, 'application/spdx+json');
    await new Pusher(berth.url, 'puller', 'puller-password-1').pull('team/multi', '3.1.0');

    session = await openPage(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
    page = session.page;
    await signIn(page, berth.url, 'admin', adminPassword);
  });
  after(async () => {
    await browser?.close();
    await berth?.close();
  });

  it('shows a label and an annotation written as HTML as text: no element is made and no script runs', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/web:evil`);
    const labels = page.getByRole('table', { name: 'Labels' });
    await labels.getByRole('cell', { name: hostile, exact: true }).waitFor();
    await labels.getByRole('rowheader', { name: 'x-<b>bold</b>' }).waitFor();
    await page.getByRole('table', { name: 'Annotations' }).getByText(`<script>window.__xss=2</script>${hostile}`).waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
    assert.equal(await page.locator('main img').count(), 0, 'no <img> was made from the label');
    assert.equal(await page.locator('main b').count(), 0);
    // And on the tag list and the search page.
    await page.goto(`${berth.url}/ui/search?q=${encodeURIComponent('onerror')}`);
    await page.getByRole('table', { name: 'Matching labels' }).getByRole('cell', { name: hostile, exact: true }).waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
    assert.deepEqual(session.errors, []);
  });

  it('sorts tags by version, semver-aware, with non-semver tags after the versions', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/repo/team/app`);
    await page.getByLabel('Sort by').selectOption('version');
    await page.getByLabel('Order').selectOption('asc');
    await page.waitForURL(/sort=version&order=asc/);
    const tags = page.getByRole('table', { name: 'Tags' }).getByRole('rowheader');
    await tags.first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Tags"] tbody th').length === 7);
    const ascending = (await tags.allTextContents()).map((text) => text.trim());
    const index = (tag: string) => ascending.indexOf(tag);
    assert.ok(index('1.2.0') < index('1.9.1') && index('1.9.1') < index('1.10.0'), `1.2.0 < 1.9.1 < 1.10.0: ${ascending}`);
    assert.ok(index('1.10.0') < index('2.0.0-rc.1') && index('2.0.0-rc.1') < index('v2.0.0'), `a pre-release before its release: ${ascending}`);
    assert.equal(ascending.at(-1), 'latest', `a tag that is no version comes last: ${ascending}`);

    await page.getByLabel('Order').selectOption('desc');
    await page.waitForURL(/order=desc/);
    await page.waitForFunction(() => document.querySelector('table[aria-label="Tags"] tbody th')?.textContent?.trim() === 'v2.0.0');
    // A glob filter narrows the list on the server.
    await page.getByRole('searchbox', { name: 'Filter tags' }).fill('1.*');
    await page.getByRole('searchbox', { name: 'Filter tags' }).press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Tags"] tbody th').length === 3);
    assert.deepEqual((await tags.allTextContents()).map((text) => text.trim()), ['1.10.0', '1.9.1', '1.2.0']);
  });

  it('opens a multi-arch index and reads each platform\'s layers and labels', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/multi:3.1.0`);
    await page.getByRole('heading', { name: 'Platforms (2)' }).waitFor();
    const platforms = page.getByRole('list', { name: 'Platforms of this index' });
    assert.deepEqual((await platforms.getByRole('button').allTextContents()).map((text) => text.trim()), ['linux/amd64', 'linux/arm64/v8']);
    const layers = page.getByRole('table', { name: 'Layers' });
    await page.getByRole('table', { name: 'Labels' }).getByRole('cell', { name: 'amd64-label' }).waitFor();
    assert.equal(await layers.locator('tbody tr').count(), 2);

    await platforms.getByRole('button', { name: 'linux/arm64/v8' }).click();
    await page.getByRole('table', { name: 'Labels' }).getByRole('cell', { name: 'arm64-label' }).waitFor();
    assert.equal(await layers.locator('tbody tr').count(), 3);
    await layers.getByRole('cell', { name: '4.9 KiB' }).waitFor();
    await page.getByText(release.children[1]!.digest.slice(0, 19)).first().waitFor();
    // The select does the same.
    await page.getByRole('combobox', { name: 'Platform' }).selectOption({ label: 'linux/amd64' });
    await page.getByRole('table', { name: 'Labels' }).getByRole('cell', { name: 'amd64-label' }).waitFor();
  });

  it('groups the cosign signature and the SBOM among the referrers', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/multi:3.1.0`);
    await page.getByRole('region', { name: 'Signatures' }).getByText('application/vnd.dev.cosign.artifact.sig.v1+json').waitFor();
    await page.getByRole('region', { name: 'SBOMs' }).getByText('application/spdx+json').waitFor();
  });

  it('copies the pull command by tag (the default) and by digest', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/multi:3.1.0`);
    const host = new URL(berth.url).host;
    await page.getByRole('button', { name: 'Copy docker pull command' }).click();
    await page.getByRole('button', { name: 'Copy docker pull command' }).getByText('Copied').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `docker pull ${host}/team/multi:3.1.0`);
    await page.getByRole('button', { name: 'Copy podman pull command' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `podman pull --tls-verify=false ${host}/team/multi:3.1.0`);
    await page.getByRole('radio', { name: 'By digest' }).check();
    await page.getByRole('button', { name: 'Copy containerd pull command' }).click();
    await page.waitForFunction(async (expected) => (await navigator.clipboard.readText()) === expected,
      `ctr images pull --plain-http ${host}/team/multi@${release.digest}`);
  });

  it('quarantines the image with a reason, shows it and who pulled it, and releases it', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/artifact/team/multi:3.1.0`);
    await page.getByRole('table', { name: 'Pullers' }).getByRole('rowheader', { name: /puller/ }).waitFor();
    await page.getByRole('banner').waitFor();
    await page.getByRole('button', { name: 'Quarantine', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: /Quarantine team\/multi:3.1.0/ });
    await dialog.getByLabel('Reason').fill('CVE-2099-0001 in libfoo');
    await dialog.getByRole('button', { name: 'Quarantine' }).click();
    const banner = page.getByRole('region', { name: 'Quarantined' });
    await banner.getByText('CVE-2099-0001 in libfoo').waitFor();
    await banner.getByText(/By admin/).waitFor();
    // A pull is now refused with the reason.
    const refused = await fetch(`${berth.url}/v2/team/multi/manifests/3.1.0`, {
      headers: { authorization: `Basic ${Buffer.from('puller:puller-password-1').toString('base64')}`, accept: 'application/vnd.oci.image.index.v1+json' },
    });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /CVE-2099-0001/);
    // The tag list marks it.
    await page.goto(`${berth.url}/ui/repo/team/multi`);
    await page.getByRole('table', { name: 'Tags' }).getByText('quarantined').waitFor();
    await page.goto(`${berth.url}/ui/artifact/team/multi:3.1.0`);
    await page.getByRole('button', { name: 'Release from quarantine' }).click();
    await page.getByRole('region', { name: 'Quarantined' }).waitFor({ state: 'detached' });
  });

  it('finds images by label: free-text search and a key=value query', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/search`);
    await page.getByRole('searchbox', { name: 'Search repositories, tags and labels' }).fill('Acme');
    await page.getByRole('searchbox', { name: 'Search repositories, tags and labels' }).press('Enter');
    const matching = page.getByRole('table', { name: 'Matching labels' });
    await matching.getByRole('row', { name: /team\/multi:3\.1\.0 org\.opencontainers\.image\.vendor Acme/ }).waitFor();

    await page.getByLabel('Label (key or key=value)').fill('org.opencontainers.image.vendor=Acme');
    await page.getByRole('button', { name: 'Find artifacts' }).click();
    const found = page.getByRole('table', { name: 'Artifacts with the label' });
    await found.getByRole('link', { name: /team\/multi/ }).first().waitFor();
    assert.equal(await found.getByRole('link', { name: /team\/app/ }).count(), 0);
    await found.getByRole('link', { name: /team\/multi/ }).first().click();
    await page.getByRole('heading', { level: 1, name: /team\/multi/ }).waitFor();
    assert.deepEqual(session.errors, []);
  });
});
