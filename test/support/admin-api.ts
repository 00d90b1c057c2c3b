/**
 * A small client for Berth's administration API (/api/v1) and token endpoint (/auth/token), for end-to-end tests of
 * access control. It speaks plain HTTP with fetch, Basic credentials on every call, JSON bodies, and imports nothing
 * from Berth's sources: the tests check Berth against the API's contract, not against its own code.
 */
import assert from 'node:assert/strict';

import { basic as basicAuth } from './basic-auth.js';
import { assertError, parseErrorBody } from './registry-client.js';

/** The Basic header builder, under the name the end-to-end tests use. */
export { basicAuth };

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: T;
}

export interface ApiError {
  readonly code: string;
  readonly message?: string;
  readonly detail?: unknown;
}

export interface CreatedRobot {
  readonly name: string;
  readonly secret: string;
  readonly expiresAt?: number | string | null;
}

export interface AuditItem {
  readonly id: number | string;
  readonly at: number | string;
  readonly actor: string;
  readonly actorKind: string;
  readonly action: string;
  readonly repository?: string | null;
  readonly digest?: string | null;
  readonly tag?: string | null;
  readonly address?: string | null;
  readonly outcome: string;
  readonly detail?: unknown;
}

export interface AuditFilter {
  readonly actor?: string;
  readonly action?: string;
  readonly repository?: string;
  readonly outcome?: string;
  readonly n?: number;
}

/** The administration API as one account (Basic credentials on each request). */
export class AdminApi {
  constructor(readonly baseUrl: string, readonly username: string, readonly password: string) {}

  /** Any request; the caller asserts the answer. */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: basicAuth(this.username, this.password),
        accept: 'application/json',
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json: json as T };
  }

  /** A request that must answer `status`; answers the parsed body. */
  async expect<T = unknown>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.request<T>(method, path, body);
    assert.equal(response.status, status,
      `${this.username}: ${method} ${path} ${body === undefined ? '' : JSON.stringify(body)} answered ${response.status}, expected ${status}: ${response.text.slice(0, 500)}`);
    return response.json;
  }

  createUser(user: { username: string; password: string; email?: string; admin?: boolean }): Promise<unknown> {
    return this.expect(201, 'POST', '/api/v1/users', user);
  }

  updateUser(username: string, change: { disabled?: boolean }): Promise<unknown> {
    return this.expect(200, 'PATCH', `/api/v1/users/${encodeURIComponent(username)}`, change);
  }

  createProject(name: string, isPublic: boolean): Promise<unknown> {
    return this.expect(201, 'POST', '/api/v1/projects', { name, public: isPublic });
  }

  updateProject(name: string, change: { public: boolean }): Promise<unknown> {
    return this.expect(200, 'PATCH', `/api/v1/projects/${encodeURIComponent(name)}`, change);
  }

  setMember(project: string, member: { kind: 'user' | 'group'; name: string; role: string }): Promise<unknown> {
    return this.expect(200, 'PUT', `/api/v1/projects/${encodeURIComponent(project)}/members`, member);
  }

  createGroup(group: { name: string; source: 'local' | 'ldap' | 'oidc'; externalName?: string }): Promise<unknown> {
    return this.expect(201, 'POST', '/api/v1/groups', group);
  }

  async createRobot(robot: {
    name: string; description?: string; permissions: { project: string; actions: string[] }[]; expiresInDays?: number;
  }): Promise<CreatedRobot> {
    const created = await this.expect<CreatedRobot>(201, 'POST', '/api/v1/robots', robot);
    assert.equal(created.name, `robot$${robot.name}`, `a robot's full name is robot$<name>: ${JSON.stringify(created)}`);
    assert.equal(typeof created.secret, 'string', `the robot's secret is returned once, at creation: ${JSON.stringify(created)}`);
    assert.ok(created.secret.length >= 20, 'a robot secret is long');
    return created;
  }

  async revokeRobot(fullName: string): Promise<void> {
    const response = await this.request('POST', `/api/v1/robots/${encodeURIComponent(fullName)}/revoke`);
    assert.ok(response.status === 200 || response.status === 204,
      `POST /api/v1/robots/${fullName}/revoke answered ${response.status}: ${response.text.slice(0, 300)}`);
  }

  /** One page of the audit log, newest first. */
  async audit(filter: AuditFilter): Promise<AuditItem[]> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries({ n: 200, ...filter })) {
      if (value !== undefined) query.set(key, String(value));
    }
    const body = await this.expect<{ items: AuditItem[]; next?: unknown }>(200, 'GET', `/api/v1/audit?${query.toString()}`);
    assert.ok(Array.isArray(body.items), `the audit listing holds an items array: ${JSON.stringify(body).slice(0, 300)}`);
    return body.items;
  }
}

/** The first error of an error body `{"errors":[{"code","message","detail"}]}`, checked for shape. */
export function firstError(text: string, context = ''): ApiError {
  return parseErrorBody(text, context).errors[0] as ApiError;
}

/** Asserts a response's status and first error code; answers the error. */
export async function expectRegistryError(response: Response, status: number, code: string, context = ''): Promise<ApiError> {
  return (await assertError(response, status, code, context)).errors[0] as ApiError;
}

export interface TokenRequest {
  readonly username?: string;
  readonly password?: string;
  /** Scope strings, e.g. repository:team/app:pull,push. */
  readonly scopes?: readonly string[];
  readonly service?: string;
}

/** GET /auth/token as docker and podman ask for it: Basic credentials (or none) and scope parameters. */
export function requestToken(baseUrl: string, request: TokenRequest = {}): Promise<Response> {
  const query = new URLSearchParams({ service: request.service ?? 'berth' });
  for (const scope of request.scopes ?? []) query.append('scope', scope);
  const headers: Record<string, string> = {};
  if (request.username !== undefined) headers.authorization = basicAuth(request.username, request.password ?? '');
  return fetch(`${baseUrl}/auth/token?${query.toString()}`, { headers });
}

/** POST /auth/token with the OAuth2 password grant, as containerd asks for it. */
export function requestTokenByForm(baseUrl: string, request: TokenRequest & { username: string; password: string }): Promise<Response> {
  const form = new URLSearchParams({
    grant_type: 'password', service: request.service ?? 'berth', client_id: 'berth-e2e',
    username: request.username, password: request.password,
  });
  if (request.scopes) form.set('scope', request.scopes.join(' '));
  return fetch(`${baseUrl}/auth/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(),
  });
}

/** A bearer token for the scopes, which must be issued (200). */
export async function bearerToken(baseUrl: string, request: TokenRequest): Promise<string> {
  const response = await requestToken(baseUrl, request);
  const text = await response.text();
  assert.equal(response.status, 200, `token request for ${request.username ?? 'anonymous'} answered ${response.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  assert.ok(token, `the token endpoint answered no token: ${text.slice(0, 300)}`);
  return token;
}

/** Parses a `Bearer realm="...",service="...",scope="..."` challenge into its parameters. */
export function parseBearerChallenge(header: string | null): Record<string, string> {
  assert.ok(header, 'a 401 carries a WWW-Authenticate challenge');
  assert.match(header, /^Bearer /, `the challenge is a Bearer challenge: ${header}`);
  const params: Record<string, string> = {};
  for (const match of header.slice('Bearer '.length).matchAll(/([a-z_]+)="([^"]*)"/g)) params[match[1]!] = match[2]!;
  return params;
}
