import type { Command } from 'commander';
import { OperatorError } from '../errors/operator-error.js';
import { parseDays, withClient } from './command-kit.js';
import { printJson, printLine, printTable, shortTime } from './output.js';

interface CliSecret {
  readonly id: number; readonly name: string; readonly createdAt: string; readonly expiresAt: string | null;
  readonly revokedAt: string | null; readonly lastUsedAt: string | null;
}

/** `berth cli-secret …`: your CLI secrets, the password for docker login when your sign-in has none. */
export function registerCliSecretCommands(program: Command): void {
  const cliSecret = program.command('cli-secret').description('manage your CLI secrets (the password docker login and podman login take with your username)');

  cliSecret.command('create <name>')
    .description('create a CLI secret, printed once')
    .option('--expires-in-days <days>', 'when it stops working (default 90, at most 365)', parseDays)
    .option('--json', 'print JSON (with the secret)')
    .action(withClient(async (client, options, name) => {
      const created = await client.post<{ id: number; name: string; secret: string; expiresAt: string }>('/api/v1/users/me/cli-secrets', {
        name, ...(options.expiresInDays !== undefined && { expiresInDays: options.expiresInDays }),
      });
      if (options.json) {
        printJson(created);
        return;
      }
      printLine(`Created CLI secret ${created.id} "${created.name}", valid until ${shortTime(created.expiresAt)} UTC.`);
      printLine(`Secret: ${created.secret}`);
      process.stderr.write(`berth: store this secret now: it is not shown again. Use it as the password of: docker login ${new URL(client.url).host} -u ${client.username}\n`);
    }));

  cliSecret.command('list')
    .description('list your CLI secrets')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options) => {
      const secrets = await client.all<CliSecret>('/api/v1/users/me/cli-secrets');
      if (options.json) printJson(secrets);
      else printTable(secrets, [
        ['id', (s) => s.id], ['name', (s) => s.name], ['created', (s) => shortTime(s.createdAt)], ['expires', (s) => shortTime(s.expiresAt)],
        ['revoked', (s) => shortTime(s.revokedAt)], ['last used', (s) => shortTime(s.lastUsedAt)],
      ]);
    }));

  cliSecret.command('revoke <id>')
    .description('revoke one of your CLI secrets')
    .action(withClient(async (client, _options, id) => {
      if (!/^\d+$/.test(id!)) throw new OperatorError(`"${id}" is not a CLI secret id: give the number "berth cli-secret list" shows`);
      await client.delete(`/api/v1/users/me/cli-secrets/${id}`);
      printLine(`Revoked CLI secret ${id}.`);
    }));
}
