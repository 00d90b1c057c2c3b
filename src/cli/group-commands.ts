import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { segment, withClient } from './command-kit.js';
import { printJson, printLine, printTable, shortTime } from './output.js';

interface Group { readonly name: string; readonly source: string; readonly externalName: string | null; readonly createdAt: string }
interface User { readonly username: string; readonly source: string; readonly email: string | null }

/** `berth group …`: groups (system administrators). */
export function registerGroupCommands(program: Command): void {
  const group = program.command('group').description('manage groups (system administrators)');

  group.command('list')
    .description('list groups')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options) => {
      const groups = await client.all<Group>('/api/v1/groups');
      if (options.json) printJson(groups);
      else printTable(groups, [['name', (g) => g.name], ['source', (g) => g.source], ['external name', (g) => g.externalName], ['created', (g) => shortTime(g.createdAt)]]);
    }));

  group.command('create <name>')
    .description('create a group: local (members listed here), or standing for an LDAP or OpenID Connect group')
    .option('--source <source>', 'local, ldap or oidc', (value: string) => {
      if (!['local', 'ldap', 'oidc'].includes(value)) throw new InvalidArgumentError('use local, ldap or oidc');
      return value;
    }, 'local')
    .option('--external-name <name>', 'for ldap: the group\'s DN; for oidc: the groups-claim value')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, name) => {
      const created = await client.post<Group>('/api/v1/groups', {
        name, source: options.source, ...(options.externalName !== undefined && { externalName: options.externalName }),
      });
      if (options.json) printJson(created);
      else printLine(`Created ${created.source} group ${created.name}.`);
    }));

  group.command('delete <name>')
    .description('delete a group and its roles in projects')
    .action(withClient(async (client, _options, name) => {
      await client.delete(`/api/v1/groups/${segment(name!)}`);
      printLine(`Deleted group ${name}.`);
    }));

  group.command('members <name>')
    .description('list a group\'s members')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, name) => {
      const users = await client.all<User>(`/api/v1/groups/${segment(name!)}/members`);
      if (options.json) printJson(users);
      else printTable(users, [['username', (u) => u.username], ['source', (u) => u.source], ['email', (u) => u.email]]);
    }));

  group.command('add-member <group> <username>')
    .description('add a user to a local group')
    .action(withClient(async (client, _options, name, username) => {
      await client.put(`/api/v1/groups/${segment(name!)}/members/${segment(username!)}`);
      printLine(`Added ${username} to ${name}.`);
    }));

  group.command('remove-member <group> <username>')
    .description('remove a user from a local group')
    .action(withClient(async (client, _options, name, username) => {
      await client.delete(`/api/v1/groups/${segment(name!)}/members/${segment(username!)}`);
      printLine(`Removed ${username} from ${name}.`);
    }));
}
