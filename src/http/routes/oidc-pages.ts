import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { User } from '../../metadata/access-store.js';
import { csrfCookie } from '../cookies.js';

/** Where a sign-in lands when it was given no page to return to. */
export const donePath = '/auth/oidc/done';

/**
 * The few pages of the OpenID Connect sign-in (signed in, signed out, failed), until the web UI takes them over:
 * self-contained HTML, everything printed escaped, and a Content-Security-Policy that allows only their own inline
 * style and script.
 */

export interface Page {
  readonly title: string;
  /** HTML, escaped by whoever built it. */
  readonly body: string;
  /** JavaScript for the page's one inline script (it runs under a nonce), or empty. */
  readonly script: string;
}

/**
 * Sends a self-contained page: its style and script are inline and allowed by a per-response nonce, everything else
 * (other scripts, frames, forms to other sites, loads from anywhere) is refused by the Content-Security-Policy.
 */
export function sendPage(reply: FastifyReply, status: number, page: Page): void {
  const nonce = randomBytes(16).toString('base64');
  reply.code(status)
    .header('cache-control', 'no-store')
    .header('content-security-policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; `
      + `connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)} · Berth</title>
<style nonce="${nonce}">${pageStyle}</style>
</head>
<body>
<main>
${page.body}</main>
${page.script === '' ? '' : `<script nonce="${nonce}">${page.script}</script>\n`}</body>
</html>
`);
}

const pageStyle = 'body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2430}'
  + 'main{max-width:44rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}'
  + 'h1{font-size:1.5rem;margin-top:0}h2{font-size:1.15rem;margin-top:2rem}'
  + 'pre{background:#1d2430;color:#e8ecf2;padding:.75rem;border-radius:4px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}'
  + 'label{display:block;margin:.5rem 0}input{margin-left:.5rem;padding:.25rem}button{padding:.4rem 1rem;margin-top:.5rem}'
  + '.error{color:#a4161a}.muted{color:#5b6473}';

export function signedOutPage(providerName: string): Page {
  const title = 'Not signed in';
  return {
    title,
    body: `<h1>${title}</h1>\n<p>This browser is not signed in to Berth.</p>\n`
      + `<p><a href="/auth/oidc/login?return_to=${encodeURIComponent(donePath)}">Sign in with ${escapeHtml(providerName)}</a></p>\n`,
    script: '',
  };
}

/**
 * Who is signed in, and the way to a CLI secret: docker and podman cannot sign in through a browser, so they log in
 * with the username and a secret created here, shown once. The script sends the CSRF cookie's value in its header,
 * as the API asks of every change made with a session cookie.
 */
export function signedInPage(user: User, registryHost: string, plainHttp: boolean): Page {
  const who = user.displayName !== undefined
    ? `<strong>${escapeHtml(user.displayName)}</strong> (<code>${escapeHtml(user.username)}</code>)`
    : `<strong>${escapeHtml(user.username)}</strong>`;
  const username = shellWord(user.username);
  const host = shellWord(registryHost);
  const commands = `docker login --username ${username} ${host}\npodman login ${plainHttp ? '--tls-verify=false ' : ''}--username ${username} ${host}`;
  const body = `<h1>Signed in to Berth</h1>
<p>You are signed in as ${who}${user.admin ? ', a system administrator' : ''}.</p>
<h2>Log in with docker or podman</h2>
<p>Command-line clients cannot sign in through your identity provider. Create a CLI secret, then log in with your
username and the secret as the password.</p>
<form id="create">
<label>Name <input id="name" required maxlength="100" value="cli"></label>
<label>Expires after <input id="days" type="number" min="1" max="3650" placeholder="default"> days</label>
<button id="submit" type="submit">Create CLI secret</button>
</form>
<p id="error" class="error" role="alert" hidden></p>
<div id="result" hidden>
<p>Your CLI secret, shown only this once: copy it now. <span id="expires" class="muted"></span></p>
<pre id="secret"></pre>
<p>Log in with one of these, pasting the secret when asked for the password:</p>
<pre>${escapeHtml(commands)}</pre>
${plainHttp ? '<p class="muted">This registry is served over plain HTTP: docker must list it under "insecure-registries" in its daemon.json.</p>\n' : ''}</div>
<h2>Sign out</h2>
<button id="logout" type="button">Sign out of this browser</button>
`;
  return { title: 'Signed in', body, script: signedInScript };
}

const signedInScript = `
const $ = (id) => document.getElementById(id);
const csrf = () => {
  const entry = document.cookie.split('; ').find((cookie) => cookie.startsWith('${csrfCookie}='));
  return entry === undefined ? '' : entry.slice(${csrfCookie.length + 1});
};
const problem = (status, data, text) => {
  const message = data && (data.message || (data.error && data.error.message) || (data.errors && data.errors[0] && data.errors[0].message));
  return typeof message === 'string' ? message : (text.slice(0, 300) || 'HTTP ' + status);
};
$('create').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('error').hidden = true;
  $('submit').disabled = true;
  try {
    const request = { name: $('name').value };
    if ($('days').value !== '') request.expiresInDays = Number($('days').value);
    const response = await fetch('/api/v1/users/me/cli-secrets', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-berth-csrf': csrf() },
      body: JSON.stringify(request),
    });
    const text = await response.text();
    let data;
    try { data = JSON.parse(text); } catch { data = undefined; }
    if (response.status !== 201 || !data || typeof data.secret !== 'string') throw new Error(problem(response.status, data, text));
    $('secret').textContent = data.secret;
    $('expires').textContent = data.expiresAt ? 'It expires ' + new Date(data.expiresAt).toLocaleString() + '.' : 'It does not expire.';
    $('result').hidden = false;
    $('create').hidden = true;
  } catch (error) {
    $('error').textContent = 'The CLI secret could not be created: ' + error.message;
    $('error').hidden = false;
  } finally {
    $('submit').disabled = false;
  }
});
$('logout').addEventListener('click', async () => {
  await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
  location.reload();
});
`;

/** A word for a POSIX shell: as it is when it needs no quoting, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
