import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseSwitch, segment, withClient } from './command-kit.js';
import { printJson, printLine, printTable, shortTime } from './output.js';

interface Project {
  readonly name: string; readonly public: boolean; readonly createdBy: string | null; readonly createdAt: string;
}
interface Member { readonly kind: string; readonly name: string; readonly role: string }

const roles = ['limited-guest', 'guest', 'developer', 'maintainer', 'admin'];

/** `berth project …`: projects and who holds which role in them. */
export function registerProjectCommands(program: Command): void {
  const project = program.command('project').description('manage projects and their members');

  project.command('list')
    .description('list the projects you may see')
    .option('-q, --query <text>', 'only projects whose name contains this')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options) => {
      const projects = await client.all<Project>('/api/v1/projects', { q: options.query as string | undefined });
      if (options.json) printJson(projects);
      else printTable(projects, [['name', (p) => p.name], ['public', (p) => p.public], ['created by', (p) => p.createdBy], ['created', (p) => shortTime(p.createdAt)]]);
    }));

  project.command('create <name>')
    .description('create a project (system administrators)')
    .option('--public', 'anyone may pull from it, anonymous included')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, name) => {
      const created = await client.post<Project>('/api/v1/projects', { name, public: options.public === true });
      if (options.json) printJson(created);
      else printLine(`Created ${created.public ? 'public' : 'private'} project ${created.name}.`);
    }));

  project.command('delete <name>')
    .description('delete a project that holds no repositories')
    .action(withClient(async (client, _options, name) => {
      await client.delete(`/api/v1/projects/${segment(name!)}`);
      printLine(`Deleted project ${name}.`);
    }));

  project.command('set-public <name> <on|off>')
    .description('make a project public (anyone may pull) or private')
    .action(withClient(async (client, _options, name, value) => {
      const updated = await client.patch<Project>(`/api/v1/projects/${segment(name!)}`, { public: parseSwitch(value!) });
      printLine(`Project ${updated.name} is now ${updated.public ? 'public' : 'private'}.`);
    }));

  project.command('members <name>')
    .description('list a project\'s members and their roles')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, name) => {
      const members = await client.all<Member>(`/api/v1/projects/${segment(name!)}/members`);
      if (options.json) printJson(members);
      else printTable(members, [['name', (m) => m.name], ['kind', (m) => m.kind], ['role', (m) => m.role]]);
    }));

  project.command('add-member <project> <name>')
    .description('give a user (or, with --group, a group) a role in a project, replacing the one it held')
    .requiredOption('-r, --role <role>', `one of ${roles.join(', ')}`, (value: string) => {
      if (!roles.includes(value)) throw new InvalidArgumentError(`use one of ${roles.join(', ')}`);
      return value;
    })
    .option('--group', 'the member is a group')
    .action(withClient(async (client, options, projectName, name) => {
      const kind = options.group ? 'group' : 'user';
      const member = await client.put<Member>(`/api/v1/projects/${segment(projectName!)}/members`, { kind, name, role: options.role });
      printLine(`The ${member.kind} ${member.name} is now ${member.role} in ${projectName}.`);
    }));

  project.command('remove-member <project> <name>')
    .description('take a user\'s (or, with --group, a group\'s) role in a project away')
    .option('--group', 'the member is a group')
    .action(withClient(async (client, options, projectName, name) => {
      const kind = options.group ? 'group' : 'user';
      await client.delete(`/api/v1/projects/${segment(projectName!)}/members/${kind}/${segment(name!)}`);
      printLine(`Removed the ${kind} ${name} from ${projectName}.`);
    }));
}
