import type { FastifyRequest } from 'fastify';
import type { AccessControl, Caller, Decision } from '../auth/access-control.js';
import { principalName } from '../auth/principal.js';
import type { Action } from '../auth/roles.js';
import { RegistryError } from '../errors/registry-error.js';
import { expectBearer } from './challenges.js';
import type { V2Route } from './v2-path.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent a /v2/ request, as access control checked it; undefined while access control is off. */
    berthCaller: Caller | undefined;
  }
}

/** The registry action a request needs, by endpoint and method; undefined for the base and catalog endpoints. */
function requiredAction(route: V2Route, method: string): Action | undefined {
  switch (route.kind) {
    case 'base':
    case 'catalog':
      return undefined;
    case 'uploads':
    case 'upload':
      return 'push';
    case 'blob':
    case 'manifest':
      return method === 'DELETE' ? 'delete' : method === 'PUT' ? 'push' : 'pull';
    case 'tags':
    case 'referrers':
      return 'pull';
  }
}

/**
 * Checks a /v2/ request against access control before its handler runs, and remembers the caller for the registry
 * (who acts, for the outbox and policies; whether a mount's source may be read). Refusals follow the token
 * specification: 401 with a Bearer challenge naming the scope needed when logging in (or a token with more scope)
 * could help, 403 DENIED when the caller is known and may not. A private repository that exists and one that does
 * not are refused alike.
 */
export async function guardV2(access: AccessControl, route: V2Route, request: FastifyRequest, externalUrl: string | undefined): Promise<void> {
  const method = request.method;
  const action = requiredAction(route, method);
  const repository = 'name' in route ? route.name : undefined;
  // Open: credentials are ignored (nobody can be checked); the registry records the caller as anonymous, unless it
  // presents a token Berth issued one of its own parts (an external scanner pulling what it scans).
  if (!access.enabled) {
    // Most open requests carry no token: no await on the hot path for them.
    const authorization = request.headers.authorization;
    if (authorization !== undefined && /^bearer /i.test(authorization)) request.berthCaller = await access.openCaller(authorization);
    return;
  }
  // Any 401 from here on (bad credentials, a token without the scope) carries the Bearer challenge of this scope.
  expectBearer(request, externalUrl, access.tokens.service, () => (route.kind === 'catalog' ? 'registry:catalog:*'
    : repository !== undefined && action !== undefined ? `repository:${repository}:${action === 'push' ? 'pull,push' : action}` : undefined));
  const challenge = (credentials?: 'insufficient_scope'): RegistryError => new RegistryError('UNAUTHORIZED',
    'authentication required: log in (docker login, podman login) and retry', undefined, { credentials });

  const caller: Caller = await access.caller(request.headers.authorization, request.ip);

  let decision: Decision;
  if (route.kind === 'base') decision = access.decideBase(caller);
  else if (route.kind === 'catalog') decision = access.decideCatalog(caller);
  else decision = await access.decide(caller, repository!, action!);

  if (decision === 'challenge') throw challenge();
  if (decision === 'insufficient-scope') throw challenge('insufficient_scope');
  if (decision === 'deny') {
    if (action !== undefined && repository !== undefined) {
      access.audit.record({
        at: Date.now(), actor: principalName(caller.principal), actorKind: caller.principal.kind, action, repository,
        address: request.ip, outcome: 'denied', ...('reference' in route && { tag: route.reference.includes(':') ? undefined : route.reference }),
      });
    }
    throw new RegistryError('DENIED', deniedMessage(caller, action, repository), undefined);
  }
  request.berthCaller = caller;
}

function deniedMessage(caller: Caller, action: Action | undefined, repository: string | undefined): string {
  const who = principalName(caller.principal);
  if (action === undefined || repository === undefined) return `${who} may not list every repository: only system administrators may`;
  return `${who} may not ${action} ${repository}: ask an administrator of its project for a role that allows it`;
}
