import type { Command } from 'commander';
import { OperatorError } from '../errors/operator-error.js';
import { parseSwitch, segment, withClient } from './command-kit.js';
import { printJson, printLine, printTable, shortTime, type Column } from './output.js';
import { newPassword, promptHidden } from './prompt.js';

interface User {
  readonly username: string; readonly email: string | null; readonly displayName: string | null; readonly source: string;
  readonly admin: boolean; readonly disabled: boolean; readonly createdAt: string; readonly lastLoginAt: string | null;
}

const columns: Column<User>[] = [
  ['username', (user) => user.username], ['source', (user) => user.source], ['admin', (user) => user.admin],
  ['disabled', (user) => user.disabled], ['email', (user) => user.email], ['name', (user) => user.displayName],
  ['last login', (user) => shortTime(user.lastLoginAt)],
];

/** `berth user …`: local users (system administrators), and one's own password. */
export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage users (system administrators), or change your own password');

  user.command('list')
    .description('list users')
    .option('-q, --query <text>', 'only users whose name or e-mail contains this')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options) => {
      const users = await client.all<User>('/api/v1/users', { q: options.query as string | undefined });
      if (options.json) printJson(users);
      else printTable(users, columns);
    }));

  user.command('create <username>')
    .description('create a local user; the password is asked for (or read with --new-password-stdin)')
    .option('--admin', 'make them a system administrator')
    .option('--email <address>', 'their e-mail address')
    .option('--display-name <name>', 'their full name')
    .option('--new-password-stdin', 'read the new user\'s password from standard input')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, username) => {
      const password = await newPassword(stdinForNew(options), username!);
      const created = await client.post<User>('/api/v1/users', {
        username, password, ...(options.email !== undefined && { email: options.email }),
        ...(options.displayName !== undefined && { displayName: options.displayName }), ...(options.admin === true && { admin: true }),
      });
      if (options.json) printJson(created);
      else printLine(`Created user ${created.username}${created.admin ? ' (system administrator)' : ''}.`);
    }));

  user.command('passwd [username]')
    .description('change a password: your own (asks for the current one) or, as a system administrator, anyone\'s')
    .option('--new-password-stdin', 'read the new password from standard input')
    .action(withClient(async (client, options, username) => {
      const target = username ?? client.username;
      let currentPassword: string | undefined;
      if (target === client.username) {
        // Changing one's own password needs the current one: a stolen CLI secret must not be enough.
        currentPassword = process.env.BERTH_PASSWORD || await promptHidden(`Current password for ${target}: `);
      }
      const password = await newPassword(stdinForNew(options), target);
      await client.patch(`/api/v1/users/${segment(target)}`, { password, ...(currentPassword !== undefined && { currentPassword }) });
      printLine(`Changed the password of ${target}.`);
    }));

  user.command('delete <username>')
    .description('delete a user')
    .action(withClient(async (client, _options, username) => {
      await client.delete(`/api/v1/users/${segment(username!)}`);
      printLine(`Deleted user ${username}.`);
    }));

  user.command('set-admin <username> <on|off>')
    .description('make a user a system administrator, or no longer one')
    .action(withClient(async (client, _options, username, value) => {
      const admin = parseSwitch(value!);
      await client.patch(`/api/v1/users/${segment(username!)}`, { admin });
      printLine(admin ? `${username} is now a system administrator.` : `${username} is no longer a system administrator.`);
    }));

}

/** Standard input carries one secret: the caller's password (--password-stdin) or the new one, not both. */
function stdinForNew(options: Record<string, unknown>): boolean {
  if (options.newPasswordStdin && options.passwordStdin) {
    throw new OperatorError('--password-stdin and --new-password-stdin both read standard input: give your own password with BERTH_PASSWORD or "berth login" instead');
  }
  return options.newPasswordStdin === true;
}
