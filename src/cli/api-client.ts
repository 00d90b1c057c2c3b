import { OperatorError } from '../errors/operator-error.js';

/** An error the administration API answered with; the CLI prints its message as `berth: <message>`. */
export class ApiError extends OperatorError {
  readonly status: number;
  readonly code: string | undefined;

  constructor(message: string, status: number, code: string | undefined) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export interface PageBody<T> {
  readonly items: T[];
  readonly next: string | null;
}

/** A client of one registry's administration API, with Node's fetch and Basic credentials (or none, for reads). */
export class ApiClient {
  readonly url: string;
  readonly username: string;
  /** Undefined for an anonymous client. */
  readonly #authorization: string | undefined;

  constructor(url: string, username: string, password: string | undefined) {
    this.url = url;
    this.username = username;
    this.#authorization = password === undefined ? undefined : `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  /** A client without credentials: the API serves it what anonymous callers may read (public projects, or all when access control is off). */
  static anonymous(url: string): ApiClient {
    return new ApiClient(url, 'anonymous', undefined);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#send(method, path, body);
    const text = await response.text();
    if (!response.ok) throw errorOf(response, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  get<T>(path: string): Promise<T> { return this.request('GET', path); }
  post<T>(path: string, body?: unknown): Promise<T> { return this.request('POST', path, body); }
  put<T>(path: string, body?: unknown): Promise<T> { return this.request('PUT', path, body); }
  patch<T>(path: string, body?: unknown): Promise<T> { return this.request('PATCH', path, body); }
  delete(path: string): Promise<void> { return this.request('DELETE', path); }

  /** Every item of a list, following `next` page by page (1000 at a time). */
  async all<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
    const items: T[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await this.get<PageBody<T>>(withQuery(path, { ...query, n: '1000', last }));
      items.push(...page.items);
      if (page.next === null) return items;
      last = page.next;
    }
  }

  /** The body of a GET as a stream of bytes, for answers too large to hold (the audit export). */
  async stream(path: string): Promise<ReadableStream<Uint8Array>> {
    const response = await this.#send('GET', path, undefined);
    if (!response.ok || !response.body) throw errorOf(response, await response.text());
    return response.body;
  }

  async #send(method: string, path: string, body: unknown): Promise<Response> {
    const target = `${this.url}${path}`;
    try {
      return await fetch(target, {
        method,
        headers: {
          ...(this.#authorization !== undefined && { authorization: this.#authorization }), accept: 'application/json',
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        redirect: 'error',
      });
    } catch (error) {
      const cause = (error as { cause?: { message?: string; code?: string } }).cause;
      throw new OperatorError(`could not reach ${this.url}: ${cause?.message ?? cause?.code ?? (error as Error).message}`);
    }
  }
}

/** `path?name=value&…` with the values that are set, encoded. */
export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const pairs = Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
  return pairs.length === 0 ? path : `${path}?${pairs.join('&')}`;
}

function errorOf(response: Response, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = body.errors?.[0];
    if (first?.message) return new ApiError(first.message, response.status, first.code);
  } catch {
    // Not Berth's error format: a proxy in front, or not a Berth at all.
  }
  const hint = response.status === 404 ? ': is this the URL of a Berth registry?' : '';
  return new ApiError(`the registry answered ${response.status} ${response.statusText}${hint}`, response.status, undefined);
}
