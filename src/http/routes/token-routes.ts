import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessControl } from '../../auth/access-control.js';
import { BadAuthorizationError, decodeBasic } from '../../auth/access-control.js';
import { anonymous, type Principal } from '../../auth/principal.js';
import { parseScopes, ScopeError } from '../../auth/scope.js';
import { RegistryError } from '../../errors/registry-error.js';
import { readLimitedBody } from '../request-body.js';

const maxFormBytes = 64 * 1024;

/**
 * The token endpoint of the Docker token specification, at /auth/token:
 * - GET with optional Basic credentials and `scope` parameters (docker, podman, skopeo, containerd, oras);
 * - POST with an OAuth2 form, `grant_type=password` (containerd and others that prefer it).
 * Anonymous requests get an anonymous token, which grants pulls from public projects only. Each scope is granted
 * the subset of its actions the principal may take; a scope granted nothing stays in the token with no actions,
 * which tells the registry the principal asked and was refused (403), not that it must ask (401).
 */
export function registerTokenRoutes(app: FastifyInstance, access: AccessControl): void {
  app.get('/auth/token', async (request, reply) => {
    const query = request.query as Record<string, string | string[] | undefined>;
    checkService(access, first(query.service));
    const scopes = scopesOf(all(query.scope), request);
    const principal = await withBasicChallenge(principalOf(access, request));
    await issue(access, principal, scopes, reply, 'docker');
  });

  app.post('/auth/token', async (request, reply) => {
    const form = new URLSearchParams((await readLimitedBody(request, maxFormBytes,
      () => RegistryError.tooLarge(`a token request form may have at most ${maxFormBytes} bytes`, maxFormBytes))).toString('utf8'));
    checkService(access, form.get('service') ?? undefined);
    const grantType = form.get('grant_type');
    if (grantType !== 'password') {
      reply.code(400).type('application/json').send({
        error: 'unsupported_grant_type',
        error_description: grantType === null
          ? 'grant_type is missing: send grant_type=password with username and password (or GET /auth/token with Basic credentials)'
          : `grant_type "${grantType.slice(0, 40)}" is not supported: use password (or GET /auth/token with Basic credentials)`,
      });
      return;
    }
    const scopes = scopesOf(form.getAll('scope'), request);
    const username = form.get('username') ?? '';
    const password = form.get('password') ?? '';
    const principal = await withBasicChallenge(access.authenticator.login(username, password, request.ip, 'token'));
    await issue(access, principal, scopes, reply, 'oauth');
  });
}

/** A 401 from the token endpoint says how to authenticate to it, as HTTP asks of every 401. */
async function withBasicChallenge<T>(attempt: Promise<T>): Promise<T> {
  try {
    return await attempt;
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'UNAUTHORIZED') {
      throw new RegistryError('UNAUTHORIZED', error.message, error.detail, { ...error.headers, 'www-authenticate': 'Basic realm="berth"' });
    }
    throw error;
  }
}

async function principalOf(access: AccessControl, request: FastifyRequest): Promise<Principal> {
  const header = request.headers.authorization;
  if (!header) return anonymous;
  if (!/^basic /i.test(header)) throw new RegistryError('UNAUTHORIZED', 'the token endpoint takes Basic credentials (or none, for an anonymous token)');
  try {
    const { username, password } = decodeBasic(header.slice(6).trim());
    return await access.authenticator.login(username, password, request.ip, 'token');
  } catch (error) {
    if (error instanceof BadAuthorizationError) throw new RegistryError('UNAUTHORIZED', error.message);
    throw error;
  }
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
    throw new RegistryError('DENIED', `this registry issues tokens for the service "${access.tokens.service}", not "${service.slice(0, 100)}"`, undefined, {}, 400);
  }
}

function scopesOf(values: readonly string[], request: FastifyRequest) {
  try {
    return parseScopes(values);
  } catch (error) {
    if (error instanceof ScopeError) {
      request.log.warn({ reason: error.message, address: request.ip }, 'token request with an invalid scope refused');
      throw new RegistryError('SCOPE_INVALID', error.message);
    }
    throw error;
  }
}

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
const all = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
