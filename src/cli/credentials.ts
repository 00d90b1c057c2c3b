import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OperatorError } from '../errors/operator-error.js';

/** What `berth login` remembers: where, as whom, and the secret to send (never a password). */
export interface StoredLogin {
  readonly url: string;
  readonly username: string;
  /** A CLI secret made for this login (users), or the robot account's own secret. */
  readonly secret: string;
  /** The id of the CLI secret `berth login` created, so that `berth logout` can revoke it. */
  readonly secretId?: number | undefined;
}

/** BERTH_CONFIG_DIR, else $XDG_CONFIG_HOME/berth, else ~/.config/berth. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BERTH_CONFIG_DIR) return env.BERTH_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'berth');
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'credentials.json');
}

export async function readLogin(env: NodeJS.ProcessEnv = process.env): Promise<StoredLogin | undefined> {
  const path = credentialsPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OperatorError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const login = JSON.parse(text) as Partial<StoredLogin>;
    if (typeof login.url === 'string' && typeof login.username === 'string' && typeof login.secret === 'string') {
      return { url: login.url, username: login.username, secret: login.secret, secretId: typeof login.secretId === 'number' ? login.secretId : undefined };
    }
  } catch {
    // Reported below, as for a file of the wrong shape.
  }
  throw new OperatorError(`${path} is damaged: run "berth login <url>" again`);
}

/**
 * Stores the login readable by its owner only (0600, in a 0700 folder). It is written to a temporary file that is
 * renamed over the old one, so a crash leaves either the old login or the new, never half of one.
 */
export async function saveLogin(login: StoredLogin, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = credentialsPath(env);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
  return path;
}

export async function removeLogin(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const path = credentialsPath(env);
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
