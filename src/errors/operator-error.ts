/**
 * A problem the person running Berth must fix (a database out of reach, a schema to migrate), worded for them: the
 * CLI prints its message alone, without a stack trace, and exits non-zero.
 */
export class OperatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OperatorError';
  }
}
