import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AccessControl } from '../../auth/access-control.js';
import { BadAuthorizationError, decodeBasic } from '../../auth/access-control.js';
import type { AdminActor } from '../../auth/admin/admin-actor.js';
import type { AdminService } from '../../auth/admin/admin-service.js';
import { anonymous, type Principal } from '../../auth/principal.js';
import { RegistryError } from '../../errors/registry-error.js';
import { csrfCookie, readCookie, sessionCookie } from '../cookies.js';
import { requireJsonOrNoBody } from './api-request.js';

export const csrfHeader = 'x-berth-csrf';

const safeMethods = new Set(['GET', 'HEAD']);

/** What every API route handler needs: the rules, and who is asking. */
export interface ApiContext {
  readonly admin: AdminService;
  /** Whether access control is on; off, every reader sees everything (as /v2/ lets everyone pull). */
  readonly accessEnabled: boolean;
  /** The authenticated caller of an API request; throws 401/403 when there is none (or access control is off). */
  actor(request: FastifyRequest): Promise<AdminActor>;
  /**
   * Who reads: the caller when credentials or a session came with the request (bad ones are refused), else
   * anonymous. The read-only registry views (tags, artifacts, queries) serve anonymous callers what /v2/ would: public
   * projects, or everything with access control off.
   */
  viewer(request: FastifyRequest): Promise<Principal>;
}

/** The caller of a read, or anonymous when the request carries neither credentials nor a session (see ApiContext.viewer). */
export async function apiViewer(access: AccessControl, admin: AdminService, request: FastifyRequest): Promise<Principal> {
  if (!access.enabled) return anonymous;
  const authorization = request.headers.authorization;
  const session = readCookie(request.headers.cookie, sessionCookie);
  if ((authorization === undefined || authorization === '') && (session === undefined || session === '')) return anonymous;
  return (await apiActor(access, admin, request)).principal;
}

/**
 * Who sent an API request. Basic credentials (a user's password or CLI secret, or a robot's secret) are checked as
 * on every registry request, without auditing a login each time; a browser session cookie is checked and its user
 * read again. Cookies travel with requests other sites make, so a session's changes must also carry the
 * double-submit header: the value of the berth_csrf cookie, which only pages of this origin can read.
 */
export async function apiActor(access: AccessControl, admin: AdminService, request: FastifyRequest): Promise<AdminActor> {
  if (!access.enabled) {
    throw new RegistryError('DENIED',
      'access control is off, and the administration API needs it: set BERTH_ADMIN_PASSWORD (auth.adminPassword in the configuration), or configure LDAP or OpenID Connect, and restart');
  }
  const unsafe = !safeMethods.has(request.method);
  // A browser that holds Basic credentials for this origin sends them with a form another site submits; a request
  // a browser marks as cross-site never changes anything here.
  if (unsafe && request.headers['sec-fetch-site'] === 'cross-site') {
    throw new RegistryError('DENIED', 'the administration API does not accept changes requested by another site');
  }
  // Browsers that do not send Sec-Fetch-Site still ask before sending JSON to another site; they do not for the
  // other body types, which are therefore refused on every change, bodyless routes included.
  if (unsafe) requireJsonOrNoBody(request);
  const address = request.ip;
  const authorization = request.headers.authorization;
  if (authorization !== undefined && authorization !== '') {
    if (!/^basic /i.test(authorization)) {
      throw unauthorized('the administration API takes Basic credentials (username and password or CLI secret, or robot$<name> and its secret) or a browser session; registry bearer tokens are not accepted here');
    }
    let credentials: { username: string; password: string };
    try {
      credentials = decodeBasic(authorization.slice(6).trim());
    } catch (error) {
      if (error instanceof BadAuthorizationError) throw unauthorized(error.message);
      throw error;
    }
    const principal = await access.authenticator.login(credentials.username, credentials.password, address, 'basic')
      .catch((error: unknown) => {
        throw error instanceof RegistryError && error.code === 'UNAUTHORIZED' ? unauthorized(error.message) : error;
      });
    // A password never names Berth itself; the narrowing says so to the compiler.
    if (principal.kind === 'anonymous' || principal.kind === 'system') throw unauthorized();
    return { principal, address };
  }
  const session = readCookie(request.headers.cookie, sessionCookie);
  if (session !== undefined && session !== '') {
    const principal = await admin.sessionPrincipal(session).catch((error: unknown) => {
      throw error instanceof RegistryError && error.code === 'UNAUTHORIZED' ? unauthorized(error.message) : error;
    });
    if (unsafe) checkCsrf(request, readCookie(request.headers.cookie, csrfCookie));
    return { principal, address };
  }
  throw unauthorized();
}

function checkCsrf(request: FastifyRequest, cookie: string | undefined): void {
  const header = request.headers[csrfHeader];
  const sent = Array.isArray(header) ? header[0] : header;
  if (sent === undefined || sent === '' || cookie === undefined || cookie === '') {
    throw new RegistryError('DENIED', `a change made with a browser session must send the header ${csrfHeader} with the value of the ${csrfCookie} cookie`);
  }
  const a = Buffer.from(sent);
  const b = Buffer.from(cookie);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new RegistryError('DENIED', `the ${csrfHeader} header does not match the ${csrfCookie} cookie: reload the page and try again`);
  }
}

/**
 * No `WWW-Authenticate: Basic` challenge: a browser answers one with a password prompt and then sends what was typed
 * with later requests here, other sites' forms included. Berth's CLI and scripts send
 * credentials without being asked, and the message says how.
 */
function unauthorized(message = 'authentication required: send Basic credentials (username and password, a CLI secret, or robot$<name> and its secret) or sign in'): RegistryError {
  return new RegistryError('UNAUTHORIZED', message);
}
