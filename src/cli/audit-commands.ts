import { once } from 'node:events';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { withQuery } from './api-client.js';
import { withClient, type Options } from './command-kit.js';
import { printJson, printTable } from './output.js';

interface AuditEvent {
  readonly id: number; readonly at: string; readonly actor: string; readonly action: string; readonly repository: string | null;
  readonly digest: string | null; readonly tag: string | null; readonly address: string | null; readonly outcome: string;
  readonly detail: Record<string, unknown> | null;
}

const filters = ['actor', 'action', 'repository', 'project', 'outcome', 'since', 'until'] as const;

/** `berth audit`: the newest audit events as a table; `berth audit export`: all of them as NDJSON. */
export function registerAuditCommands(program: Command): void {
  const audit = addFilters(program.command('audit'))
    .description('show the newest audit events (system administrators; others give --project)')
    .option('-n, --limit <count>', 'how many events (default 100, at most 1000)', (value: string) => {
      if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 1000) throw new InvalidArgumentError('give a number from 1 to 1000');
      return value;
    }, '100')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options) => {
      const page = await client.get<{ items: AuditEvent[] }>(withQuery('/api/v1/audit', { ...filterQuery(options), n: options.limit as string }));
      if (options.json) {
        printJson(page.items);
        return;
      }
      printTable(page.items, [
        ['time', (e) => e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')], ['actor', (e) => e.actor], ['action', (e) => e.action],
        ['repository', (e) => e.repository], ['reference', (e) => e.tag ?? (e.digest ? e.digest.slice(0, 19) : null)],
        ['outcome', (e) => e.outcome], ['address', (e) => e.address], ['detail', (e) => (e.detail ? JSON.stringify(e.detail) : null)],
      ]);
    }));

  addFilters(audit.command('export'))
    .description('write every matching event to standard output as NDJSON (one JSON object a line, newest first)')
    .action(withClient(async (client, options) => {
      const body = await client.stream(withQuery('/api/v1/audit/export', filterQuery(options)));
      for await (const chunk of body) {
        if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
      }
    }));
}

function addFilters(command: Command): Command {
  return command
    .option('--actor <name>', 'who acted')
    .option('--action <action>', 'e.g. push, pull, delete, login, user.create ("login" also matches login.failed)')
    .option('--repository <name>', 'one repository')
    .option('--project <name>', 'a project: its repositories and its own changes')
    .option('--outcome <outcome>', 'ok, denied or failed')
    .option('--since <time>', 'from this time: ISO 8601 (2025-01-31T12:00:00Z) or milliseconds since the epoch')
    .option('--until <time>', 'before this time');
}

function filterQuery(options: Options): Record<string, string | undefined> {
  return Object.fromEntries(filters.map((name) => [name, options[name] as string | undefined]));
}
