/**
 * OpenID Connect sign-in as a person does it, in a real browser (Debian's Chromium, driven by playwright-core):
 * Berth's login route sends the browser to a real provider, alice fills in its login and consent forms, lands on
 * Berth's signed-in page, and presses its button to create a CLI secret, which the page's own script asks the API
 * for. The secret the page shows then logs podman in and pushes into a project where alice's provider group holds
 * the developer role. Along the way: the page's Content-Security-Policy refuses nothing the page needs, the session
 * cookie is out of scripts' reach, and signing out leaves the browser signed out.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { AdminApi, basicAuth } from '../support/admin-api.js';
import { removeDataDir, type BerthProcess } from '../support/berth-process.js';
import { launchBrowser } from '../support/browser.js';
import { allManifestTypes } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir, sha256Digest } from '../support/clients/run.js';
import { outputOf, SandboxedClients } from '../support/clients/sandboxed-clients.js';
import { startOidcBerth } from '../support/oidc-berth.js';
import type { OidcProviderHandle } from '../support/oidc-provider.js';

const timeout = 60_000;
/** Each browser step waits at most this long, so a page that never comes fails the step, not the whole file. */
const stepTimeoutMs = 15_000;
const adminPassword = 'admin-password-for-browser-oidc-e2e';
const clientId = 'berth';
const clientSecret = 'berth-browser-oidc-e2e-secret';
const local = 'localhost/berth-browser-oidc/app:1';

/** An error the browser reported: a console error (a CSP refusal is one) or an uncaught exception in a page. */
interface BrowserError {
  readonly pageUrl: string;
  readonly text: string;
}

describe('an OpenID Connect user signs in with a browser, creates a CLI secret there and pushes with podman', { timeout }, () => {
  let provider: OidcProviderHandle | undefined;
  let berth: BerthProcess | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let work: string | undefined;
  let clients: SandboxedClients;
  let admin: AdminApi;
  const errors: BrowserError[] = [];
  let secret = '';

  /** Errors the browser reported while it showed one of Berth's pages (the provider's pages are not Berth's). */
  const berthErrors = (): BrowserError[] => errors.filter((error) => error.pageUrl.startsWith(`${berth!.url}/`));

  before(async () => {
    work = makeTempDir('browser-oidc');
    clients = new SandboxedClients(work);
    const imageContext = join(work, 'context');
    mkdirSync(imageContext);
    writeFileSync(join(imageContext, 'hello.txt'), 'hello from a browser sign-in\n');
    writeFileSync(join(imageContext, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\nCMD ["/hello.txt"]\n');
    // The image is built while the servers and the browser start.
    const built = clients.podman('build', ['build', '--quiet', '--tag', local, imageContext]);
    built.catch(() => {});

    const [started, launched] = await Promise.all([
      startOidcBerth({
        work, adminPassword, clientId, clientSecret,
        users: { alice: { email: 'alice@example.com', name: 'Alice Liddell', groups: ['developers'] } },
      }),
      launchBrowser(),
    ]);
    ({ provider, berth } = started);
    browser = launched;
    admin = new AdminApi(berth.url, 'admin', adminPassword);

    context = await browser.newContext();
    context.setDefaultTimeout(stepTimeoutMs);
    context.setDefaultNavigationTimeout(stepTimeoutMs);
    // Only this machine's servers: the provider's page imports a web font, which must neither leave the machine nor
    // hold up the page's load event waiting for a network that is not there.
    await context.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      return hostname === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient');
    });
    page = await context.newPage();
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') errors.push({ pageUrl: page.url(), text: `${message.text()} (at ${message.location().url})` });
    });
    page.on('pageerror', (error) => errors.push({ pageUrl: page.url(), text: `uncaught: ${error.stack ?? error.message}` }));

    await built;
  });

  after(async () => {
    // Each step on its own: one that fails must not leave the others' processes running.
    const steps: [string, () => Promise<void> | void][] = [
      ['browser', async () => { await browser?.close(); }],
      ['berth', async () => { await berth?.stop(); if (berth) removeDataDir(berth.dataDir); }],
      ['provider', async () => { await provider?.stop(); }],
      ['work folder', () => removeDir(work)],
    ];
    const failures: string[] = [];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    assert.deepEqual(failures, [], 'clean-up');
  });

  it('the administrator gives the provider group "developers" the developer role in project "team"', { timeout }, async () => {
    await admin.createProject('team', false);
    await admin.createGroup({ name: 'developers', source: 'oidc', externalName: 'developers' });
    await admin.setMember('team', { kind: 'group', name: 'developers', role: 'developer' });
  });

  it('alice signs in at the provider and lands on Berth\'s signed-in page', { timeout }, async () => {
    const base = berth!.url;
    await page.goto(`${base}/auth/oidc/login?return_to=/auth/oidc/done`);
    assert.ok(page.url().startsWith(`${provider!.issuer}/`), `the browser is at the provider: ${page.url()}`);

    // The provider's development login page: any password for a known login name.
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    // Then its consent page; Continue goes back to Berth's callback, which redirects to the page asked for.
    const landed = page.waitForURL(`${base}/auth/oidc/done`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await landed;

    await page.getByRole('heading', { name: 'Signed in to Berth' }).waitFor();
    const greeting = await page.locator('main p').first().textContent();
    assert.match(greeting ?? '', /You are signed in as Alice Liddell \(alice\)\./);
  });

  it('the session cookie is HttpOnly, and only the CSRF cookie is readable by the page', { timeout }, async () => {
    const cookies = await context.cookies(berth!.url);
    const session = cookies.find((cookie) => cookie.name === 'berth_session');
    const csrf = cookies.find((cookie) => cookie.name === 'berth_csrf');
    assert.ok(session !== undefined, `a berth_session cookie: ${JSON.stringify(cookies.map((cookie) => cookie.name))}`);
    assert.ok(csrf !== undefined, 'a berth_csrf cookie');
    assert.equal(session.httpOnly, true, 'berth_session is HttpOnly');
    assert.equal(session.sameSite, 'Lax');
    assert.equal(session.path, '/');
    assert.equal(csrf.httpOnly, false, 'the page reads berth_csrf to send it back in x-berth-csrf');
    assert.ok(!cookies.some((cookie) => cookie.name === 'berth_oidc'), 'the sign-in state cookie is gone once signed in');

    const visible = await page.evaluate(() => document.cookie);
    assert.ok(!visible.includes('berth_session='), `the page's script cannot read the session: ${visible}`);
    assert.ok(visible.includes(`berth_csrf=${csrf.value}`));
  });

  it('alice creates a CLI secret with the page\'s button, and the page shows it once with the login commands', { timeout }, async () => {
    const [csrf] = (await context.cookies(berth!.url)).filter((cookie) => cookie.name === 'berth_csrf');
    await page.locator('#name').fill('laptop');
    const [response] = await Promise.all([
      page.waitForResponse((candidate) => candidate.url() === `${berth!.url}/api/v1/users/me/cli-secrets`
        && candidate.request().method() === 'POST'),
      page.getByRole('button', { name: 'Create CLI secret' }).click(),
    ]);
    assert.equal(response.status(), 201, await response.text());
    assert.equal(await response.request().headerValue('x-berth-csrf'), csrf?.value, 'the page sends the CSRF cookie back as x-berth-csrf');
    const created = await response.json() as { name: string; secret: string };
    assert.equal(created.name, 'laptop');

    const shown = page.locator('#secret');
    await shown.waitFor({ state: 'visible' });
    secret = (await shown.textContent() ?? '').trim();
    assert.equal(secret, created.secret, 'the page shows the secret the API created');
    assert.ok(secret.length >= 20, 'a CLI secret is long');
    assert.equal(await page.locator('#error').isHidden(), true, `no error on the page: ${await page.locator('#error').textContent()}`);
    assert.equal(await page.locator('#create').isHidden(), true, 'the form is gone once the secret is shown');

    // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator, not a DOM node; innerText is the text a person sees
    const result = await page.locator('#result').innerText();
    const host = berth!.hostPort;
    assert.ok(result.includes(`podman login --tls-verify=false --username alice ${host}`), result);
    assert.ok(result.includes(`docker login --username alice ${host}`), result);
  });

  it('the page\'s Content-Security-Policy refused nothing: no console errors or uncaught exceptions on Berth\'s pages', { timeout }, async () => {
    const response = await page.request.get(`${berth!.url}/auth/oidc/done`);
    assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'nonce-[^']+'/);
    assert.deepEqual(berthErrors(), []);
  });

  it('podman logs in as alice with the secret from the page and pushes to team/app:1', { timeout }, async () => {
    assert.ok(secret !== '', 'the page showed a CLI secret');
    const login = await clients.tryPodman('alice', ['login', '--tls-verify=false', '--authfile', clients.authFile('alice'),
      '-u', 'alice', '-p', secret, berth!.hostPort]);
    assert.equal(login.code, 0, outputOf(login));
    assert.match(login.stdout, /Login Succeeded/i);

    const digestFile = join(work!, 'push.digest');
    await clients.podman('build', ['push', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('alice'),
      '--digestfile', digestFile, local, `${berth!.hostPort}/team/app:1`]);
    const pushed = readFileSync(digestFile, 'utf8').trim();
    assert.match(pushed, /^sha256:[0-9a-f]{64}$/);

    const stored = await fetch(`${berth!.url}/v2/team/app/manifests/1`, {
      headers: { accept: allManifestTypes, authorization: basicAuth('admin', adminPassword) },
    });
    const bytes = Buffer.from(await stored.arrayBuffer());
    assert.equal(stored.status, 200, bytes.toString());
    assert.equal(sha256Digest(bytes), pushed, 'Berth holds what podman pushed');
  });

  it('signing out with the page\'s button leaves the browser signed out', { timeout }, async () => {
    await page.getByRole('button', { name: 'Sign out of this browser' }).click();
    // The button posts to /auth/logout and reloads the page.
    await page.getByRole('heading', { name: 'Not signed in' }).waitFor();
    const names = (await context.cookies(berth!.url)).map((cookie) => cookie.name);
    assert.ok(!names.includes('berth_session') && !names.includes('berth_csrf'), `cookies left: ${JSON.stringify(names)}`);

    await page.reload();
    await page.getByRole('heading', { name: 'Not signed in' }).waitFor();
    assert.equal(await page.getByRole('link', { name: /^Sign in with / }).getAttribute('href'), '/auth/oidc/login?return_to=%2Fauth%2Foidc%2Fdone');
    assert.deepEqual(berthErrors(), [], 'no console errors on the signed-out page either');
  });

  it('the console check would have seen a refusal: a script without the nonce is blocked and reported', { timeout }, async () => {
    // A control for the CSP check above: were the page's policy to block something, it would show up as an error.
    const before = berthErrors().length;
    const ran = await page.evaluate(async () => {
      const marker = window as unknown as { injectedRan?: boolean };
      const script = document.createElement('script');
      script.textContent = 'window.injectedRan = true;';
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return marker.injectedRan === true;
    });
    assert.equal(ran, false, 'the policy blocks an inline script without the nonce');
    await page.waitForTimeout(200);
    const reported = berthErrors().slice(before);
    assert.ok(reported.some((error) => /Content Security Policy/i.test(error.text)), `reported: ${JSON.stringify(reported)}`);
  });
});
