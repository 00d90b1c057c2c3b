/**
 * The UI's one way to the server: JSON over /api/v1 (and /auth/ for signing in), same-origin, with the session
 * cookie. Changes carry the double-submit CSRF header, the value of the berth_csrf cookie, as the API requires of
 * every change made with a browser session.
 */

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly detail?: unknown) {
    super(message);
  }
}

export interface Page<T> {
  readonly items: T[];
  /** The next page's path (from the Link header), or undefined on the last page. */
  readonly next: string | undefined;
}

const csrfCookie = 'berth_csrf';

function csrfToken(): string {
  const entry = document.cookie.split('; ').find((cookie) => cookie.startsWith(`${csrfCookie}=`));
  return entry === undefined ? '' : entry.slice(csrfCookie.length + 1);
}

async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['x-berth-csrf'] = csrfToken();
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', signal,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw await errorOf(response);
  return response;
}

/** The registry's error body `{"errors":[{"code","message","detail"}]}` as an ApiError, or the status alone. */
async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    const first = parsed.errors?.[0];
    if (first) return new ApiError(response.status, first.code ?? 'UNKNOWN', first.message ?? `HTTP ${response.status}`, first.detail);
  } catch {
    // not JSON: fall through
  }
  return new ApiError(response.status, 'UNKNOWN', `the server answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return json<T>(await send('GET', path, undefined, signal));
}

/** One page of a list: the body is the list (or `{items}`), and a `Link: <…>; rel="next"` header names the next one. */
export async function getPage<T>(path: string, signal?: AbortSignal): Promise<Page<T>> {
  const response = await send('GET', path, undefined, signal);
  const body = await json<T[] | { items: T[] }>(response);
  const items = Array.isArray(body) ? body : body?.items ?? [];
  return { items, next: nextLink(response.headers.get('link')) };
}

export async function change<T = unknown>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return json<T>(await send(method, path, body));
}

/** The target of `rel="next"` in a Link header, kept only when it stays on this origin. */
export function nextLink(header: string | null): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(',')) {
    const match = /^\s*<([^>]*)>\s*;\s*rel="?next"?\s*$/.exec(part);
    if (match) {
      const url = new URL(match[1]!, location.origin);
      return url.origin === location.origin ? `${url.pathname}${url.search}` : undefined;
    }
  }
  return undefined;
}

/** A path with its query built from the defined, non-empty values. */
export function withQuery(path: string, query: Readonly<Record<string, string | number | boolean | undefined | null | readonly string[]>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) search.append(key, item);
    else search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}

export const enc = encodeURIComponent;
