import { errorCatalog, type ErrorCode } from './error-codes.js';

/**
 * The one error type the registry layer throws. `code` is a spec (or Berth) error code; the HTTP layer maps it to a
 * status in one place. `message` defaults to the catalog's text; `detail` is structured context for the client.
 */
export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly detail: unknown;
  /** Extra response headers some errors carry (the Range of an upload on 416, the size on an unsatisfiable read). */
  readonly headers: Record<string, string>;
  readonly #status: number | undefined;

  constructor(code: ErrorCode, message?: string, detail?: unknown, headers: Record<string, string> = {}, status?: number) {
    super(message ?? errorCatalog[code].message);
    this.name = 'RegistryError';
    this.code = code;
    this.detail = detail;
    this.headers = headers;
    this.#status = status;
  }

  /** The catalog's status for the code, unless this error overrides it (413 for an oversized body). */
  get status(): number {
    return this.#status ?? errorCatalog[this.code].status;
  }

  /** A body past a configured limit: the spec's SIZE_INVALID, answered 413 so clients know retrying will not help. */
  static tooLarge(message: string, limit: number): RegistryError {
    return new RegistryError('SIZE_INVALID', message, { limit }, {}, 413);
  }
}
