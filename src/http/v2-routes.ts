import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessControl } from '../auth/access-control.js';
import type { AdminService } from '../auth/admin/admin-service.js';
import type { OidcLoginService } from '../auth/oidc-login-service.js';
import { RegistryError } from '../errors/registry-error.js';
import type { BlobService } from '../registry/blob-service.js';
import type { HealthService } from '../registry/health-service.js';
import type { ListingService } from '../registry/listing-service.js';
import type { ManifestService } from '../registry/manifest-service.js';
import type { UploadService } from '../registry/upload-service.js';
import { deleteBlob, getBlob } from './handlers/blob-handlers.js';
import { listCatalog, listReferrers, listTags } from './handlers/listing-handlers.js';
import { deleteManifest, getManifest, putManifest } from './handlers/manifest-handlers.js';
import { deleteUpload, getUploadStatus, patchUpload, postUpload, putUpload } from './handlers/upload-handlers.js';
import { parseV2Path, type V2Route } from './v2-path.js';
import { auditResponse, guardV2, mayReadFor } from './access-guard.js';

export interface RegistryServices {
  readonly blobs: BlobService;
  readonly uploads: UploadService;
  readonly manifests: ManifestService;
  readonly listings: ListingService;
  readonly health: HealthService;
  readonly access: AccessControl;
  /** The rules of the administration API (/api/v1). */
  readonly admin: AdminService;
  /** The address clients reach Berth at, when configured; token realms are built from it. */
  readonly externalUrl: string | undefined;
  /** Browser sign-in through OpenID Connect, when auth.oidc is configured. */
  readonly oidc?: OidcLoginService | undefined;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<void> | void;

/**
 * Every endpoint of the distribution API under one wildcard route: repository names hold slashes, which a router's
 * path parameters cannot express, so the path is parsed once here and dispatched by endpoint and method.
 */
export function registerV2Routes(app: FastifyInstance, services: RegistryServices): void {
  const { blobs, uploads, manifests, listings, access, externalUrl } = services;

  const handlersFor = (route: V2Route): Partial<Record<string, Handler>> => {
    switch (route.kind) {
      case 'base': {
        const base: Handler = (_request, reply) => { reply.code(200).type('application/json').send('{}'); };
        return { GET: base, HEAD: base };
      }
      case 'catalog':
        return { GET: (request, reply) => listCatalog(listings, request, reply) };
      case 'uploads':
        return { POST: (request, reply) => postUpload(uploads, route.name, request, reply, mayReadFor(access, request)) };
      case 'upload':
        return {
          GET: (_request, reply) => getUploadStatus(uploads, route.name, route.id, reply),
          PATCH: (request, reply) => patchUpload(uploads, route.name, route.id, request, reply),
          PUT: (request, reply) => putUpload(uploads, route.name, route.id, request, reply),
          DELETE: (_request, reply) => deleteUpload(uploads, route.name, route.id, reply),
        };
      case 'blob': {
        const read: Handler = (request, reply) => getBlob(blobs, route.name, route.digest, request, reply);
        return { GET: read, HEAD: read, DELETE: (_request, reply) => deleteBlob(blobs, route.name, route.digest, reply) };
      }
      case 'manifest': {
        const read: Handler = (request, reply) => getManifest(manifests, route.name, route.reference, request, reply);
        return {
          GET: read,
          HEAD: read,
          PUT: (request, reply) => putManifest(manifests, route.name, route.reference, request, reply),
          DELETE: (_request, reply) => deleteManifest(manifests, route.name, route.reference, reply),
        };
      }
      case 'tags':
        return { GET: (request, reply) => listTags(listings, route.name, request, reply) };
      case 'referrers':
        return { GET: (request, reply) => listReferrers(listings, route.name, route.digest, request, reply) };
    }
  };

  const dispatch = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const route = parseV2Path(request.raw.url ?? '');
    if (!route) {
      throw new RegistryError('UNSUPPORTED', `no such endpoint: ${request.method} ${request.url.split('?')[0]!.slice(0, 300)}`, undefined, {}, 404);
    }
    const handlers = handlersFor(route);
    const handler = handlers[request.method];
    if (!handler) {
      throw new RegistryError('UNSUPPORTED', `${request.method} is not allowed here: use ${Object.keys(handlers).join(', ')}`,
        undefined, { allow: Object.keys(handlers).join(', ') }, 405);
    }
    await guardV2(access, route, request, externalUrl);
    await handler(request, reply);
  };
  app.decorateRequest('berthAccess', undefined);
  app.addHook('onResponse', (request, reply, done) => {
    if (request.berthAccess) auditResponse(access, request, reply);
    done();
  });

  const methods = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'] as const;
  app.route({ method: [...methods], url: '/v2', handler: dispatch, exposeHeadRoute: false });
  app.route({ method: [...methods], url: '/v2/*', handler: dispatch, exposeHeadRoute: false });
}
