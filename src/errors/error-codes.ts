/**
 * The error codes Berth answers with: the OCI Distribution Spec's codes
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes) plus Berth's own.
 * Each code maps to one HTTP status and a default message that says what happened and what to do.
 */
export const errorCatalog = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry: push it to this repository first, or mount it from one that has it' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid: check the chunk order, Content-Range and Content-Length, then retry the upload' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry: the session expired or was cancelled; start a new upload' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content: re-send the content with its correct digest' },
  MANIFEST_BLOB_UNKNOWN: { status: 404, message: 'manifest references a manifest or blob unknown to registry: push every referenced blob and child manifest first' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid: fix the manifest so it matches the OCI image spec and push it again' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry: check the repository name and the tag or digest' },
  NAME_INVALID: { status: 400, message: 'invalid repository name: use lowercase path components of letters and digits separated by ".", "_", "__" or "-", joined by "/"' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry: push an image to it first' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length: send exactly the number of bytes you declared' },
  /** Not a spec code: an unsatisfiable read Range, answered 416 in plain text as the spec's code table has none for it. */
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'requested range not satisfiable' },
  UNAUTHORIZED: { status: 401, message: 'authentication required: log in and retry' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported by this registry' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests: slow down and retry later' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested: use a whole number n of at least 0' },
  TAG_INVALID: { status: 400, message: 'invalid tag: use up to 128 letters, digits, "_", "." or "-", not starting with "." or "-"' },
  /** Berth's own, from the token endpoint only: a scope string that cannot be honoured as written. */
  SCOPE_INVALID: { status: 400, message: 'invalid scope: use repository:<name>:<actions> (pull, push, delete or *) or registry:catalog:*' },
  /** Berth's own, from the administration API (/api/v1) only. */
  INVALID_REQUEST: { status: 400, message: 'invalid request: check the request body and parameters against the API description at /api/v1/openapi.json' },
  NOT_FOUND: { status: 404, message: 'not found: check the name' },
  CONFLICT: { status: 409, message: 'conflict with the current state: reload and try again' },
  UNKNOWN: { status: 500, message: 'unknown error: the registry logged the details under the request id; try again or report it' },
  UNAVAILABLE: { status: 503, message: 'the registry is shutting down or not ready: retry shortly' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalog;
