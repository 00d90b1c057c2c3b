import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IdentityProviderUnavailableError, OidcLoginError } from '../../auth/oidc-errors.js';
import { OidcSignInRefusedError, type OidcLoginService } from '../../auth/oidc-login-service.js';
import type { User } from '../../metadata/access-store.js';
import { expiredCookie, readCookie, serializeCookie, type CookieAttributes } from '../cookies.js';
import type { RegistryServices } from '../v2-routes.js';

/** The browser session (a JWT from TokenService.issueSession): the admin API authenticates by it. */
const sessionCookie = 'berth_session';
/** Double-submit CSRF token: readable by Berth's pages, which echo it in `x-berth-csrf` on every change they send. */
const csrfCookie = 'berth_csrf';
/** The sealed state of a sign-in in progress, sent back only to the OIDC routes. */
const stateCookie = 'berth_oidc';
const statePath = '/auth/oidc';
const callbackPath = '/auth/oidc/callback';
const donePath = '/auth/oidc/done';
const maxReturnPathLength = 2048;

/**
 * Signing in to Berth through OpenID Connect, in a browser:
 * - `GET /auth/oidc/login?return_to=<path>` sends the browser to the provider, with the login's state sealed in a
 *   cookie (so any node of a cluster can take the callback);
 * - `GET /auth/oidc/callback` finishes the login, sets the session and CSRF cookies and returns to the path asked for;
 * - `GET /auth/oidc/done` says who is signed in and creates CLI secrets, the passwords docker and podman log in with;
 * - `POST /auth/logout` removes the cookies.
 * The rules (state checks, who may sign in, users and groups) live in auth/oidc-login-service.ts.
 */
export function registerOidcRoutes(app: FastifyInstance, services: Pick<RegistryServices, 'oidc' | 'access' | 'externalUrl'>): void {
  const { oidc, access, externalUrl } = services;

  app.get('/auth/oidc/login', async (request, reply) => {
    if (oidc === undefined) return notConfigured(request, reply);
    const query = request.query as Record<string, string | string[] | undefined>;
    const returnTo = safeReturnPath(Array.isArray(query.return_to) ? query.return_to[0] : query.return_to);
    try {
      const start = await oidc.begin(`${originOf(request, externalUrl)}${callbackPath}`, returnTo);
      reply.header('set-cookie', serializeCookie(stateCookie, start.stateToken, {
        ...cookieBase(request, externalUrl, statePath), httpOnly: true, maxAge: start.stateTtlSeconds,
      }));
      reply.code(302).header('cache-control', 'no-store').header('location', start.url).send();
    } catch (error) {
      answerFailure(request, reply, error, oidc);
    }
  });

  app.get(callbackPath, async (request, reply) => {
    if (oidc === undefined) return notConfigured(request, reply);
    const stateToken = readCookie(request.headers.cookie, stateCookie);
    const clearState = expiredCookie(stateCookie, { ...cookieBase(request, externalUrl, statePath), httpOnly: true });
    // The URL holds the login code: keep it out of Referer headers of whatever the browser loads next.
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    try {
      const { user, returnTo } = await oidc.complete(request.url, stateToken, request.ip);
      const session = await access.tokens.issueSession(user);
      const maxAge = Math.floor((session.expiresAt - Date.now()) / 1000);
      const base = cookieBase(request, externalUrl, '/');
      reply.header('set-cookie', [
        serializeCookie(sessionCookie, session.token, { ...base, httpOnly: true, maxAge }),
        serializeCookie(csrfCookie, randomBytes(32).toString('base64url'), { ...base, httpOnly: false, maxAge }),
        clearState,
      ]);
      // Checked again though the state is signed: a Location header is the last place for a mistake to go out.
      reply.code(302).header('location', safeReturnPath(returnTo)).send();
    } catch (error) {
      // A callback whose state does not match may come from an older tab while a newer login is under way in this
      // browser: its cookie stays. Any other outcome ends the login the cookie belonged to.
      if (!(error instanceof OidcLoginError && error.reason === 'state_mismatch')) reply.header('set-cookie', clearState);
      answerFailure(request, reply, error, oidc);
    }
  });

  app.get(donePath, async (request, reply) => {
    if (oidc === undefined) return notConfigured(request, reply);
    const user = await oidc.sessionUser(readCookie(request.headers.cookie, sessionCookie));
    const origin = originOf(request, externalUrl);
    sendPage(reply, 200, user === undefined
      ? signedOutPage(oidc.providerName)
      : signedInPage(user, new URL(origin).host, new URL(origin).protocol === 'http:'));
  });

  // Open to every session, however it was made (OIDC here, or a password through the API). Nothing is undone on
  // the server: sessions are signed and end with their lifetime; the browser forgets them here.
  app.post('/auth/logout', async (request, reply) => {
    const base = cookieBase(request, externalUrl, '/');
    reply.header('set-cookie', [
      expiredCookie(sessionCookie, { ...base, httpOnly: true }),
      expiredCookie(csrfCookie, { ...base, httpOnly: false }),
      expiredCookie(stateCookie, { ...cookieBase(request, externalUrl, statePath), httpOnly: true }),
    ]);
    reply.code(204).header('cache-control', 'no-store').send();
  });
}

/**
 * Where to go after signing in: a path on this registry, or the sign-in page. A value such as `//evil.example` or
 * `/\evil.example` would leave for another site (browsers read both as a host), and anything that is not plain
 * printable ASCII could not go into a Location header unaltered.
 */
export function safeReturnPath(value: string | undefined): string {
  if (value === undefined || value.length > maxReturnPathLength) return donePath;
  if (!/^\/(?![/\\])[\x21-\x7E]*$/.test(value) || value.includes('\\')) return donePath;
  return value;
}

/**
 * Where browsers reach Berth: the configured external URL, else the scheme and host of the request (from a trusted
 * proxy's X-Forwarded-* headers when trustProxy is set). The host comes from the client: only a plain host[:port] is
 * used; the provider compares the redirect URI built from it with the registered one anyway.
 */
function originOf(request: FastifyRequest, externalUrl: string | undefined): string {
  if (externalUrl !== undefined) return externalUrl.replace(/\/+$/, '');
  const host = request.host;
  if (host !== undefined && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) return `${request.protocol}://${host}`;
  const address = request.socket.localAddress ?? '127.0.0.1';
  return `${request.protocol}://${address.includes(':') ? `[${address}]` : address}:${request.socket.localPort}`;
}

/** SameSite=Lax: sent on the provider's top-level redirect back, withheld from other sites' subrequests and posts. */
function cookieBase(request: FastifyRequest, externalUrl: string | undefined, path: string): Omit<CookieAttributes, 'httpOnly' | 'maxAge'> {
  const secure = externalUrl !== undefined ? externalUrl.startsWith('https:') : request.protocol === 'https';
  return { path, secure, sameSite: 'Lax' };
}

function notConfigured(request: FastifyRequest, reply: FastifyReply): void {
  const message = 'OpenID Connect sign-in is not configured on this registry: an administrator must set auth.oidc in its configuration.';
  answer(request, reply, 404, 'oidc_not_configured', 'Sign-in unavailable', message, false);
}

/** The failures a sign-in can end in, answered with their message; anything else goes to the error handler. */
function answerFailure(request: FastifyRequest, reply: FastifyReply, error: unknown, oidc: OidcLoginService): void {
  if (error instanceof OidcLoginError) {
    answer(request, reply, 400, error.reason, `Sign-in with ${oidc.providerName} failed`, error.message, true);
  } else if (error instanceof OidcSignInRefusedError) {
    answer(request, reply, 403, error.reason, 'Sign-in refused', error.message, false);
  } else if (error instanceof IdentityProviderUnavailableError) {
    answer(request, reply, 503, 'provider_unavailable', `${oidc.providerName} is unavailable`, error.message, true);
  } else {
    throw error;
  }
}

/** A browser gets a page (it navigated here), anything else JSON: `{"error": code, "message": text}`. */
function answer(request: FastifyRequest, reply: FastifyReply, status: number, code: string, title: string, message: string,
  offerRetry: boolean): void {
  reply.header('cache-control', 'no-store');
  if (!(request.headers.accept ?? '').includes('text/html')) {
    reply.code(status).type('application/json').send(JSON.stringify({ error: code, message }));
    return;
  }
  sendPage(reply, status, {
    title,
    body: `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n`
      + (offerRetry ? `<p><a href="/auth/oidc/login">Sign in again</a></p>\n` : ''),
    script: '',
  });
}

interface Page {
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
function sendPage(reply: FastifyReply, status: number, page: Page): void {
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

function signedOutPage(providerName: string): Page {
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
function signedInPage(user: User, registryHost: string, plainHttp: boolean): Page {
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

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
