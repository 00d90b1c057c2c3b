import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { csrfCookie, serializeCookie, sessionCookie, type CookieAttributes } from './cookies.js';

/**
 * The cookies of a browser session, the same however the user signed in (OpenID Connect, or a password through
 * `/auth/login`): the session itself, out of scripts' reach, and the double-submit CSRF token that Berth's pages read
 * and echo in `x-berth-csrf` on every change (http/api/api-auth.ts).
 */
export function sessionCookies(request: FastifyRequest, externalUrl: string | undefined,
  session: { readonly token: string; readonly expiresAt: number }): string[] {
  const maxAge = Math.floor((session.expiresAt - Date.now()) / 1000);
  const base = cookieBase(request, externalUrl, '/');
  return [
    serializeCookie(sessionCookie, session.token, { ...base, httpOnly: true, maxAge }),
    serializeCookie(csrfCookie, randomBytes(32).toString('base64url'), { ...base, httpOnly: false, maxAge }),
  ];
}

/**
 * SameSite=Lax: sent on an identity provider's top-level redirect back, withheld from other sites' subrequests and
 * posts. Secure whenever browsers reach Berth over HTTPS.
 */
export function cookieBase(request: FastifyRequest, externalUrl: string | undefined, path: string): Omit<CookieAttributes, 'httpOnly' | 'maxAge'> {
  const secure = externalUrl !== undefined ? externalUrl.startsWith('https:') : request.protocol === 'https';
  return { path, secure, sameSite: 'Lax' };
}
