import type { FastifyRequest } from 'fastify';
import type { RegistryError } from '../errors/registry-error.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A 401 on this route asks for Basic credentials (the token endpoint). */
    challenge?: 'basic';
  }
  interface FastifyRequest {
    /**
     * Set by the /v2/ guard: where a client gets a token for what this request needs. Built only when a 401 asks
     * for it: the realm (from the Host header) and scope cost a request that succeeds nothing.
     */
    bearerChallenge: (() => BearerChallenge) | undefined;
  }
}

/** The parameters of the Docker token specification's Bearer challenge, but its error. */
export interface BearerChallenge {
  /** The token endpoint's URL. */
  readonly realm: string;
  readonly service: string;
  /** What the request needs, as a token scope: `repository:<name>:<actions>` or `registry:catalog:*`. */
  readonly scope: string | undefined;
}

/**
 * Every WWW-Authenticate Berth sends is written here. A 401 is answered by the error handler whoever threw it (the
 * guard, the authenticator, a token check), and the challenge comes from what the request is: the /v2/ guard has
 * named the Bearer challenge of its scope, and a route's config may ask for Basic.
 */
export function challengeFor(request: FastifyRequest, error: RegistryError): string | undefined {
  if (request.bearerChallenge !== undefined) return bearerChallenge(request.bearerChallenge(), error.context.credentials);
  if (request.routeOptions.config.challenge === 'basic') return basicChallenge;
  return undefined;
}

/** For the /v2/ guard: any 401 this request ends in tells the client where to get a token for `scope`. */
export function expectBearer(request: FastifyRequest, externalUrl: string | undefined, service: string, scope: () => string | undefined): void {
  request.bearerChallenge = () => ({ realm: tokenRealm(request, externalUrl), service, scope: scope() });
}

/**
 * `Bearer realm="…",service="…",scope="…",error="…"`, as the token specification and RFC 6750 section 3 write it;
 * `error` says why credentials that were sent did not do (a bad token, or one without the scope).
 */
export function bearerChallenge(challenge: BearerChallenge, error?: 'invalid_token' | 'insufficient_scope'): string {
  return `Bearer realm="${challenge.realm}",service="${challenge.service}"`
    + (challenge.scope !== undefined ? `,scope="${challenge.scope}"` : '') + (error !== undefined ? `,error="${error}"` : '');
}

/** What the token endpoint asks for: a username and password (or robot secret, or CLI secret). */
export const basicChallenge = 'Basic realm="berth"';

/**
 * What a 401 under a Bearer challenge names as its detail, as Distribution does: the resource and the action the
 * token lacked, `[{"Type":"repository","Name":"team/app","Action":"push"}]`.
 */
export function scopeDetail(challenge: BearerChallenge): unknown {
  const scope = challenge.scope;
  if (scope === undefined) return undefined;
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  return [{ Type: scope.slice(0, first), Name: scope.slice(first + 1, last), Action: scope.slice(last + 1).split(',').at(-1) }];
}

/** Where clients fetch tokens, as the challenge tells them. */
export function tokenRealm(request: FastifyRequest, externalUrl: string | undefined): string {
  if (externalUrl !== undefined) return `${externalUrl.replace(/\/+$/, '')}/auth/token`;
  // The Host header comes from the client: only a plain host[:port] goes into a header Berth sends back.
  const host = request.headers.host;
  const safeHost = host !== undefined && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? host : undefined;
  const address = request.socket.localAddress ?? '127.0.0.1';
  const fallback = address.includes(':') ? `[${address}]:${request.socket.localPort}` : `${address}:${request.socket.localPort}`;
  return `${request.protocol}://${safeHost ?? fallback}/auth/token`;
}
