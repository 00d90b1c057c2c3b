import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseRequest } from '../../auth/admin/admin-requests.js';
import { RegistryError } from '../../errors/registry-error.js';
import { requireJsonOrNoBody } from '../api/api-request.js';
import type { RegistryServices } from '../registry-services.js';
import { readLimitedBody } from '../request-body.js';
import { sessionCookies } from '../session-cookies.js';

/** A username, a password and JSON's punctuation fit many times over; a bigger body is not a sign-in. */
const maxBodyBytes = 16 * 1024;

const loginRequest = z.object({
  username: z.string().min(1, 'send your username').max(256, 'a username may have at most 256 characters'),
  password: z.string().min(1, 'send your password').max(4096, 'a password may have at most 4096 characters'),
}).strict();

/**
 * Signing in to the web UI with a password (local and LDAP users):
 * - `GET /auth/methods` says which ways of signing in this registry offers, so the sign-in page shows only those;
 * - `POST /auth/login` with `{"username","password"}` checks them as every login is checked (throttled, audited)
 *   and sets the same session and CSRF cookies as an OpenID Connect sign-in (session-cookies.ts).
 * Signing out is `POST /auth/logout` (oidc-routes.ts), open to every session however it was made.
 */
export function registerSessionRoutes(app: FastifyInstance, services: Pick<RegistryServices, 'oidc' | 'access' | 'externalUrl'>): void {
  const { access, oidc, externalUrl } = services;

  app.get('/auth/methods', async (_request, reply) => {
    reply.header('cache-control', 'no-store').send({
      password: access.enabled,
      oidc: oidc === undefined ? null : { name: oidc.providerName },
    });
  });

  app.post('/auth/login', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    // A form on another site could otherwise sign this browser in to an account of the attacker's choosing.
    if (request.headers['sec-fetch-site'] === 'cross-site') {
      throw new RegistryError('DENIED', 'sign-in requests from another site are refused: sign in on this registry\'s own page');
    }
    if (!access.enabled) {
      throw new RegistryError('NOT_FOUND', 'access control is off on this registry, so there is nothing to sign in to: every page is open');
    }
    const { username, password } = await loginBody(request);
    const principal = await access.authenticator.login(username, password, request.ip, 'api');
    if (principal.kind !== 'user') {
      throw new RegistryError('DENIED', 'robot accounts cannot sign in to the web UI: they are for automation; sign in as a user');
    }
    const session = await access.tokens.issueSession(principal);
    reply.header('set-cookie', sessionCookies(request, externalUrl, session))
      .send({ username: principal.username, admin: principal.admin });
  });
}

/**
 * The JSON body of a sign-in. Only JSON is read: browsers send it to another site only after asking it (CORS), which
 * Berth never grants, whereas a form or text body any page can send.
 */
async function loginBody(request: FastifyRequest): Promise<z.infer<typeof loginRequest>> {
  requireJsonOrNoBody(request);
  const body = await readLimitedBody(request, maxBodyBytes,
    () => RegistryError.tooLarge(`a sign-in request may have at most ${maxBodyBytes} bytes: send {"username","password"}`, maxBodyBytes));
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryError('INVALID_REQUEST', 'the request body is not valid JSON: send {"username": "...", "password": "..."} with Content-Type: application/json');
  }
  return parseRequest(loginRequest, value, 'body');
}
