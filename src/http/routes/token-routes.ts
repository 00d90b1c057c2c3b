import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessControl } from '../../auth/access-control.js';
import { decodeBasic } from '../../auth/access-control.js';
import { anonymous, type Principal } from '../../auth/principal.js';
import { parseScopes } from '../../auth/scope.js';
import { RegistryError } from '../../errors/registry-error.js';
import { readLimitedBody } from '../request-body.js';

const maxFormBytes = 64 * 1024;

/**
 * The token endpoint of the Docker token specification, at /auth/token:
 * - GET with optional Basic credentials and `scope` parameters (docker, podman, skopeo, containerd, oras);
 * - POST with an OAuth2 form, `grant_type=password` (containerd and others that prefer it).
 * Anonymous requests get an anonymous token, which grants pulls from public projects only. Each scope is granted
 * the subset of its actions the principal may take; a scope granted nothing stays in the token with no actions,
 * which tells the registry the principal asked and was refused (403), not that it must ask (401). A 401 here asks
 * for Basic credentials (challenges.ts); bad credentials and bad scopes are answered by the error handler.
 */
export function registerTokenRoutes(app: FastifyInstance, access: AccessControl): void {
  app.get('/auth/token', { config: { challenge: 'basic' } }, async (request, reply) => {
    const query = request.query as Record<string, string | string[] | undefined>;
    checkService(access, first(query.service));
    const scopes = parseScopes(all(query.scope));
    const principal = await principalOf(access, request);
    await issue(access, principal, scopes, reply, 'docker');
  });

  app.post('/auth/token', { config: { challenge: 'basic' } }, async (request, reply) => {
    const form = new URLSearchParams((await readLimitedBody(request, maxFormBytes,
      () => RegistryError.tooLarge(`a token request form may have at most ${maxFormBytes} bytes`, maxFormBytes))).toString('utf8'));
    checkService(access, form.get('service') ?? undefined);
    const grantType = form.get('grant_type');
    if (grantType !== 'password') {
      // The one body Berth writes in another format than the registry's: RFC 6749 section 5.2's, as OAuth2 clients
      // read an unsupported grant type from `error`.
      reply.code(400).type('application/json').send({
        error: 'unsupported_grant_type',
        error_description: grantType === null
          ? 'grant_type is missing: send grant_type=password with username and password (or GET /auth/token with Basic credentials)'
          : `grant_type "${grantType.slice(0, 40)}" is not supported: use password (or GET /auth/token with Basic credentials)`,
      });
      return;
    }
    const scopes = parseScopes(form.getAll('scope'));
    const username = form.get('username') ?? '';
    const password = form.get('password') ?? '';
    const principal = await access.authenticator.login(username, password, request.ip, 'token');
    await issue(access, principal, scopes, reply, 'oauth');
  });
}

async function principalOf(access: AccessControl, request: FastifyRequest): Promise<Principal> {
  const header = request.headers.authorization;
  if (!header) return anonymous;
  if (!/^basic /i.test(header)) throw new RegistryError('UNAUTHORIZED', 'the token endpoint takes Basic credentials (or none, for an anonymous token)');
  const { username, password } = decodeBasic(header.slice(6).trim());
  return access.authenticator.login(username, password, request.ip, 'token');
}

async function issue(access: AccessControl, principal: Principal, scopes: ReturnType<typeof parseScopes>,
  reply: FastifyReply, form: 'docker' | 'oauth'): Promise<void> {
  const granted = await access.grant(principal, scopes);
  const { token, expiresIn, issuedAt } = await access.tokens.issue(principal, granted);
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache').type('application/json');
  if (form === 'oauth') {
    const scope = granted.filter((entry) => entry.actions.length > 0)
      .map((entry) => `${entry.type}:${entry.name}:${entry.actions.join(',')}`).join(' ');
    reply.send({ access_token: token, token_type: 'Bearer', expires_in: expiresIn, issued_at: issuedAt, scope });
    return;
  }
  reply.send({ token, access_token: token, expires_in: expiresIn, issued_at: issuedAt });
}

function checkService(access: AccessControl, service: string | undefined): void {
  if (service !== undefined && service !== access.tokens.service) {
    throw new RegistryError('SERVICE_INVALID', `this registry issues tokens for the service "${access.tokens.service}", not "${service.slice(0, 100)}": ask for that service, as the registry's challenge names it`);
  }
}

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
const all = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
