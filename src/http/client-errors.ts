import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError } from '../errors/registry-error.js';
import { errorBody, handleError } from './error-handler.js';

/**
 * Requests Fastify refuses before any route runs (a malformed percent-escape in the URL) still get the spec's error
 * body, through the same error handler as everything else.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 400;
  const code = error.code === 'FST_ERR_BAD_URL' ? 'NAME_INVALID' : 'UNSUPPORTED';
  const message = error.code === 'FST_ERR_BAD_URL'
    ? 'the request path is not valid percent-encoding: check the repository name and reference'
    : `the request was refused: ${error.message}`;
  handleError(new RegistryError(code, message, undefined, {}, status), request, reply);
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
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const reason = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
  const refusal = new RegistryError('UNSUPPORTED', tooLarge
    ? 'the request line or headers are larger than this registry accepts: shorten them'
    : 'the request could not be parsed as HTTP/1.1: check its framing (Content-Length, Transfer-Encoding)');
  const body = JSON.stringify(errorBody(refusal));
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Docker-Distribution-API-Version: registry/2.0\r\nConnection: close\r\n\r\n${body}`);
}
