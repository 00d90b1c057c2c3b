import type { FastifyRequest } from 'fastify';
import type { AccessControl, Caller } from '../auth/access-control.js';
import { anonymous, principalName } from '../auth/principal.js';
import type { RequestContext } from '../registry/request-context.js';

const openCaller: Caller = { via: 'none', principal: anonymous };

/**
 * The registry's view of a /v2/ request: the caller access control has checked (anonymous when access control is
 * off), their address, the request id, and access control's answer to "may they act on that repository?" (for a
 * mount's source, and for policies).
 */
export function requestContext(access: AccessControl, request: FastifyRequest): RequestContext {
  const caller = request.berthCaller ?? openCaller;
  const { principal } = caller;
  return {
    origin: { actor: principalName(principal), actorKind: principal.kind, address: request.ip },
    principal,
    requestId: request.id,
    may: async (action, repository) => (await access.decide(caller, repository, action)) === 'allow',
  };
}
