import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType, ZodTypeDef } from 'zod';
import type { Page } from '../../auth/admin/admin-paging.js';
import { parseRequest } from '../../auth/admin/admin-requests.js';
import { RegistryError } from '../../errors/registry-error.js';
import { readLimitedBody } from '../request-body.js';

const maxBodyBytes = 1024 * 1024;

/** `application/json`, or a `+json` type, with or without parameters such as `; charset=utf-8`. */
const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Refuses with 415 a body that is not declared JSON, or that declares no type at all. Browsers let any web page send
 * text/plain, form and multipart bodies (and untyped ones) to another site without asking it first, with whatever
 * credentials they hold for it; a JSON body they send cross-site only after a CORS preflight, which this API never
 * grants. A request without a body needs no type.
 */
export function requireJsonOrNoBody(request: FastifyRequest): void {
  const contentType = request.headers['content-type'];
  if (contentType !== undefined) {
    if (jsonMediaType.test(contentType)) return;
    throw new RegistryError('UNSUPPORTED_MEDIA_TYPE',
      `the administration API reads JSON only, not ${contentType.split(';')[0]!.trim().slice(0, 100) || 'an empty Content-Type'}: send the body with Content-Type: application/json`);
  }
  const length = request.headers['content-length'];
  if ((length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined) {
    throw new RegistryError('UNSUPPORTED_MEDIA_TYPE', 'the request has a body without a Content-Type: send it as JSON with Content-Type: application/json');
  }
}

/** The request's JSON body, checked against the schema (INVALID_REQUEST naming the field and what to send). */
export async function jsonBody<T>(request: FastifyRequest, schema: ZodType<T, ZodTypeDef, unknown>): Promise<T> {
  requireJsonOrNoBody(request);
  const body = await readLimitedBody(request, maxBodyBytes,
    () => RegistryError.tooLarge(`the request body may have at most ${maxBodyBytes} bytes`, maxBodyBytes));
  const text = body.toString('utf8');
  let value: unknown;
  if (text.trim() === '') {
    value = undefined;
  } else {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new RegistryError('INVALID_REQUEST', `the request body is not valid JSON (${(error as Error).message}): send a JSON object`);
    }
  }
  if (value === undefined) throw new RegistryError('INVALID_REQUEST', 'the request body is empty: send a JSON object (Content-Type: application/json)');
  return parseRequest(schema, value, 'body');
}

/** The query parameters, checked against the schema. */
export function queryOf<T>(request: FastifyRequest, schema: ZodType<T, ZodTypeDef, unknown>): T {
  return parseRequest(schema, { ...(request.query as Record<string, unknown>) }, 'query');
}

/** A path parameter, as the router decoded it. */
export function param(request: FastifyRequest, name: string): string {
  return (request.params as Record<string, string>)[name] ?? '';
}

/**
 * Sends one page of a list as `{"items": [...], "next": <last> | null}`, with a Link header to the next page that
 * keeps the request's filters (as sent), the registry's own convention for its listings.
 */
export function sendPage<T>(request: FastifyRequest, reply: FastifyReply, page: Page<T>, limit: number,
  view: (item: T) => unknown, filters: readonly string[] = []): void {
  if (page.next !== undefined) {
    const path = request.url.split('?')[0]!;
    const query = [`n=${limit}`, `last=${encodeURIComponent(page.next)}`];
    const sent = request.query as Record<string, unknown>;
    for (const name of filters) {
      const value = sent[name];
      if (typeof value === 'string') query.push(`${name}=${encodeURIComponent(value)}`);
    }
    reply.header('link', `<${path}?${query.join('&')}>; rel="next"`);
  }
  reply.type('application/json').send({ items: page.items.map(view), next: page.next ?? null });
}

export function noContent(reply: FastifyReply): void {
  reply.code(204).send();
}
