/**
 * The web UI as a visitor first meets it, in a real Chromium: served at / with its security headers, the public
 * projects only for someone not signed in, the dark scheme toggle that is remembered, and a phone-width screen that
 * needs no sideways scrolling.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { expectStatus } from '../support/api-client.js';
import { horizontalOverflow, launchBrowser, openPage, startUiBerth, type UiBerth } from './ui-harness.js';

const timeout = 60_000;

describe('the web UI shell in a browser', { timeout }, () => {
  let berth: UiBerth;
  let browser: Browser;

  before(async () => {
    [berth, browser] = await Promise.all([startUiBerth(), launchBrowser()]);
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'library', public: true }), 201);
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'opensource', public: true }), 201);
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'secret-team', public: false }), 201);
  });
  after(async () => {
    await browser?.close();
    await berth?.close();
  });

  it('serves the UI at / with a CSP without unsafe-inline, frame-ancestors none, nosniff and a referrer policy', { timeout }, async () => {
    const { page, errors, context } = await openPage(browser);
    const response = await page.goto(`${berth.url}/`);
    assert.ok(response);
    assert.equal(response.status(), 200);
    const headers = response.headers();
    const csp = headers['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['referrer-policy'], 'same-origin');
    assert.equal(headers['x-frame-options'], 'DENY');
    // The app takes over at /, lands on the projects and draws under the policy without a single refusal.
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/ui/projects');
    assert.deepEqual(errors, [], 'the browser reported no error (a CSP refusal would be one)');
    await context.close();
  });

  it('an anonymous visitor sees the public projects only, and is offered to sign in', { timeout }, async () => {
    const { page, errors, context } = await openPage(browser);
    await page.goto(`${berth.url}/ui/projects`);
    const table = page.getByRole('table', { name: 'Projects' });
    await table.getByRole('link', { name: 'library' }).waitFor();
    await table.getByRole('link', { name: 'opensource' }).waitFor();
    assert.equal(await table.getByRole('link', { name: 'secret-team' }).count(), 0, 'a private project is not listed');
    assert.equal(await page.getByRole('banner').getByRole('link', { name: 'Sign in', exact: true }).count(), 1);
    assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0, 'no administration for visitors');
    // Its address typed in leads nowhere either.
    await page.goto(`${berth.url}/ui/projects/secret-team`);
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Project sections' }).count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('the dark scheme toggles, follows the system until chosen, and is remembered across reloads', { timeout }, async () => {
    const { page, context } = await openPage(browser, { colorScheme: 'light' });
    await page.goto(`${berth.url}/ui/projects`);
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    await toggle.waitFor();
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await background();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    const dark = await background();
    assert.notEqual(dark, light, 'the page is drawn in other colours');
    await page.reload();
    await page.getByRole('button', { name: 'Dark theme' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed'), 'true', 'the choice is remembered');
    assert.equal(await background(), dark);
    await page.getByRole('button', { name: 'Dark theme' }).click();
    assert.equal(await background(), light);
    await context.close();

    // A system that prefers dark gets dark without asking.
    const darkSystem = await openPage(browser, { colorScheme: 'dark' });
    await darkSystem.page.goto(`${berth.url}/ui/projects`);
    await darkSystem.page.getByRole('button', { name: 'Dark theme' }).waitFor();
    assert.equal(await darkSystem.page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed'), 'true');
    assert.equal(await darkSystem.page.evaluate(() => getComputedStyle(document.body).backgroundColor), dark);
    await darkSystem.context.close();
  });

  it('renders the projects page at phone width (390 px) without horizontal overflow', { timeout }, async () => {
    const { page, errors, context } = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.goto(`${berth.url}/ui/projects`);
    await page.getByRole('table', { name: 'Projects' }).getByRole('link', { name: 'library' }).waitFor();
    assert.equal(await horizontalOverflow(page), 0, 'nothing wider than the screen');
    await page.goto(`${berth.url}/ui/sign-in`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await horizontalOverflow(page), 0, 'the sign-in page fits too');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
