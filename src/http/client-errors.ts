import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorCatalog } from '../errors/error-codes.js';
import { RegistryError } from '../errors/registry-error.js';
import { codeForFrameworkStatus, errorBody, handleError } from './error-handler.js';

/**
 * Requests Fastify refuses before any route runs (a malformed percent-escape in the URL) still get the spec's error
 * body, through the same error handler as everything else.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const refusal = error.code === 'FST_ERR_BAD_URL'
    ? new RegistryError('NAME_INVALID', 'the request path is not valid percent-encoding: check the repository name and reference')
    : new RegistryError(typeof error.statusCode === 'number' && error.statusCode < 500 ? codeForFrameworkStatus(error.statusCode) : 'REQUEST_INVALID',
      `the request was refused: ${error.message}`);
  handleError(refusal, request, reply);
}

/** The answer to a request no route takes: under /v2/ as anywhere else. */
export function noSuchEndpoint(request: FastifyRequest): RegistryError {
  return new RegistryError('ENDPOINT_UNKNOWN', `no such endpoint: ${request.method} ${request.url.split('?')[0]!.slice(0, 300)}`);
}

/**
 * Requests Node's HTTP parser cannot read (broken framing, headers past the size limit) never reach Fastify; they
 * are answered here on the raw socket, in the spec's error format, and the connection is closed.
 */
export function handleClientError(error: NodeJS.ErrnoException & { bytesParsed?: number }, socket: Socket): void {
  if (!socket.writable || (error.code === 'ECONNRESET')) {
    socket.destroy();
    return;
  }
  const refusal = new RegistryError(error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'REQUEST_INVALID');
  const { status } = errorCatalog[refusal.code];
  const reason = status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  const body = JSON.stringify(errorBody(refusal));
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Docker-Distribution-API-Version: registry/2.0\r\nConnection: close\r\n\r\n${body}`);
}
