import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { AdminService } from '../../src/auth/admin/admin-service.js';
import { registerApiRoutes } from '../../src/http/api/register-api-routes.js';
import type { RegistryServices } from '../../src/http/registry-services.js';
import { startApiBerth, type ApiBerth } from '../support/api-client.js';

interface Document {
  openapi: string;
  paths: Record<string, Record<string, {
    operationId: string; parameters?: { name: string; in: string }[]; responses: Record<string, unknown>; security?: Record<string, unknown>[];
  }>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

/** /api/v1/openapi.json describes every route registered under /api/v1, and only those. */
describe('administration API: OpenAPI document', () => {
  let berth: ApiBerth;
  let document: Document;
  let routes: { method: string; path: string }[];

  before(async () => {
    berth = await startApiBerth();
    const response = await fetch(`${berth.registry.url}/api/v1/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    document = await response.json() as Document;

    // The routes as Fastify registers them, gathered from a server of their own.
    const app = Fastify();
    routes = [];
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method, path: route.url });
    });
    registerApiRoutes(app, { access: berth.registry.berth.access, admin: new AdminService(berth.registry.berth.access) } as RegistryServices);
    await app.ready();
    await app.close();
  });
  after(async () => { await berth.close(); });

  const documented = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');
  const apiRoutes = () => routes.filter((route) => route.method !== 'HEAD' && !route.path.endsWith('*'));

  it('is OpenAPI 3.1 with Basic and cookie security schemes', () => {
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(Object.keys(document.components.securitySchemes).sort(), ['basic', 'csrf', 'session']);
  });

  it('lists every registered route under /api/v1', () => {
    assert.ok(apiRoutes().length >= 30, `found ${apiRoutes().length} routes`);
    for (const route of apiRoutes()) {
      assert.ok(route.path.startsWith('/api/v1/'), route.path);
      const path = documented(route.path);
      assert.ok(document.paths[path], `${path} is not in the document`);
      assert.ok(document.paths[path]![route.method.toLowerCase()], `${route.method} ${path} is not in the document`);
    }
  });

  it('lists nothing that is not registered', () => {
    const registered = new Set(apiRoutes().map((route) => `${route.method.toLowerCase()} ${documented(route.path)}`));
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) assert.ok(registered.has(`${method} ${path}`), `${method} ${path} is documented but not registered`);
    }
  });

  it('declares each path parameter, names operations uniquely and describes error responses', () => {
    const ids = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
      for (const [method, operation] of Object.entries(operations)) {
        assert.ok(!ids.has(operation.operationId), operation.operationId);
        ids.add(operation.operationId);
        const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name).sort();
        assert.deepEqual(declared, templated, `${method} ${path}`);
        const statuses = Object.keys(operation.responses);
        assert.ok(statuses.some((status) => status.startsWith('2')), `${method} ${path} has a success response`);
        if (path === '/api/v1/openapi.json') continue;
        // Reads anonymous callers may make ({} among the security requirements) refuse bad credentials (401) but no
        // caller (403): what a caller may not see is answered 404.
        const anonymousRead = (operation.security ?? []).some((requirement) => Object.keys(requirement).length === 0);
        assert.ok(statuses.includes('401'), `${method} ${path} documents 401`);
        if (anonymousRead) assert.ok(method === 'get' && !statuses.includes('403'), `${method} ${path}: an anonymous read documents no 403`);
        else assert.ok(statuses.includes('403'), `${method} ${path} documents 403`);
      }
    }
  });

  it('resolves every $ref', () => {
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      const [, kind, name] = /#\/components\/(schemas|responses)\/([^"]+)"/.exec(ref) ?? [];
      assert.ok(kind && name, ref);
      assert.ok((document.components[kind as 'schemas' | 'responses'])[name!], `${ref} resolves`);
    }
  });

  it('describes the user without any password field', () => {
    const user = document.components.schemas.User as { properties: Record<string, unknown> };
    assert.deepEqual(Object.keys(user.properties).sort(),
      ['admin', 'createdAt', 'disabled', 'displayName', 'email', 'id', 'lastLoginAt', 'source', 'username']);
  });
});
