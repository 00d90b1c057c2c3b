import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IdentityProviderUnavailableError, OidcLoginError } from '../../auth/oidc-errors.js';
import { OidcSignInRefusedError, type OidcLoginService } from '../../auth/oidc-login-service.js';
import { RegistryError } from '../../errors/registry-error.js';
import { translateForeignError } from '../foreign-errors.js';
import { csrfCookie, expiredCookie, readCookie, serializeCookie, sessionCookie } from '../cookies.js';
import type { RegistryServices } from '../registry-services.js';
import { cookieBase, sessionCookies } from '../session-cookies.js';
import { donePath, escapeHtml, sendPage, signedInPage, signedOutPage } from './oidc-pages.js';

/** The sealed state of a sign-in in progress, sent back only to the OIDC routes. */
const stateCookie = 'berth_oidc';
const statePath = '/auth/oidc';
const callbackPath = '/auth/oidc/callback';
const maxReturnPathLength = 2048;

/**
 * Signing in to Berth through OpenID Connect, in a browser:
 * - `GET /auth/oidc/login?return_to=<path>` sends the browser to the provider, with the login's state sealed in a
 *   cookie (so any node of a cluster can take the callback);
 * - `GET /auth/oidc/callback` finishes the login, sets the session and CSRF cookies and returns to the path asked for;
 * - `GET /auth/oidc/done` says who is signed in and creates CLI secrets, the passwords docker and podman log in with;
 * - `POST /auth/logout` ends the session (on every node) and removes the cookies.
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
      reply.header('set-cookie', [...sessionCookies(request, externalUrl, session), clearState]);
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

  // Open to every session, however it was made (OIDC here, or a password through the API). The session ends on the
  // server too (its id is recorded as revoked), so a copy of the cookie, a leaked one, stops working with the browser's.
  app.post('/auth/logout', async (request, reply) => {
    const session = readCookie(request.headers.cookie, sessionCookie);
    if (session !== undefined && session !== '') await access.tokens.revokeSession(session);
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

function notConfigured(request: FastifyRequest, reply: FastifyReply): void {
  const message = 'OpenID Connect sign-in is not configured on this registry: an administrator must set auth.oidc in its configuration.';
  answer(request, reply, new RegistryError('NOT_FOUND', message, { reason: 'oidc_not_configured' }), 'Sign-in unavailable', false);
}

/** The failures a sign-in can end in, answered with their message; anything else goes to the error handler. */
function answerFailure(request: FastifyRequest, reply: FastifyReply, error: unknown, oidc: OidcLoginService): void {
  if (error instanceof OidcLoginError) {
    answer(request, reply, error, `Sign-in with ${oidc.providerName} failed`, true);
  } else if (error instanceof OidcSignInRefusedError) {
    answer(request, reply, error, 'Sign-in refused', false);
  } else if (error instanceof IdentityProviderUnavailableError) {
    answer(request, reply, error, `${oidc.providerName} is unavailable`, true);
  } else {
    throw error;
  }
}

/**
 * A browser gets a page (it navigated here); anything else gets Berth's usual error body from the error handler,
 * which maps sign-in errors to their codes (foreign-errors.ts), with the precise reason in `detail.reason`:
 * `{"errors":[{"code":"SIGN_IN_FAILED","message":…,"detail":{"reason":"state_mismatch"}}]}`.
 */
function answer(request: FastifyRequest, reply: FastifyReply, error: Error, title: string, offerRetry: boolean): void {
  reply.header('cache-control', 'no-store');
  if (!(request.headers.accept ?? '').includes('text/html')) throw error;
  const message = error.message;
  // The page's status is the one the error body would have had.
  const status = error instanceof RegistryError ? error.status : translateForeignError(error)?.error.status ?? 500;
  sendPage(reply, status, {
    title,
    body: `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n`
      + (offerRetry ? `<p><a href="/auth/oidc/login">Sign in again</a></p>\n` : ''),
    script: '',
  });
}
