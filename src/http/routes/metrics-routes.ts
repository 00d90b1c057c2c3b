import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BadAuthorizationError, decodeBasic, type AccessControl } from '../../auth/access-control.js';
import { RegistryError } from '../../errors/registry-error.js';
import { unmatchedRoute, v2RouteLabels, type HttpMetrics } from '../../metrics/http-metrics.js';
import type { RegistryMetrics } from '../../metrics/registry-metrics.js';
import { handleClientError, handleFrameworkError, noSuchEndpoint } from '../client-errors.js';
import { handleError } from '../error-handler.js';
import type { V2Route } from '../v2-path.js';

/** How Berth serves its metrics (the `metrics` section of the configuration, with the registry of figures). */
export interface MetricsExposure {
  readonly metrics: RegistryMetrics;
  readonly path: string;
  /** On the main listener with access control on, anyone may read them, not only system administrators. */
  readonly public: boolean;
  /** Served on a listener of their own (metrics.listen) rather than the main one. */
  readonly ownListener: boolean;
}

const routeLabelOfEndpoint: Readonly<Record<V2Route['kind'], string>> = {
  base: v2RouteLabels.base,
  catalog: v2RouteLabels.catalog,
  uploads: v2RouteLabels.blobUpload,
  upload: v2RouteLabels.blobUpload,
  blob: v2RouteLabels.blob,
  manifest: v2RouteLabels.manifest,
  tags: v2RouteLabels.tags,
  referrers: v2RouteLabels.referrers,
};

/**
 * Counts every request of the main listener, and serves the metrics there unless they have a listener of their own.
 * Callback-style hooks: an async hook's promise per request is measurable on the manifest GET path.
 */
export function registerMetrics(app: FastifyInstance, exposure: MetricsExposure, access: AccessControl): void {
  countRequests(app, exposure.metrics.http);
  if (exposure.ownListener) return;
  app.route({
    method: 'GET',
    url: exposure.path,
    handler: async (request, reply) => {
      if (!exposure.public) await requireAdministrator(access, request, exposure.path);
      await sendMetrics(exposure.metrics, reply);
    },
  });
}

/**
 * The listener of metrics.listen: the metrics path and nothing else, without authentication, for an address only
 * the monitoring system reaches. Its own scrapes are not counted among the registry's requests.
 */
export function buildMetricsServer(exposure: MetricsExposure, log: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: log, logController: new LogController({ disableRequestLogging: true }), forceCloseConnections: 'idle',
    frameworkErrors: handleFrameworkError, clientErrorHandler: handleClientError,
  }) as unknown as FastifyInstance;
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request) => {
    throw noSuchEndpoint(request);
  });
  app.route({ method: 'GET', url: exposure.path, handler: (_request, reply) => sendMetrics(exposure.metrics, reply) });
  return app;
}

function countRequests(app: FastifyInstance, http: HttpMetrics): void {
  // One listener for every response: 'close' comes once per response, sent or cut short, so in-flight never drifts.
  const ended = (): void => http.ended();
  app.addHook('onRequest', (_request, reply, done) => {
    http.started();
    reply.raw.on('close', ended);
    done();
  });
  // Runs once the response has been sent in full; the time is Fastify's own, from arrival to the response's end.
  app.addHook('onResponse', (request, reply, done) => {
    http.record(routeLabel(request), request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/**
 * A template, never the path: the /v2/ endpoint the dispatcher parsed (v2-routes.ts), so the path is not parsed
 * twice; for other routes, Fastify's template (`/api/v1/projects/:project`); "unmatched" when no route took it.
 */
function routeLabel(request: FastifyRequest): string {
  const endpoint = request.v2Endpoint;
  if (endpoint !== undefined) return routeLabelOfEndpoint[endpoint];
  // Off the /v2/ path: reading routeOptions builds an object, which only the manifest GET path could feel.
  const template = request.routeOptions.url;
  return template === undefined || template === '/v2' || template === '/v2/*' ? unmatchedRoute : template;
}

async function sendMetrics(metrics: RegistryMetrics, reply: FastifyReply): Promise<void> {
  const body = await metrics.render();
  reply.header('cache-control', 'no-store').type(metrics.contentType).send(body);
}

/**
 * With access control on, the metrics of the main listener are for system administrators, who send Basic
 * credentials (Prometheus' `basic_auth`), checked as on every registry request. No Basic challenge is sent, as on
 * the administration API: a browser would prompt, then send what was typed with every later request to Berth.
 */
async function requireAdministrator(access: AccessControl, request: FastifyRequest, path: string): Promise<void> {
  if (!access.enabled) return;
  const howTo = `send Basic credentials of a system administrator (basic_auth in Prometheus' scrape configuration), `
    + `set metrics.public (BERTH_METRICS_PUBLIC=true) to let anyone read ${path}, `
    + 'or serve the metrics on an internal address of their own with metrics.listen (BERTH_METRICS_LISTEN)';
  const authorization = request.headers.authorization;
  if (authorization === undefined || !/^basic /i.test(authorization)) {
    throw new RegistryError('UNAUTHORIZED', `the metrics need authentication: ${howTo}`);
  }
  let credentials: { username: string; password: string };
  try {
    credentials = decodeBasic(authorization.slice(6).trim());
  } catch (error) {
    if (error instanceof BadAuthorizationError) throw new RegistryError('UNAUTHORIZED', `${error.message}: ${howTo}`);
    throw error;
  }
  const principal = await access.authenticator.login(credentials.username, credentials.password, request.ip, 'basic');
  if (principal.kind !== 'user' || !principal.admin) {
    throw new RegistryError('DENIED', `the metrics are for system administrators, and ${credentials.username} is not one: ${howTo}`);
  }
}
