import type { FastifyRequest } from 'fastify';
import { RegistryError } from '../errors/registry-error.js';

/** The declared Content-Length, or undefined when the body is chunked or absent. */
export function contentLength(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined) return undefined;
  if (!/^\d+$/.test(header)) throw new RegistryError('SIZE_INVALID', `Content-Length "${header}" is not a number of bytes`);
  return Number(header);
}

/**
 * The request body as a stream of chunks, or undefined when the request carries none. A reader that stops early (a
 * check failed) leaves the body open rather than destroyed: the refusal must still reach the client, which is only
 * sure while the rest of the body can be read and dropped (refused-body.ts).
 */
export function bodyStream(request: FastifyRequest): AsyncIterable<Buffer> | undefined {
  const length = contentLength(request);
  const chunked = request.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === 0)) return undefined;
  return { [Symbol.asyncIterator]: () => request.raw.iterator({ destroyOnReturn: false }) };
}

/**
 * Reads a small body whole (a manifest). A declared length past `max` is refused before a byte is read, and an
 * undeclared one is cut off as soon as it passes `max`, so an oversized body is never buffered.
 */
export async function readLimitedBody(request: FastifyRequest, max: number, tooLarge: () => RegistryError): Promise<Buffer> {
  const length = contentLength(request);
  if (length !== undefined && length > max) throw tooLarge();
  const stream = bodyStream(request);
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > max) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** One query parameter as a string (the first, when repeated). */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}
