/**
 * Signing in to the web UI and out again, in a real Chromium, as a local user and as an LDAP user (a real OpenLDAP,
 * test/support/slapd.ts): the sign-in form sets the session, the pages then show what the user may see, and signing
 * out ends the session for the server too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createUser, expectStatus } from '../support/api-client.js';
import { startSlapd, type Slapd } from '../support/slapd.js';
import { launchBrowser, openPage, signIn, startUiBerth, type UiBerth } from './ui-harness.js';

const timeout = 90_000;
const developersDN = 'cn=developers,ou=groups,dc=example,dc=org';

describe('signing in to the web UI', { timeout }, () => {
  let slapd: Slapd;
  let berth: UiBerth;
  let browser: Browser;

  before(async () => {
    slapd = await startSlapd();
    [berth, browser] = await Promise.all([
      startUiBerth({
        auth: {
          ldap: {
            url: slapd.url, startTLS: true, tls: { caFile: slapd.caFile }, bindDN: slapd.bindDN, bindPassword: slapd.bindPassword,
            userBaseDN: `ou=people,${slapd.baseDN}`, groupBaseDN: `ou=groups,${slapd.baseDN}`,
          },
        },
      }),
      launchBrowser(),
    ]);
    await createUser(berth.admin, 'erin', { password: 'erin-password-1' });
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'team', public: false }), 201);
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'hidden', public: false }), 201);
    expectStatus(await berth.admin.put('/api/v1/projects/team/members', { kind: 'user', name: 'erin', role: 'guest' }), 200);
    expectStatus(await berth.admin.post('/api/v1/groups', { name: 'developers', source: 'ldap', externalName: developersDN }), 201);
    expectStatus(await berth.admin.post('/api/v1/projects', { name: 'dev-team', public: false }), 201);
    expectStatus(await berth.admin.put('/api/v1/projects/dev-team/members', { kind: 'group', name: 'developers', role: 'developer' }), 200);
  });
  after(async () => {
    await browser?.close();
    await berth?.close();
    await slapd?.stop();
  });

  it('the sign-in page offers the password form and no OpenID Connect button when none is configured', { timeout }, async () => {
    const { page, context, errors } = await openPage(browser);
    await page.goto(`${berth.url}/ui/sign-in`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await page.getByRole('link', { name: /Sign in with/ }).count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('a wrong password is refused on the page, and nothing is signed in', { timeout }, async () => {
    const { page, context } = await openPage(browser);
    await page.goto(`${berth.url}/ui/sign-in`);
    await page.getByLabel('Username', { exact: true }).fill('erin');
    await page.getByLabel('Password', { exact: true }).fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Sign-in failed' }).waitFor();
    assert.equal((await context.cookies()).some((cookie) => cookie.name === 'berth_session'), false);
    await context.close();
  });

  it('a local user signs in, sees their private project and not others, then signs out', { timeout }, async () => {
    const { page, context, errors } = await openPage(browser);
    await signIn(page, berth.url, 'erin', 'erin-password-1');
    assert.equal(new URL(page.url()).pathname, '/ui/projects');
    await page.getByRole('banner').getByText('erin').waitFor();
    const table = page.getByRole('table', { name: 'Projects' });
    await table.getByRole('link', { name: 'team' }).waitFor();
    assert.equal(await table.getByRole('link', { name: 'hidden' }).count(), 0);
    const session = (await context.cookies()).find((cookie) => cookie.name === 'berth_session');
    assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
    assert.equal(await page.evaluate(() => document.cookie.includes('berth_session')), false, 'scripts cannot read the session');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('banner').getByRole('link', { name: 'Sign in', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('banner').getByRole('link', { name: 'Sign in', exact: true }).waitFor();
    assert.equal(await page.getByRole('table', { name: 'Projects' }).getByRole('link', { name: 'team' }).count(), 0, 'signed out, the private project is gone');
    // The cookie as it was cannot bring the session back: the server ended it.
    const replay = await fetch(`${berth.url}/api/v1/me`, { headers: { cookie: `berth_session=${session!.value}` } });
    assert.equal(replay.status, 401);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('an LDAP user signs in with their directory password and sees the project their directory group is a member of', { timeout }, async () => {
    const { page, context, errors } = await openPage(browser);
    await signIn(page, berth.url, 'alice', 'alice-secret');
    await page.getByRole('banner').getByText('alice').waitFor();
    await page.getByRole('table', { name: 'Projects' }).getByRole('link', { name: 'dev-team' }).click();
    await page.getByRole('heading', { name: /dev-team/, level: 1 }).waitFor();
    // A developer sees the members (and that is how the UI learns her role): the group is listed.
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('table', { name: 'Members' }).getByRole('rowheader', { name: 'developers' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Robots' }).count(), 0, 'a developer manages no robots');
    const me = expectStatus(await berth.admin.get('/api/v1/users/alice'), 200).body as { source: string };
    assert.equal(me.source, 'ldap');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('banner').getByRole('link', { name: 'Sign in', exact: true }).waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('returns to the page that asked for the sign-in', { timeout }, async () => {
    const { page, context } = await openPage(browser);
    await page.goto(`${berth.url}/ui/projects/team`);
    await page.getByRole('banner').getByRole('link', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Username', { exact: true }).fill('erin');
    await page.getByLabel('Password', { exact: true }).fill('erin-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /team/, level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/ui/projects/team');
    await context.close();
  });
});
