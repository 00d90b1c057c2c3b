import { registerErrorCodes } from './error-registry.js';

/**
 * The error codes Berth answers with: the OCI Distribution Spec's codes
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes) plus Berth's own. Each code is
 * registered once with its one HTTP status and a default message that says what happened and what to do; no throw
 * site can choose another status, and a code defined twice stops Berth at start-up.
 */
export const errorCatalog = registerErrorCodes([
  // The spec's codes (code-1..code-14), the only ones a /v2/ client may be sent in a 4XX body.
  { code: 'BLOB_UNKNOWN', status: 404, message: 'blob unknown to registry: push it to this repository first, or mount it from one that has it' },
  { code: 'BLOB_UPLOAD_INVALID', status: 400, message: 'blob upload invalid: check the chunk order, Content-Range and Content-Length, then retry the upload' },
  { code: 'BLOB_UPLOAD_UNKNOWN', status: 404, message: 'blob upload unknown to registry: the session expired or was cancelled; start a new upload' },
  { code: 'DIGEST_INVALID', status: 400, message: 'provided digest did not match uploaded content: re-send the content with its correct digest' },
  // 400, not 404: the manifest itself is what is wrong, as Distribution and the Docker API answer; clients expect it.
  { code: 'MANIFEST_BLOB_UNKNOWN', status: 400, message: 'manifest references a manifest or blob unknown to registry: push every referenced blob and child manifest first' },
  { code: 'MANIFEST_INVALID', status: 400, message: 'manifest invalid: fix the manifest so it matches the OCI image spec and push it again' },
  { code: 'MANIFEST_UNKNOWN', status: 404, message: 'manifest unknown to registry: check the repository name and the tag or digest' },
  { code: 'NAME_INVALID', status: 400, message: 'invalid repository name: use lowercase path components of letters and digits separated by ".", "_", "__" or "-", joined by "/"' },
  { code: 'NAME_UNKNOWN', status: 404, message: 'repository name not known to registry: push an image to it first' },
  { code: 'SIZE_INVALID', status: 400, message: 'provided length did not match content length: send exactly the number of bytes you declared' },
  { code: 'UNAUTHORIZED', status: 401, message: 'authentication required: log in and retry' },
  { code: 'DENIED', status: 403, message: 'requested access to the resource is denied' },
  // A method an endpoint never takes, or an operation this registry's configuration turns off (deletes): both name
  // the methods still allowed (Allow), and a client can do nothing else about either.
  { code: 'UNSUPPORTED', status: 405, message: 'the operation is unsupported by this registry' },
  { code: 'TOOMANYREQUESTS', status: 429, message: 'too many requests: slow down and retry later' },

  // Distribution's own, on /v2/.
  { code: 'PAGINATION_NUMBER_INVALID', status: 400, message: 'invalid number of results requested: use a whole number n of at least 0' },
  { code: 'TAG_INVALID', status: 400, message: 'invalid tag: use up to 128 letters, digits, "_", "." or "-", not starting with "." or "-"' },

  // Berth's own cases of a spec code, told apart by their status and written on the wire as that code.
  /** A chunk that does not start where the upload ends (Distribution's RANGE_INVALID); the answer carries the upload's Range. */
  { code: 'RANGE_INVALID', status: 416, sentAs: 'BLOB_UPLOAD_INVALID',
    message: 'the chunk does not start where the upload ends: send the chunk that starts at the end of the Range answered' },
  /** A body past a configured limit: 413, so clients know that sending it again will not help. */
  { code: 'TOO_LARGE', status: 413, sentAs: 'SIZE_INVALID', message: 'the body is larger than this registry accepts: send less, or ask an administrator to raise the limit' },
  { code: 'ENDPOINT_UNKNOWN', status: 404, sentAs: 'UNSUPPORTED', message: 'no such endpoint: check the method and path against the distribution spec' },
  /** A request Berth cannot read as HTTP, or whose framing Fastify refused. */
  { code: 'REQUEST_INVALID', status: 400, sentAs: 'UNSUPPORTED', message: 'the request could not be read: check its framing (Content-Length, Transfer-Encoding) and headers' },
  { code: 'HEADERS_TOO_LARGE', status: 431, sentAs: 'UNSUPPORTED', message: 'the request line or headers are larger than this registry accepts: shorten them' },

  /** Not a spec code: an unsatisfiable read Range, answered 416 in plain text as the spec's code table has none for it. */
  { code: 'RANGE_NOT_SATISFIABLE', status: 416, message: 'requested range not satisfiable' },

  // Berth's own, from the token endpoint only.
  /** A scope string that cannot be honoured as written. */
  { code: 'SCOPE_INVALID', status: 400, message: 'invalid scope: use repository:<name>:<actions> (pull, push, delete or *) or registry:catalog:*' },
  /** A token asked for another service than this registry's. */
  { code: 'SERVICE_INVALID', status: 400, message: 'invalid service: ask for a token for the service named in this registry\'s challenge' },

  // Berth's own, from the administration API (/api/v1) and the sign-in routes.
  { code: 'INVALID_REQUEST', status: 400, message: 'invalid request: check the request body and parameters against the API description at /api/v1/openapi.json' },
  { code: 'NOT_FOUND', status: 404, message: 'not found: check the name' },
  { code: 'CONFLICT', status: 409, message: 'conflict with the current state: reload and try again' },
  /** From the administration API (/api/v1) only: a body that is not JSON. */
  { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, message: 'unsupported media type: the administration API reads JSON only; send the body with Content-Type: application/json' },
  /** A browser sign-in through OpenID Connect that could not complete; `detail.reason` says why. */
  { code: 'SIGN_IN_FAILED', status: 400, message: 'the sign-in could not complete: start it again' },

  // Failures of the registry itself (the spec sets no codes for 5XX).
  { code: 'UNKNOWN', status: 500, message: 'unknown error: the registry logged the details under the request id; try again or report it' },
  { code: 'UNAVAILABLE', status: 503, message: 'the registry is shutting down or not ready: retry shortly' },
  /**
   * The blob storage has no room left. 507 Insufficient Storage (RFC 4918 section 11.5) says exactly that, where
   * Distribution's 500 says nothing; it is still a 5XX, so clients treat it as the server's failure and may retry.
   */
  { code: 'STORAGE_FULL', status: 507,
    message: 'the registry\'s storage is full: an administrator must free space or grow the volume; the push can then be retried' },
]);

export type ErrorCode = keyof typeof errorCatalog;
