import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorCatalog, type ErrorCode } from '../errors/error-codes.js';
import { RegistryError } from '../errors/registry-error.js';
import { challengeFor, scopeDetail } from './challenges.js';
import { translateForeignError } from './foreign-errors.js';
import { drainRefusedBody } from './refused-body.js';
import { withUploadProgress } from './upload-progress.js';

/**
 * The one place errors become HTTP: a RegistryError answers its code's status with the spec's error body
 * `{"errors":[{"code","message","detail"}]}` (no body on HEAD) and the headers its context calls for; the errors of
 * other layers are translated by one table (foreign-errors.ts); anything else is logged with the request id and
 * answered UNKNOWN without internals.
 */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const registryError = toRegistryError(error, request);
  drainRefusedBody(request, reply);
  reply.code(registryError.status);
  setContextHeaders(registryError, request, reply);
  if (request.method === 'HEAD') {
    reply.send();
    return;
  }
  if (registryError.code === 'RANGE_NOT_SATISFIABLE') {
    reply.type('text/plain').send(registryError.message);
    return;
  }
  reply.type('application/json').send(errorBody(withChallengeDetail(registryError, request)));
}

/** The spec's error body: `{"errors":[{"code","message","detail"}]}`, with the code as the wire knows it. */
export function errorBody(error: RegistryError): { errors: { code: string; message: string; detail: unknown }[] } {
  return { errors: [{ code: errorCatalog[error.code].wireCode, message: error.message, detail: error.detail ?? null }] };
}

/** The headers HTTP has for what a refusal's context says. */
function setContextHeaders(error: RegistryError, request: FastifyRequest, reply: FastifyReply): void {
  const { upload, allow, contentSize, retryAfterSeconds } = error.context;
  if (upload !== undefined) withUploadProgress(reply, upload.repository, upload.id, upload.heldBytes);
  if (allow !== undefined) reply.header('allow', allow.join(', '));
  if (contentSize !== undefined) reply.header('content-range', `bytes */${contentSize}`);
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  if (error.code === 'UNAUTHORIZED') {
    const challenge = challengeFor(request, error);
    if (challenge !== undefined) reply.header('www-authenticate', challenge);
  }
}

/** A /v2/ 401 names what the token lacked, as Distribution's do, unless its thrower said more. */
function withChallengeDetail(error: RegistryError, request: FastifyRequest): RegistryError {
  if (error.code !== 'UNAUTHORIZED' || error.detail !== undefined || request.bearerChallenge === undefined) return error;
  const detail = scopeDetail(request.bearerChallenge());
  return detail === undefined ? error : new RegistryError(error.code, error.message, detail, error.context);
}

function toRegistryError(error: FastifyError | Error, request: FastifyRequest): RegistryError {
  if (error instanceof RegistryError) {
    request.log.debug({ code: error.code, detail: error.detail }, 'request refused');
    return error;
  }
  const translated = translateForeignError(error);
  if (translated !== undefined) {
    const { error: refusal, log } = translated;
    if (log?.level === 'error') request.log.error({ err: error, code: refusal.code }, log.message);
    else if (log?.level === 'warn') request.log.warn({ reason: error.message, address: request.ip }, log.message);
    else request.log.debug({ code: refusal.code, detail: refusal.detail }, 'request refused');
    return refusal;
  }
  // Fastify's own client errors (malformed headers, bodies it refused) keep their meaning.
  const status = (error as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    request.log.debug({ status, reason: error.message }, 'request refused by the framework');
    return new RegistryError(codeForFrameworkStatus(status), error.message);
  }
  request.log.error({ err: error }, 'request failed');
  return new RegistryError('UNKNOWN', errorCatalog.UNKNOWN.message, { requestId: request.id });
}

/** The catalog code of a 4XX status Fastify or Node chose for a request they refused. */
export function codeForFrameworkStatus(status: number): ErrorCode {
  switch (status) {
    case 404: return 'ENDPOINT_UNKNOWN';
    case 413: return 'TOO_LARGE';
    case 415: return 'UNSUPPORTED_MEDIA_TYPE';
    case 431: return 'HEADERS_TOO_LARGE';
    default: return 'REQUEST_INVALID';
  }
}
