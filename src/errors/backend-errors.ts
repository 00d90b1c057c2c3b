/**
 * The small closed set of errors a backend (blob store, metadata store) may throw. Backends never know HTTP; the
 * registry layer turns these into `RegistryError`s with the code that fits where it happened.
 */
export class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

/** Another writer got there first, or the operation conflicts with the current state. */
export class ConflictError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'ConflictError';
  }
}

/** The backend failed for a reason of its own (disk full, I/O error, database down). */
export class BackendError extends Error {
  readonly backend: string;
  constructor(backend: string, cause: unknown) {
    super(`${backend} backend failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'BackendError';
    this.backend = backend;
  }
}

/**
 * The medium has no room left (ENOSPC, or a quota: EDQUOT). Apart from other failures because the remedy is the
 * operator's (free space or grow the volume) and the client's request was fine: it can be retried afterwards.
 */
export class StorageFullError extends BackendError {
  constructor(backend: string, cause: unknown) {
    super(backend, cause);
    this.name = 'StorageFullError';
  }
}
