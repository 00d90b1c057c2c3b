/**
 * Just the cookie handling Berth's browser routes need (RFC 6265): read the Cookie header, write Set-Cookie lines.
 * Berth only ever stores values it made itself (JWTs, random base64url), so values are written as they are and a
 * value outside the cookie-octet set is a bug, refused loudly rather than quoted or encoded.
 */

export interface CookieAttributes {
  /** Seconds until the browser drops it; 0 removes it at once. Unset: it lasts as long as the browser session. */
  readonly maxAge?: number;
  readonly path: string;
  readonly httpOnly: boolean;
  readonly secure: boolean;
  readonly sameSite: 'Strict' | 'Lax';
}

const cookieName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const cookieValue = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const cookiePath = /^\/[\x20-\x3A\x3C-\x7E]*$/;

/** One Set-Cookie header value. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  if (!cookieName.test(name)) throw new TypeError(`not a valid cookie name: ${name}`);
  if (!cookieValue.test(value)) throw new TypeError(`the value of cookie ${name} holds characters a cookie cannot carry`);
  if (!cookiePath.test(attributes.path)) throw new TypeError(`not a valid cookie path: ${attributes.path}`);
  const parts = [`${name}=${value}`, `Path=${attributes.path}`];
  if (attributes.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`);
  if (attributes.httpOnly) parts.push('HttpOnly');
  if (attributes.secure) parts.push('Secure');
  parts.push(`SameSite=${attributes.sameSite}`);
  return parts.join('; ');
}

/** A Set-Cookie header value that removes the cookie (same name and path, empty, expired). */
export function expiredCookie(name: string, attributes: Omit<CookieAttributes, 'maxAge'>): string {
  return serializeCookie(name, '', { ...attributes, maxAge: 0 });
}

/**
 * The value of one cookie in a Cookie header; undefined when absent. When a name appears more than once (cookies of
 * the same name on different paths), the first wins: browsers send the one with the longest path first.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 16_384) return undefined;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1) continue;
    if (pair.slice(0, equals).trim() !== name) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

/** The browser session (a JWT from TokenService.issueSession): the administration API authenticates by it. */
export const sessionCookie = 'berth_session';
/** Double-submit CSRF token: readable by Berth's pages, which echo it in `x-berth-csrf` on every change they send. */
export const csrfCookie = 'berth_csrf';
