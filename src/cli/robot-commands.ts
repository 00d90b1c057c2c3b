import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseDays, segment, withClient } from './command-kit.js';
import { printJson, printLine, printTable, shortTime } from './output.js';

interface Permission { readonly project: string; readonly actions: string[] }
interface Robot {
  readonly name: string; readonly description: string | null; readonly permissions: Permission[];
  readonly expiresAt: string | null; readonly revokedAt: string | null; readonly createdBy: string; readonly lastUsedAt: string | null;
}

/** `berth robot …`: robot accounts for CI and other machines. */
export function registerRobotCommands(program: Command): void {
  const robot = program.command('robot').description('manage robot accounts (system administrators, or project administrators for their projects)');

  robot.command('list')
    .description('list robot accounts (project administrators: give --project)')
    .option('-p, --project <name>', 'only those with a permission on this project')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options) => {
      const robots = await client.all<Robot>('/api/v1/robots', { project: options.project as string | undefined });
      if (options.json) printJson(robots);
      else printTable(robots, [
        ['name', (r) => r.name], ['permissions', (r) => describePermissions(r.permissions)], ['expires', (r) => shortTime(r.expiresAt) ?? 'never'],
        ['revoked', (r) => shortTime(r.revokedAt)], ['last used', (r) => shortTime(r.lastUsedAt)], ['created by', (r) => r.createdBy],
        ['description', (r) => r.description],
      ]);
    }));

  robot.command('create <name>')
    .description('create robot$<name>; its secret is printed once')
    .requiredOption('-P, --permission <project:actions>', 'e.g. team:pull,push (repeat for more projects; "*" for all, system administrators only)',
      (value: string, previous: Permission[] = []) => [...previous, parsePermission(value)])
    .option('--description <text>', 'what it is for')
    .option('--expires-in-days <days>', 'when its secret stops working (default: never)', parseDays)
    .option('--json', 'print JSON (with the secret)')
    .action(withClient(async (client, options, name) => {
      const created = await client.post<Robot & { secret: string }>('/api/v1/robots', {
        name, permissions: options.permission as Permission[],
        ...(options.description !== undefined && { description: options.description }),
        ...(options.expiresInDays !== undefined && { expiresInDays: options.expiresInDays }),
      });
      if (options.json) {
        printJson(created);
      } else {
        printLine(`Created ${created.name} (${describePermissions(created.permissions)}).`);
        printSecret(created.name, created.secret);
      }
    }));

  robot.command('revoke <name>')
    .description('revoke a robot account for good: its secret stops working at once')
    .action(withClient(async (client, _options, name) => {
      const revoked = await client.post<Robot>(`/api/v1/robots/${segment(name!)}/revoke`);
      printLine(`Revoked ${revoked.name}.`);
    }));

  robot.command('rotate <name>')
    .description('give a robot account a new secret (printed once); the old one stops working')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, name) => {
      const { secret } = await client.post<{ secret: string }>(`/api/v1/robots/${segment(name!)}/secret`);
      const fullName = name!.startsWith('robot$') ? name! : `robot$${name}`;
      if (options.json) printJson({ name: fullName, secret });
      else printSecret(fullName, secret);
    }));

  robot.command('delete <name>')
    .description('delete a robot account')
    .action(withClient(async (client, _options, name) => {
      await client.delete(`/api/v1/robots/${segment(name!)}`);
      printLine(`Deleted ${name!.startsWith('robot$') ? name : `robot$${name}`}.`);
    }));
}

/** "team:pull,push" → { project: "team", actions: ["pull", "push"] }. */
export function parsePermission(text: string): Permission {
  const colon = text.lastIndexOf(':');
  const project = colon === -1 ? '' : text.slice(0, colon);
  const actions = colon === -1 ? [] : text.slice(colon + 1).split(',').map((action) => action.trim()).filter(Boolean);
  if (project === '' || actions.length === 0) {
    throw new InvalidArgumentError(`"${text}" is not <project>:<actions>, e.g. team:pull,push`);
  }
  return { project, actions };
}

function describePermissions(permissions: readonly Permission[]): string {
  return permissions.map((permission) => `${permission.project}:${permission.actions.join(',')}`).join(' ');
}

/** The secret on standard output, the warning beside it on standard error (so it survives redirection). */
function printSecret(name: string, secret: string): void {
  printLine(`Secret: ${secret}`);
  process.stderr.write(`berth: store this secret now (log in as ${name} with it): it is not shown again; "berth robot rotate ${name}" makes a new one\n`);
}
