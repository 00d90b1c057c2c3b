import { defaultPageSize, maxPageSize } from '../../auth/admin/admin-requests.js';

/** The pieces the OpenAPI description of /api/v1 is written with, shared by every part of it. */

export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: Schema) => ({ 'application/json': { schema } });
export const nullable = (type: string, extra: Schema = {}): Schema => ({ type: [type, 'null'], ...extra });
export const time = (description: string): Schema => ({ type: ['string', 'null'], format: 'date-time', description });
export const object = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({
  type: 'object', properties, required, additionalProperties: false,
});

export const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });

export const responses = {
  BadRequest: errorResponse('INVALID_REQUEST: a field or parameter is missing or malformed; the message names it and what to send.'),
  Unauthorized: errorResponse('UNAUTHORIZED: no credentials, or wrong ones. No WWW-Authenticate challenge is sent, so that browsers never prompt for and keep a password for this API: send Basic credentials without being asked.'),
  Forbidden: errorResponse('DENIED: the caller may not do this (the message names the role or capability needed); access control is off; or a session change lacks the x-berth-csrf header.'),
  NotFound: errorResponse('NOT_FOUND: no such thing, or a private project the caller may not see.'),
  Conflict: errorResponse('CONFLICT: the name is taken, or the change conflicts with the current state (the message says why).'),
  UnsupportedMediaType: errorResponse('UNSUPPORTED_MEDIA_TYPE: a change was sent with a body that is not Content-Type: application/json (or a +json type).'),
  TooManyRequests: errorResponse('TOOMANYREQUESTS: too many failed logins for the account or address; retry after Retry-After seconds.'),
};

export const errorRefs: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 415: 'UnsupportedMediaType', 429: 'TooManyRequests',
};

export const parameter = (name: string, where: 'path' | 'query', schema: Schema, description: string) => ({
  name, in: where, required: where === 'path', schema, description,
});

export const pageParameters = [
  parameter('n', 'query', { type: 'integer', minimum: 1, default: defaultPageSize }, `Page size; larger values are cut to ${maxPageSize}.`),
  parameter('last', 'query', { type: 'string' }, 'The `next` of the previous page: the page starts after it.'),
];
export const pathParameter = (name: string, description: string) => parameter(name, 'path', { type: 'string' }, description);
export interface OperationSpec {
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly parameters?: readonly unknown[];
  readonly body?: string;
  readonly status?: number;
  /** The response schema's name; none for 204. */
  readonly response?: string;
  readonly errors?: readonly number[];
  readonly paged?: boolean;
  readonly public?: boolean;
}

export function operation(id: string, spec: OperationSpec): Schema {
  const status = spec.status ?? (spec.response === undefined ? 204 : 200);
  const ok: Schema = { description: spec.response === undefined ? 'Done.' : 'Success.' };
  if (spec.response !== undefined) ok.content = json(ref(spec.response));
  if (spec.paged) ok.headers = { Link: { schema: { type: 'string' }, description: 'rel="next": the URL of the next page, when there is one.' } };
  const errors = new Set([...(spec.body ? [400, 415] : []), ...(spec.public ? [] : [401, 403, 429]), ...(spec.errors ?? [])]);
  return {
    operationId: id,
    summary: spec.summary,
    ...(spec.description && { description: spec.description }),
    tags: [spec.tag],
    ...(spec.public && { security: [] }),
    parameters: [...(spec.parameters ?? []), ...(spec.paged ? pageParameters : [])],
    ...(spec.body && { requestBody: { required: true, content: json(ref(spec.body)) } }),
    responses: {
      [String(status)]: ok,
      ...Object.fromEntries([...errors].sort().map((code) => [String(code), { $ref: `#/components/responses/${errorRefs[code]}` }])),
    },
  };
}
