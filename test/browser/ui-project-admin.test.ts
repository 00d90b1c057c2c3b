/**
 * A project administrator's work in the web UI, in a real Chromium: a robot account created with its secret shown
 * once (gone once the dialog is closed, and after a reload), the secret working for the registry, rotation and
 * revocation; a member added, their role changed and removed, each change checked against the API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createUser, expectStatus } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { eventually } from '../support/registry-client.js';
import { launchBrowser, openPage, signIn, startUiBerth, type BrowserPage, type UiBerth } from './ui-harness.js';

const timeout = 60_000;

describe('managing a project in the web UI', { timeout }, () => {
  let berth: UiBerth;
  let browser: Browser;
  let session: BrowserPage;
  let page: Page;

  before(async () => {
    [berth, browser] = await Promise.all([startUiBerth(), launchBrowser()]);
    // carol administers the project "team" without being a system administrator.
    await createUser(berth.admin, 'carol', { password: 'carol-password-1' });
    await createUser(berth.admin, 'dan', { password: 'dan-password-1' });
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'team', public: false }), 201);
    expectStatus(await berth.admin.put('/api/v1/projects/team/members', { kind: 'user', name: 'carol', role: 'admin' }), 200);
    session = await openPage(browser);
    page = session.page;
    await signIn(page, berth.url, 'carol', 'carol-password-1');
  });
  after(async () => {
    await browser?.close();
    await berth?.close();
  });

  it('creates a robot account and sees its secret once: gone when the dialog closes, and after a reload', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/projects/team/robots`);
    await page.getByRole('button', { name: 'New robot account' }).click();
    const form = page.getByRole('dialog', { name: 'New robot account' });
    await form.getByLabel('Robot name').fill('ci');
    await form.getByRole('checkbox', { name: 'push' }).check();
    await form.getByRole('button', { name: 'Create robot' }).click();

    const shown = page.getByRole('dialog', { name: 'Robot account secret' });
    await shown.waitFor();
    const secret = (await shown.locator('code').textContent())?.trim() ?? '';
    assert.ok(secret.length >= 20, `a secret is shown: ${secret}`);
    // The secret logs in to the registry as the robot.
    const token = await fetch(`${berth.url}/auth/token?service=berth&scope=repository:team/app:push`, { headers: { authorization: basic('robot$ci', secret) } });
    assert.equal(token.status, 200);

    await shown.getByRole('button', { name: 'Close' }).click();
    await shown.waitFor({ state: 'detached' });
    await page.getByRole('table', { name: 'Robot accounts' }).getByRole('rowheader', { name: /robot\$ci/ }).waitFor();
    assert.equal(await page.getByText(secret).count(), 0, 'the secret is gone from the page');
    await page.reload();
    await page.getByRole('table', { name: 'Robot accounts' }).getByRole('rowheader', { name: /robot\$ci/ }).waitFor();
    assert.equal(await page.getByText(secret).count(), 0, 'and does not come back');
    assert.equal(await page.content().then((html) => html.includes(secret)), false);
    const listed = expectStatus(await berth.admin.get('/api/v1/robots?project=team'), 200).text;
    assert.ok(!listed.includes(secret), 'the API never hands it out again either');

    // Rotating shows a new one, once; the old one stops working.
    await page.getByRole('button', { name: 'Rotate the secret of robot$ci' }).click();
    const rotated = page.getByRole('dialog', { name: 'Robot account secret' });
    const fresh = (await rotated.locator('code').textContent())?.trim() ?? '';
    assert.ok(fresh.length >= 20 && fresh !== secret);
    await rotated.getByRole('button', { name: 'Close' }).click();
    const old = await fetch(`${berth.url}/auth/token?service=berth&scope=repository:team/app:pull`, { headers: { authorization: basic('robot$ci', secret) } });
    assert.equal(old.status, 401);

    await page.getByRole('button', { name: 'Revoke robot$ci' }).click();
    await page.getByRole('table', { name: 'Robot accounts' }).getByText('revoked').waitFor();
    assert.deepEqual(session.errors, []);
  });

  it('adds a member, changes the role, and removes them', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/projects/team/members`);
    const form = page.getByRole('form', { name: 'Add a member' });
    await form.getByLabel('Member name').fill('dan');
    await form.getByLabel("New member's role").selectOption('guest');
    await form.getByRole('button', { name: 'Add member' }).click();
    const role = page.getByRole('combobox', { name: 'Role of dan' });
    await role.waitFor();
    assert.equal(await role.inputValue(), 'guest');
    const members = async () => (expectStatus(await berth.admin.get('/api/v1/projects/team/members'), 200).body.items as { name: string; role: string }[]);
    assert.equal((await members()).find((member) => member.name === 'dan')?.role, 'guest');

    await role.selectOption('maintainer');
    // The list is read again after the change; an earlier read (after the add) may still land first and show the old
    // role for a moment, so the test waits for the page to settle on the new one rather than for one response.
    await eventually('the page to show dan as maintainer', async () =>
      ((await page.getByRole('combobox', { name: 'Role of dan' }).inputValue()) === 'maintainer' ? true : undefined));
    assert.equal((await members()).find((member) => member.name === 'dan')?.role, 'maintainer');

    await page.getByRole('button', { name: 'Remove dan' }).click();
    await page.getByRole('combobox', { name: 'Role of dan' }).waitFor({ state: 'detached' });
    assert.equal((await members()).some((member) => member.name === 'dan'), false);
    assert.deepEqual(session.errors, []);
  });

  it('a refused change says why on the page: a member that does not exist', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/projects/team/members`);
    const form = page.getByRole('form', { name: 'Add a member' });
    await form.getByLabel('Member name').fill('nobody-here');
    await form.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('alert').filter({ hasText: 'The change was refused' }).waitFor();
  });

  it('makes the project public from its settings', { timeout }, async () => {
    await page.goto(`${berth.url}/ui/projects/team/settings`);
    await page.getByRole('radio', { name: /Public/ }).check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('heading', { level: 1 }).getByText('public').waitFor();
    assert.equal((expectStatus(await berth.admin.get('/api/v1/projects/team'), 200).body as { public: boolean }).public, true);
  });
});
