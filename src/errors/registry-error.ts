import { errorCatalog, type ErrorCode } from './error-codes.js';

/**
 * What a client needs, beside the message, to act on a refusal. Typed rather than headers, so that the registry layer
 * names no HTTP header: http/error-handler.ts writes each as the header HTTP has for it.
 */
export interface ErrorContext {
  /** The upload session a refused request was for, and the bytes it holds: the client resumes from there. */
  readonly upload?: { readonly repository: string; readonly id: string; readonly heldBytes: number };
  /** The methods the resource still takes (a 405 must name them). */
  readonly allow?: readonly string[];
  /** The size of content that a read range fell outside of. */
  readonly contentSize?: number;
  /** How long the client should wait before trying again (a 429). */
  readonly retryAfterSeconds?: number;
  /** Why the credentials sent were refused, for the error parameter of a Bearer challenge (RFC 6750 section 3.1). */
  readonly credentials?: 'invalid_token' | 'insufficient_scope';
}

/**
 * The one error type the registry layer throws. `code` is a spec (or Berth) error code, which alone decides the
 * status (errors/error-codes.ts); `message` defaults to the catalog's text; `detail` is structured context for the
 * client's error body, `context` what the HTTP layer turns into headers.
 */
export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly detail: unknown;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message?: string, detail?: unknown, context: ErrorContext = {}) {
    super(message ?? errorCatalog[code].message);
    this.name = 'RegistryError';
    this.code = code;
    this.detail = detail;
    this.context = context;
  }

  /** The status registered for the code. */
  get status(): number {
    return errorCatalog[this.code].status;
  }

  /** A body past a configured limit (TOO_LARGE, 413), with the limit in its detail. */
  static tooLarge(message: string, limit: number, detail: Record<string, unknown> = {}): RegistryError {
    return new RegistryError('TOO_LARGE', message, { limit, ...detail });
  }
}
