import assert from 'node:assert/strict';
import type { RunResult } from './run.js';
import { outputOf } from './sandboxed-clients.js';

/** What the end-to-end tests assert of a client's run: it succeeded, or it failed saying why. */

export function assertSucceeded(result: RunResult, what: string): RunResult {
  assert.equal(result.code, 0, `${what} must succeed:\n${outputOf(result)}`);
  return result;
}

/** It failed, and its output (stdout or stderr: clients differ) says why, matching `pattern`. */
export function assertFailed(result: RunResult, pattern: RegExp, what: string): void {
  assert.notEqual(result.code, 0, `${what} must fail, but it succeeded:\n${outputOf(result)}`);
  assert.match(`${result.stdout}\n${result.stderr}`, pattern, `${what}: the error says why (${pattern}):\n${outputOf(result)}`);
}

/** `text` as a regular expression matching it literally, to build patterns around digests and ids. */
export const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
