import type { Command } from 'commander';
import { OperatorError } from '../errors/operator-error.js';
import { ApiClient } from './api-client.js';
import { readLogin, type StoredLogin } from './credentials.js';
import { readStdin } from './prompt.js';

/** The options every administration command takes, on the command line or in the environment. */
export interface ConnectionOptions {
  readonly url?: string | undefined;
  readonly username?: string | undefined;
  readonly passwordStdin?: boolean | undefined;
}

/** Adds the connection options to the program: they may be given before or after any command. */
export function addConnectionOptions(program: Command): void {
  program
    .option('--url <url>', 'the registry to manage (also BERTH_URL; default: the one "berth login" stored)')
    .option('-u, --username <name>', 'who to act as (also BERTH_USERNAME; default: the stored login)')
    .option('--password-stdin', 'read the password (or CLI secret, or robot secret) from standard input (also BERTH_PASSWORD)');
}

/**
 * A client for the registry the options name. Each part comes from the command line, else the environment, else
 * the login `berth login` stored; the stored secret is used only for the stored registry and user.
 */
export async function connect(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): Promise<ApiClient> {
  const stored = await readLogin(env);
  const url = registryUrl(options, stored, env);
  const username = userFor(url, options, stored, env);
  if (username === undefined) {
    throw new OperatorError(`no user for ${url}: run "berth login ${url}", or give -u (or BERTH_USERNAME) with a password`);
  }
  let password: string | undefined;
  if (options.passwordStdin) password = await readStdin(`password for ${username}`);
  else if (env.BERTH_PASSWORD !== undefined && env.BERTH_PASSWORD !== '') password = env.BERTH_PASSWORD;
  else if (stored !== undefined && stored.url === url && stored.username === username) password = stored.secret;
  if (password === undefined) {
    throw new OperatorError(`no password for ${username} at ${url}: run "berth login ${url} -u ${username}", or give --password-stdin (or BERTH_PASSWORD)`);
  }
  return new ApiClient(url, username, password);
}

/**
 * A client for the reads anonymous callers may make (public projects; everything on an open registry): as
 * `connect` when a user is named (on the command line, in the environment or by the stored login for this
 * registry), else one that sends no credentials rather than refusing.
 */
export async function connectViewer(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): Promise<ApiClient> {
  const stored = await readLogin(env);
  const url = registryUrl(options, stored, env);
  if (userFor(url, options, stored, env) === undefined) return ApiClient.anonymous(url);
  return connect(options, env);
}

/** The registry the options, the environment or the stored login name, in that order. */
function registryUrl(options: ConnectionOptions, stored: StoredLogin | undefined, env: NodeJS.ProcessEnv): string {
  const given = options.url ?? env.BERTH_URL;
  const url = given !== undefined ? normalizeUrl(given) : stored?.url;
  if (url === undefined) {
    throw new OperatorError('no registry to talk to: run "berth login <url>" first, or give --url (or BERTH_URL)');
  }
  return url;
}

/** Who to act as at `url`; the stored login's user only for the stored registry. */
function userFor(url: string, options: ConnectionOptions, stored: StoredLogin | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return options.username ?? env.BERTH_USERNAME ?? (stored?.url === url ? stored.username : undefined);
}

/** The registry's base URL: https:// unless a scheme is given, without a trailing slash or path to the API. */
export function normalizeUrl(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new OperatorError(`"${text}" is not a URL: give the registry's address, for example https://registry.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OperatorError(`"${text}" is not an http:// or https:// URL`);
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}`;
}
