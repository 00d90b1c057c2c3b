import assert from 'node:assert/strict';
import { startInProcess, type InProcessBerth } from './in-process.js';

/** A test client for the administration API (/api/v1) of a Berth started in-process. */

export const adminPassword = 'admin-password-1';

export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export type Credentials =
  | { readonly username: string; readonly password: string }
  | { readonly cookie: string; readonly csrf?: string | undefined }
  | undefined;

import { basic } from './basic-auth.js';

export { basic };

export class ApiClient {
  constructor(readonly baseUrl: string, readonly credentials: Credentials) {}

  as(credentials: Credentials): ApiClient {
    return new ApiClient(this.baseUrl, credentials);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const sent: Record<string, string> = {};
    const credentials = this.credentials;
    if (credentials && 'username' in credentials) sent.authorization = basic(credentials.username, credentials.password);
    if (credentials && 'cookie' in credentials) sent.cookie = credentials.cookie;
    if (credentials && 'cookie' in credentials && credentials.csrf !== undefined) sent['x-berth-csrf'] = credentials.csrf;
    if (body !== undefined) sent['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method, headers: { ...sent, ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').startsWith('application/json') && text !== '') parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, headers?: Record<string, string>) { return this.request<T>('GET', path, undefined, headers); }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) { return this.request<T>('POST', path, body, headers); }
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>) { return this.request<T>('PUT', path, body, headers); }
  patch<T = any>(path: string, body?: unknown, headers?: Record<string, string>) { return this.request<T>('PATCH', path, body, headers); }
  delete<T = any>(path: string, headers?: Record<string, string>) { return this.request<T>('DELETE', path, undefined, headers); }
}

/** Asserts the status and, for errors, the API error code; answers the response for more checks. */
export function expectStatus<T>(response: ApiResponse<T>, status: number, code?: string): ApiResponse<T> {
  assert.equal(response.status, status, `expected ${status}${code ? ` ${code}` : ''}, got ${response.status}: ${response.text.slice(0, 500)}`);
  if (code !== undefined) {
    const errors = (response.body as { errors?: { code: string }[] }).errors;
    assert.equal(errors?.[0]?.code, code, response.text);
  }
  return response;
}

export function errorMessage(response: ApiResponse): string {
  return (response.body as { errors: { message: string }[] }).errors[0]!.message;
}

export interface ApiBerth {
  readonly registry: InProcessBerth;
  /** The API as the system administrator "admin". */
  readonly admin: ApiClient;
  /** The API without credentials. */
  readonly anonymous: ApiClient;
  close(): Promise<void>;
}

/** Berth in-process with access control on (user "admin"), and API clients for it. */
export async function startApiBerth(config: Parameters<typeof startInProcess>[0] = {}): Promise<ApiBerth> {
  const registry = await startInProcess({ ...config, auth: { adminPassword, ...config.auth } });
  const anonymous = new ApiClient(registry.url, undefined);
  return {
    registry,
    admin: anonymous.as({ username: 'admin', password: adminPassword }),
    anonymous,
    close: () => registry.close(),
  };
}

/** Creates a local user through the API and answers a client signed in as them. */
export async function createUser(admin: ApiClient, username: string, options: { admin?: boolean; password?: string } = {}): Promise<ApiClient> {
  const password = options.password ?? `${username}-password`;
  expectStatus(await admin.post('/api/v1/users', { username, password, ...(options.admin && { admin: true }) }), 201);
  return admin.as({ username, password });
}

export async function createProject(admin: ApiClient, name: string, isPublic = false): Promise<void> {
  expectStatus(await admin.post('/api/v1/projects', { name, public: isPublic }), 201);
}

export async function setRole(admin: ApiClient, project: string, kind: 'user' | 'group', name: string, role: string): Promise<void> {
  expectStatus(await admin.put(`/api/v1/projects/${project}/members`, { kind, name, role }), 200);
}

/** Every item of a list, following Link headers page by page; also answers the pages' sizes. */
export async function walk<T>(client: ApiClient, path: string): Promise<{ items: T[]; pages: number[]; links: string[] }> {
  const items: T[] = [];
  const pages: number[] = [];
  const links: string[] = [];
  let next: string | undefined = path;
  while (next !== undefined) {
    const response: ApiResponse<{ items: T[]; next: string | null }> = expectStatus(await client.get(next), 200);
    items.push(...response.body.items);
    pages.push(response.body.items.length);
    const link: string | null = response.headers.get('link');
    next = link === null ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
    if (link !== null) links.push(link);
    assert.equal(response.body.next === null, link === null, 'a next value exactly when there is a Link header');
    assert.ok(pages.length < 1000, 'pagination ends');
  }
  return { items, pages, links };
}

/** The audit events matching a query, newest first (the log is flushed by the API before it answers). */
export async function auditEvents(admin: ApiClient, query: string): Promise<any[]> {
  return expectStatus(await admin.get(`/api/v1/audit?n=1000&${query}`), 200).body.items;
}
