import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { OperatorError } from '../errors/operator-error.js';
import type { ApiClient } from './api-client.js';
import { connect, connectViewer, type ConnectionOptions } from './connection.js';

/** The options of a command merged with the program's (--url, -u, --password-stdin may come anywhere). */
export type Options = ConnectionOptions & Record<string, unknown>;

/**
 * Wraps an administration command's action: connects with the connection options, then runs it with the client,
 * the merged options and the command's arguments.
 */
export function withClient(run: (client: ApiClient, options: Options, ...args: string[]) => Promise<void>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const args = received.slice(0, -2) as string[];
    const options = command.optsWithGlobals<Options>();
    await run(await connect(options), options, ...args);
  };
}

/**
 * As `withClient`, for commands that only read what anonymous callers may also read: without a user to act as, the
 * client sends no credentials (an open registry, or public projects) instead of asking for a login.
 */
export function withViewer(run: (client: ApiClient, options: Options, ...args: string[]) => Promise<void>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const args = received.slice(0, -2) as string[];
    const options = command.optsWithGlobals<Options>();
    await run(await connectViewer(options), options, ...args);
  };
}

/** One path segment of an API URL. */
export const segment = (value: string): string => encodeURIComponent(value);

/** on/off, true/false, yes/no (an argument, checked in the action: an OperatorError prints as `berth: …`). */
export function parseSwitch(value: string): boolean {
  if (/^(on|true|yes)$/i.test(value)) return true;
  if (/^(off|false|no)$/i.test(value)) return false;
  throw new OperatorError(`"${value}" is neither on nor off`);
}

export function parseDays(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('give a whole number of days, at least 1');
  return Number(value);
}
