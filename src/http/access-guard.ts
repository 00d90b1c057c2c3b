import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessControl, Caller, Decision } from '../auth/access-control.js';
import { BadAuthorizationError } from '../auth/access-control.js';
import { anonymous, principalName } from '../auth/principal.js';
import type { Action } from '../auth/roles.js';
import { InvalidTokenError } from '../auth/token-service.js';
import { RegistryError } from '../errors/registry-error.js';
import type { V2Route } from './v2-path.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent a /v2/ request and what it does, for the audit record written when the response is sent. */
    berthAccess: RequestAccess | undefined;
  }
}

export interface RequestAccess {
  readonly caller: Caller;
  readonly audit: { readonly action: 'push' | 'pull' | 'delete'; readonly repository: string; readonly reference?: string } | undefined;
  /** The digest a request acted on, when only its handler learns it (what a deleted tag named). */
  digest?: string;
}

/** Tells the audit record which digest a request acted on, when the request named a tag. */
export function auditedDigest(request: FastifyRequest, digest: string): void {
  if (request.berthAccess) request.berthAccess.digest = digest;
}

const openCaller: Caller = { via: 'none', principal: anonymous };

/** For a cross-repository mount: whether the caller may read the repository the blob would come from. */
export function mayReadFor(access: AccessControl, request: FastifyRequest): (repository: string) => Promise<boolean> {
  const caller = request.berthAccess?.caller ?? openCaller;
  return async (repository) => (await access.decide(caller, repository, 'pull')) === 'allow';
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
 * Checks a /v2/ request against access control before its handler runs, and remembers the caller for the handler
 * (cross-repository mounts) and the audit log. Refusals follow the token specification: 401 with a Bearer challenge
 * naming the scope needed when logging in (or a token with more scope) could help, 403 DENIED when the caller is
 * known and may not. A private repository that exists and one that does not are refused alike.
 */
export async function guardV2(access: AccessControl, route: V2Route, request: FastifyRequest, externalUrl: string | undefined): Promise<void> {
  const method = request.method;
  const action = requiredAction(route, method);
  const repository = 'name' in route ? route.name : undefined;
  if (!access.enabled) {
    // Open: credentials are ignored (nobody can be checked), but pushes still create projects and the audit log
    // still says what happened.
    if (action === 'push' && repository !== undefined && (route.kind === 'uploads' || route.kind === 'manifest')) {
      await access.beforePush(anonymous, repository);
    }
    request.berthAccess = { caller: openCaller, audit: auditOf(route, method) };
    return;
  }
  const challenge = (error?: string): RegistryError => {
    const scope = route.kind === 'catalog' ? 'registry:catalog:*'
      : repository !== undefined && action !== undefined ? `repository:${repository}:${action === 'push' ? 'pull,push' : action}` : undefined;
    const header = `Bearer realm="${tokenRealm(request, externalUrl)}",service="${access.tokens.service}"`
      + (scope ? `,scope="${scope}"` : '') + (error ? `,error="${error}"` : '');
    return new RegistryError('UNAUTHORIZED', error === 'invalid_token' ? undefined : 'authentication required: log in (docker login, podman login) and retry',
      scope ? [{ Type: scope.split(':')[0], Name: repository ?? 'catalog', Action: action ?? '*' }] : undefined, { 'www-authenticate': header });
  };

  let caller: Caller;
  try {
    caller = await access.caller(request.headers.authorization, request.ip);
  } catch (error) {
    if (error instanceof InvalidTokenError || error instanceof BadAuthorizationError) {
      request.log.warn({ reason: error.message, address: request.ip }, 'refused credentials');
      const refused = challenge('invalid_token');
      throw new RegistryError('UNAUTHORIZED', error.message, refused.detail, refused.headers);
    }
    if (error instanceof RegistryError && error.code === 'UNAUTHORIZED') {
      throw new RegistryError('UNAUTHORIZED', error.message, undefined, challenge().headers);
    }
    throw error;
  }

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

  if (action === 'push' && repository !== undefined && (route.kind === 'uploads' || route.kind === 'manifest')) {
    await access.beforePush(caller.principal, repository);
  }
  request.berthAccess = { caller, audit: auditOf(route, method) };
}

function deniedMessage(caller: Caller, action: Action | undefined, repository: string | undefined): string {
  const who = principalName(caller.principal);
  if (action === undefined || repository === undefined) return `${who} may not list every repository: only system administrators may`;
  return `${who} may not ${action} ${repository}: ask an administrator of its project for a role that allows it`;
}

/** What the audit log records for a request once it succeeds: pushes, pulls (manifest GETs) and deletes. */
function auditOf(route: V2Route, method: string): RequestAccess['audit'] {
  if (route.kind === 'manifest') {
    const reference = route.reference;
    if (method === 'PUT') return { action: 'push', repository: route.name, reference };
    if (method === 'GET') return { action: 'pull', repository: route.name, reference };
    if (method === 'DELETE') return { action: 'delete', repository: route.name, reference };
  }
  if (route.kind === 'blob' && method === 'DELETE') return { action: 'delete', repository: route.name, reference: route.digest };
  return undefined;
}

/** Writes the audit record of a request that succeeded; called when its response has been sent. */
export function auditResponse(access: AccessControl, request: FastifyRequest, reply: FastifyReply): void {
  const record = request.berthAccess?.audit;
  if (!record || reply.statusCode >= 300) return;
  const { principal } = request.berthAccess!.caller;
  const isDigest = record.reference !== undefined && record.reference.includes(':');
  const digest = (reply.getHeader('docker-content-digest') as string | undefined) ?? request.berthAccess!.digest
    ?? (isDigest ? record.reference : undefined);
  access.audit.record({
    at: Date.now(), actor: principalName(principal), actorKind: principal.kind, action: record.action,
    repository: record.repository, digest, tag: isDigest ? undefined : record.reference, address: request.ip, outcome: 'ok',
  });
}
