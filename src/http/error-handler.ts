import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorCatalog } from '../errors/error-codes.js';
import { RegistryError } from '../errors/registry-error.js';

/**
 * The one place errors become HTTP: a RegistryError answers its code's status with the spec's error body
 * `{"errors":[{"code","message","detail"}]}` (no body on HEAD); anything else is logged with the request id and
 * answered UNKNOWN without internals.
 */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const registryError = toRegistryError(error, request);
  if (registryError.code === 'UNKNOWN') {
    request.log.error({ err: error }, 'request failed');
  } else {
    request.log.debug({ code: registryError.code, detail: registryError.detail }, 'request refused');
  }
  // A refusal sent before a body was read leaves bytes on the wire. A small declared body (a manifest) is read and
  // dropped, keeping the connection, as Go's server does: some clients (containerd 1.6) keep writing the body of a
  // refused request into a connection closed under them and hang. A large or unsized one closes the connection
  // rather than be read.
  if (hasUnreadBody(request)) {
    if (declaredLength(request) <= drainLimit) request.raw.resume();
    else reply.header('connection', 'close');
  }
  reply.code(registryError.status).headers(registryError.headers);
  if (request.method === 'HEAD') {
    reply.send();
    return;
  }
  if (registryError.code === 'RANGE_NOT_SATISFIABLE') {
    reply.type('text/plain').send(registryError.message);
    return;
  }
  reply.type('application/json').send(errorBody(registryError));
}

/** The spec's error body: `{"errors":[{"code","message","detail"}]}`. */
export function errorBody(error: RegistryError): { errors: { code: string; message: string; detail: unknown }[] } {
  return { errors: [{ code: error.code, message: error.message, detail: error.detail ?? null }] };
}

/** Refused bodies up to this size are read and dropped rather than cut off with the connection. */
const drainLimit = 1024 * 1024;

/** The declared Content-Length, or Infinity when the body's size is not declared (chunked). */
function declaredLength(request: FastifyRequest): number {
  const declared = request.headers['content-length'];
  return declared !== undefined && /^\d{1,15}$/.test(declared) ? Number(declared) : Number.POSITIVE_INFINITY;
}

function hasUnreadBody(request: FastifyRequest): boolean {
  const declared = request.headers['content-length'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (declared !== undefined && declared !== '0');
  return hasBody && !request.raw.complete;
}

function toRegistryError(error: FastifyError | Error, request: FastifyRequest): RegistryError {
  if (error instanceof RegistryError) return error;
  const fastifyError = error as FastifyError;
  // Fastify's own client errors (malformed headers, bodies it refused) keep their 4xx status.
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const code = fastifyError.statusCode === 413 ? 'SIZE_INVALID' : 'UNSUPPORTED';
    return new RegistryError(code, fastifyError.message, undefined, {}, fastifyError.statusCode);
  }
  return new RegistryError('UNKNOWN', errorCatalog.UNKNOWN.message, { requestId: request.id });
}
