import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError } from '../errors/registry-error.js';
import type { RequestContext } from '../registry/request-context.js';
import { guardV2 } from './access-guard.js';
import { noSuchEndpoint } from './client-errors.js';
import { deleteBlob, getBlob } from './handlers/blob-handlers.js';
import { listCatalog, listReferrers, listTags } from './handlers/listing-handlers.js';
import { deleteManifest, getManifest, putManifest } from './handlers/manifest-handlers.js';
import { deleteUpload, getUploadStatus, patchUpload, postUpload, putUpload } from './handlers/upload-handlers.js';
import type { RegistryServices } from './registry-services.js';
import { requestContext } from './request-context.js';
import { parseV2Path, type V2Route } from './v2-path.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The /v2/ endpoint the path names, once parsed: metrics label requests with it (metrics-routes.ts). */
    v2Endpoint: V2Route['kind'] | undefined;
  }
}

/** One /v2/ request, parsed: what every endpoint handler gets. */
interface V2Call<R extends V2Route> {
  readonly services: RegistryServices;
  readonly route: R;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly context: RequestContext;
}

type Handler<K extends V2Route['kind']> = (call: V2Call<Extract<V2Route, { kind: K }>>) => Promise<void> | void;
type Endpoints = { readonly [K in V2Route['kind']]: Readonly<Partial<Record<string, Handler<K>>>> };

const base: Handler<'base'> = ({ reply }) => { reply.code(200).type('application/json').send('{}'); };
const readBlob: Handler<'blob'> = ({ services, route, request, reply, context }) => getBlob(services.blobs, context, route.name, route.digest, request, reply);
const readManifest: Handler<'manifest'> = ({ services, route, request, reply, context }) =>
  getManifest(services.manifests, context, route.name, route.reference, request, reply);

/** Each endpoint's handlers by method, built once. */
const endpoints: Endpoints = {
  base: { GET: base, HEAD: base },
  catalog: { GET: ({ services, request, reply }) => listCatalog(services.listings, request, reply) },
  uploads: { POST: ({ services, route, request, reply, context }) => postUpload(services.uploads, context, route.name, request, reply) },
  upload: {
    GET: ({ services, route, reply }) => getUploadStatus(services.uploads, route.name, route.id, reply),
    PATCH: ({ services, route, request, reply }) => patchUpload(services.uploads, route.name, route.id, request, reply),
    PUT: ({ services, route, request, reply, context }) => putUpload(services.uploads, context, route.name, route.id, request, reply),
    DELETE: ({ services, route, reply }) => deleteUpload(services.uploads, route.name, route.id, reply),
  },
  blob: {
    GET: readBlob,
    HEAD: readBlob,
    DELETE: ({ services, route, reply, context }) => deleteBlob(services.blobs, context, route.name, route.digest, reply),
  },
  manifest: {
    GET: readManifest,
    HEAD: readManifest,
    PUT: ({ services, route, request, reply, context }) => putManifest(services.manifests, context, route.name, route.reference, request, reply),
    DELETE: ({ services, route, reply, context }) => deleteManifest(services.manifests, context, route.name, route.reference, reply),
  },
  tags: { GET: ({ services, route, request, reply }) => listTags(services.listings, route.name, request, reply) },
  referrers: { GET: ({ services, route, request, reply }) => listReferrers(services.listings, route.name, route.digest, request, reply) },
};

/**
 * Every endpoint of the distribution API under one wildcard route: repository names hold slashes, which a router's
 * path parameters cannot express, so the path is parsed once here and dispatched by endpoint and method, after
 * access control has let the request through.
 */
export function registerV2Routes(app: FastifyInstance, services: RegistryServices): void {
  const { access, externalUrl } = services;
  const dispatch = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const route = parseV2Path(request.raw.url ?? '');
    if (!route) throw noSuchEndpoint(request);
    request.v2Endpoint = route.kind;
    const handlers = endpoints[route.kind] as Partial<Record<string, Handler<typeof route.kind>>>;
    const handler = handlers[request.method];
    if (!handler) {
      throw new RegistryError('UNSUPPORTED', `${request.method} is not allowed here: use ${Object.keys(handlers).join(', ')}`,
        undefined, { allow: Object.keys(handlers) });
    }
    await guardV2(access, route, request, externalUrl);
    await (handler as Handler<V2Route['kind']>)({ services, route: route as never, request, reply, context: requestContext(access, request) });
  };
  app.decorateRequest('berthCaller', undefined);
  app.decorateRequest('v2Endpoint', undefined);

  const methods = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'] as const;
  app.route({ method: [...methods], url: '/v2', handler: dispatch, exposeHeadRoute: false });
  app.route({ method: [...methods], url: '/v2/*', handler: dispatch, exposeHeadRoute: false });
}
