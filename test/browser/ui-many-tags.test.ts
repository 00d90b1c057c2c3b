/**
 * A repository of 10,000 tags in the web UI, in a real Chromium: the list opens sorted by version, holds only the
 * rows on screen in the page (a virtualised list), reads the rest a page at a time as it scrolls, and ends up having
 * read every tag exactly once; a filter narrows it on the server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page, Response } from 'playwright-core';
import { expectStatus } from '../support/api-client.js';
import { adminPassword, launchBrowser, openPage, Pusher, signIn, startUiBerth, type BrowserPage, type UiBerth } from './ui-harness.js';

const timeout = 240_000;
const tagCount = 10_000;
/** Pushes in flight while seeding, as a CI job pushing many tags would. */
const inFlight = 8;
const version = (index: number) => `1.${Math.floor(index / 100)}.${index % 100}`;

describe('a repository of 10,000 tags in the web UI', { timeout }, () => {
  let berth: UiBerth;
  let browser: Browser;
  let session: BrowserPage;
  let page: Page;

  before(async () => {
    [berth, browser] = await Promise.all([startUiBerth(), launchBrowser()]);
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'big', public: false }), 201);
    const push = new Pusher(berth.url, 'admin', adminPassword);
    const { manifest } = await push.imageManifest('big/app', {});
    let next = 0;
    // Each tag names a manifest of its own (an annotation tells them apart), over the same config and layer.
    await Promise.all(Array.from({ length: inFlight }, async () => {
      for (let index = next++; index < tagCount; index = next++) {
        await push.manifest('big/app', version(index), { ...manifest, annotations: { 'org.example.build': String(index) } });
      }
    }));
    session = await openPage(browser);
    page = session.page;
    await signIn(page, berth.url, 'admin', adminPassword);
  });
  after(async () => {
    await browser?.close();
    await berth?.close();
  });

  const tagCells = () => page.getByRole('table', { name: 'Tags' }).getByRole('rowheader');
  const renderedRows = () => page.evaluate(() => document.querySelectorAll('table[aria-label="Tags"] tbody th').length);

  it('opens sorted by version with only the rows on screen in the page, and reads every tag once while scrolling', { timeout }, async () => {
    // Every page of tags the UI reads, in the order it asked for them.
    const pages: Promise<string[]>[] = [];
    const listen = (response: Response) => {
      if (response.url().includes('/api/v1/tags?')) pages.push(response.json().then((body: { items: { tag: string }[] }) => body.items.map((row) => row.tag)));
    };
    page.on('response', listen);
    await page.goto(`${berth.url}/ui/repo/big/app?sort=version&order=desc`);
    await page.getByRole('definition').filter({ hasText: '10,000' }).first().waitFor();
    await page.waitForFunction(() => document.querySelector('table[aria-label="Tags"] tbody th')?.textContent?.trim() === '1.99.99');
    const first = await renderedRows();
    assert.ok(first > 0 && first < 100, `a screenful of rows is rendered, not the page of 200 nor all 10,000: ${first}`);

    // Scroll to the end of what is loaded until the lowest version shows; each step loads the next page.
    const scroller = page.locator('.vbody');
    for (let step = 0; step < 200; step++) {
      await scroller.evaluate((element) => { element.scrollTop = element.scrollHeight; });
      if ((await tagCells().last().textContent())?.trim() === '1.0.0') break;
      await page.waitForTimeout(50);
    }
    assert.equal((await tagCells().last().textContent())?.trim(), '1.0.0', 'the list reached the lowest version');
    assert.ok(await renderedRows() < 100, `still only the rows on screen: ${await renderedRows()}`);

    page.off('response', listen);
    const seen = (await Promise.all(pages)).flat();
    assert.equal(seen.length, tagCount, `${pages.length} pages held ${seen.length} rows`);
    assert.equal(new Set(seen).size, tagCount, 'no tag was read twice');
    const expected = Array.from({ length: tagCount }, (_, index) => version(tagCount - 1 - index));
    assert.deepEqual(seen, expected, 'every tag, in version order, highest first');
    assert.deepEqual(session.errors, []);
  });

  it('narrows the 10,000 tags with a glob on the server', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/repo/big/app?sort=version&order=asc`);
    await page.getByRole('searchbox', { name: 'Filter tags' }).fill('1.42.*');
    await page.getByRole('searchbox', { name: 'Filter tags' }).press('Enter');
    await page.waitForURL(/pattern=1\.42\.\*/);
    await page.waitForFunction(() => document.querySelector('table[aria-label="Tags"] tbody th')?.textContent?.trim() === '1.42.0');
    const shown = (await tagCells().allTextContents()).map((text) => text.trim());
    assert.ok(shown.every((tag) => tag.startsWith('1.42.')), `only matching tags: ${shown.slice(0, 5)}`);
    assert.deepEqual(shown.slice(0, 3), ['1.42.0', '1.42.1', '1.42.2'], 'numeric order within the filter');
    assert.deepEqual(session.errors, []);
  });
});
