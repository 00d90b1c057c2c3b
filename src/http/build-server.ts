import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { handleClientError, handleFrameworkError, noSuchEndpoint } from './client-errors.js';
import { handleError } from './error-handler.js';
import { registerApiRoutes } from './api/register-api-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerMetrics } from './routes/metrics-routes.js';
import { registerOidcRoutes } from './routes/oidc-routes.js';
import { registerSessionRoutes } from './routes/session-routes.js';
import { registerTokenRoutes } from './routes/token-routes.js';
import { registerUiRoutes } from './routes/ui-routes.js';
import type { RegistryServices } from './registry-services.js';
import { registerV2Routes } from './v2-routes.js';

export interface ServerOptions {
  readonly log: Logger;
  readonly tls?: { readonly cert: string; readonly key: string } | undefined;
  /** Proxies whose forwarded headers are believed (Fastify's trustProxy). */
  readonly trustProxy?: boolean | string;
}

/** Builds the HTTP server: Fastify translating the distribution API to registry calls and back. */
export function buildServer(services: RegistryServices, options: ServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.log,
    // One access line per request is written by the onResponse hook below, not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Blob uploads can take long; the registry's own session expiry bounds abandoned ones, not a socket timeout.
    requestTimeout: 0,
    // Route parameters of /api/v1 carry project names (up to 255 characters); Fastify's default stops at 100.
    routerOptions: { maxParamLength: 512 },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
    trustProxy: options.trustProxy ?? false,
    ...(options.tls && {
      https: { cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) },
    }),
  }) as unknown as FastifyInstance;

  // Bodies are streamed by the handlers themselves (blobs) or read with a limit (manifests): no parser buffers them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  // Callback-style hooks: on the manifest GET path an async hook's promise per request is measurable.
  const activity = services.activity;
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('docker-distribution-api-version', 'registry/2.0');
    // Counted for background work that gives way to bursts of requests.
    activity?.begin();
    done();
  });
  if (options.log.isLevelEnabled('info')) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
      done();
    });
  }

  // Before any route, so that every request is counted, 404s included.
  if (services.metrics) registerMetrics(app, services.metrics, services.access);

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request) => {
    throw noSuchEndpoint(request);
  });
  // Set by the /v2/ guard for the challenge of a 401 (challenges.ts).
  app.decorateRequest('bearerChallenge', undefined);
  registerV2Routes(app, services);
  registerHealthRoutes(app, services.health);
  registerTokenRoutes(app, services.access);
  registerApiRoutes(app, services);
  registerOidcRoutes(app, services);
  registerSessionRoutes(app, services);
  registerUiRoutes(app);
  return app;
}
