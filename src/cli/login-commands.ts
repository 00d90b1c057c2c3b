import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { personalTokenPrefix } from '../auth/secrets.js';
import { OperatorError } from '../errors/operator-error.js';
import { ApiClient, ApiError } from './api-client.js';
import { credentialsPath, readLogin, removeLogin, saveLogin, type StoredLogin } from './credentials.js';
import { normalizeUrl } from './connection.js';
import type { Options } from './command-kit.js';
import { printLine } from './output.js';
import { promptHidden, readStdin } from './prompt.js';

interface Me {
  readonly kind: 'user' | 'robot';
  readonly username?: string;
  readonly name?: string;
  readonly admin: boolean;
}

/**
 * `berth login` checks the credentials against the registry and stores a CLI secret made for this machine, never
 * the password: the secret can be revoked on its own (`berth logout` does) and expires. Robot accounts have no
 * CLI secrets, so their own secret is stored; a CLI secret given as the password is stored as it is.
 */
export function registerLoginCommands(program: Command): void {
  program.command('login <url>')
    .description('log in to a registry\'s administration API and remember it (in $BERTH_CONFIG_DIR or ~/.config/berth)')
    .action(async (url: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<Options>();
      const base = normalizeUrl(url);
      const username = options.username ?? process.env.BERTH_USERNAME ?? await askUsername();
      const password = options.passwordStdin ? await readStdin(`password for ${username}`)
        : process.env.BERTH_PASSWORD || await promptHidden(`Password for ${username} at ${base}: `);
      const client = new ApiClient(base, username, password);
      const me = await client.get<Me>('/api/v1/me');
      const previous = await readLogin();
      let login: StoredLogin;
      let kept: string;
      if (me.kind === 'robot') {
        login = { url: base, username: me.name ?? username, secret: password };
        kept = 'the robot account\'s secret';
      } else if (password.startsWith(personalTokenPrefix)) {
        login = { url: base, username: me.username ?? username, secret: password };
        kept = 'the CLI secret you gave';
      } else {
        const created = await client.post<{ id: number; secret: string; expiresAt: string }>('/api/v1/users/me/cli-secrets', {
          name: `berth CLI on ${hostname()}`.slice(0, 100), expiresInDays: 90,
        });
        login = { url: base, username: me.username ?? username, secret: created.secret, secretId: created.id };
        kept = `a CLI secret made for this machine, valid until ${created.expiresAt.slice(0, 10)} (your password is not stored)`;
      }
      const path = await saveLogin(login);
      // A new login replaces the old one: the CLI secret made for it is revoked rather than left to expire.
      if (previous?.secretId !== undefined && previous.url === login.url && previous.username === login.username) {
        await new ApiClient(previous.url, previous.username, previous.secret)
          .delete(`/api/v1/users/me/cli-secrets/${previous.secretId}`).catch(() => undefined);
      }
      printLine(`Logged in to ${base} as ${login.username}${me.admin ? ' (system administrator)' : ''}.`);
      printLine(`Stored ${kept} in ${path}.`);
    });

  program.command('logout')
    .description('forget the stored login, revoking the CLI secret "berth login" made for it')
    .action(async () => {
      const stored = await readLogin();
      if (!stored) {
        printLine(`Not logged in (no ${credentialsPath()}).`);
        return;
      }
      if (stored.secretId !== undefined) {
        try {
          await new ApiClient(stored.url, stored.username, stored.secret).delete(`/api/v1/users/me/cli-secrets/${stored.secretId}`);
        } catch (error) {
          // The local login goes regardless; say what is left on the server.
          const reason = error instanceof ApiError || error instanceof OperatorError ? error.message : String(error);
          process.stderr.write(`berth: warning: the CLI secret could not be revoked (${reason}); it expires on its own, or revoke it with "berth cli-secret revoke ${stored.secretId}"\n`);
        }
      }
      await removeLogin();
      printLine(`Logged out of ${stored.url}.`);
    });
}

async function askUsername(): Promise<string> {
  if (!process.stdin.isTTY) throw new OperatorError('give the username with -u (or BERTH_USERNAME)');
  const lines = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const username = (await lines.question('Username: ')).trim();
    if (username === '') throw new OperatorError('no username given');
    return username;
  } finally {
    lines.close();
  }
}
