import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { OperatorError } from '../errors/operator-error.js';
import { withQuery, type ApiClient, type PageBody } from './api-client.js';
import { segment, withClient, type Options } from './command-kit.js';
import { connect } from './connection.js';
import { printJson, printLine, printTable, shortTime } from './output.js';

interface Webhook {
  readonly id: number; readonly project: string; readonly url: string; readonly events: string[]; readonly repositories: string;
  readonly tags: string; readonly description: string | null; readonly enabled: boolean; readonly createdBy: string;
  readonly createdAt: string; readonly updatedAt: string;
}
interface Attempt {
  readonly attempt: number; readonly status: string; readonly responseCode: number | null; readonly durationMs: number;
  readonly error: string | null; readonly at: string;
}
interface Delivery {
  readonly id: number; readonly eventId: number; readonly type: string; readonly repository: string; readonly digest: string;
  readonly tag: string | null; readonly status: string; readonly createdAt: string; readonly attempts: Attempt[];
}

/** `berth webhook …`: a project's webhooks and their delivery logs (project administrators). */
export function registerWebhookCommands(program: Command): void {
  const webhook = program.command('webhook').description('manage a project\'s webhooks: signed CloudEvents POSTed on pushes, deletes and more');
  const path = (project: string, id?: string) => `/api/v1/projects/${segment(project)}/webhooks${id === undefined ? '' : `/${segment(id)}`}`;

  webhook.command('create <project>')
    .description('subscribe a receiver to a project\'s events; prints the webhook\'s id and its signing secret, once')
    .option('--url <url>', 'the receiver (http:// or https://); the registry\'s own --url then goes before "webhook", or in BERTH_URL')
    .option('--events <types>', 'comma-separated event types (default: artifact.pushed,artifact.deleted,tag.deleted,artifact.quarantined,artifact.released)', parseList)
    .option('--repositories <glob>', 'only repositories whose name below the project matches, e.g. "app/*" (default: all)')
    .option('--tags <glob>', 'only events naming a tag that matches, e.g. "v*" (default: all)')
    .option('--description <text>', 'what it is for')
    .option('--disabled', 'create it disabled')
    .option('--json', 'print JSON (with the secret)')
    .action(withTarget(async (client, options, target, project) => {
      if (target === undefined) throw new OperatorError(`give the receiver's URL: berth webhook create ${project} --url https://hooks.example.com/berth`);
      const created = await client.post<Webhook & { secret: string }>(path(project!), {
        url: target,
        ...(options.events !== undefined && { events: options.events }),
        ...(options.repositories !== undefined && { repositories: options.repositories }),
        ...(options.tags !== undefined && { tags: options.tags }),
        ...(options.description !== undefined && { description: options.description }),
        ...(options.disabled === true && { enabled: false }),
      });
      if (options.json) {
        printJson(created);
        return;
      }
      printLine(`Created webhook ${created.id} of project ${created.project}: ${created.url} (${created.events.join(', ')}).`);
      printSecret(created.project, created.id, created.secret);
    }));

  webhook.command('list <project>')
    .description('list a project\'s webhooks')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, project) => {
      const webhooks = await client.all<Webhook>(path(project!));
      if (options.json) printJson(webhooks);
      else printTable(webhooks, [
        ['id', (w) => w.id], ['url', (w) => w.url], ['events', (w) => w.events.join(',')], ['repositories', (w) => w.repositories],
        ['tags', (w) => w.tags], ['enabled', (w) => w.enabled], ['description', (w) => w.description],
      ]);
    }));

  webhook.command('show <project> <id>')
    .description('show a webhook (never its secret)')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, project, id) => {
      const found = await client.get<Webhook>(path(project!, id!));
      if (options.json) printJson(found);
      else printWebhook(found);
    }));

  webhook.command('update <project> <id>')
    .description('change a webhook\'s receiver, events, filters or description, or enable or disable it')
    .option('--url <url>', 'a new receiver; the registry\'s own --url then goes before "webhook", or in BERTH_URL')
    .option('--events <types>', 'comma-separated event types', parseList)
    .option('--repositories <glob>', 'repositories whose name below the project matches ("**" for all)')
    .option('--tags <glob>', 'events naming a tag that matches ("**" for all)')
    .option('--description <text>', 'what it is for ("" removes it)')
    .option('--enable', 'send events again')
    .option('--disable', 'stop sending events (the log is kept)')
    .option('--json', 'print JSON')
    .action(withTarget(async (client, options, target, project, id) => {
      if (options.enable && options.disable) throw new OperatorError('give --enable or --disable, not both');
      const change = {
        ...(target !== undefined && { url: target }),
        ...(options.events !== undefined && { events: options.events }),
        ...(options.repositories !== undefined && { repositories: options.repositories }),
        ...(options.tags !== undefined && { tags: options.tags }),
        ...(options.description !== undefined && { description: options.description === '' ? null : options.description }),
        ...(options.enable === true && { enabled: true }),
        ...(options.disable === true && { enabled: false }),
      };
      if (Object.keys(change).length === 0) {
        throw new OperatorError('nothing to change: give --url, --events, --repositories, --tags, --description, --enable or --disable');
      }
      const updated = await client.patch<Webhook>(path(project!, id!), change);
      if (options.json) printJson(updated);
      else printWebhook(updated);
    }));

  webhook.command('delete <project> <id>')
    .description('delete a webhook and its delivery log')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, project, id) => {
      await client.delete(path(project!, id!));
      if (options.json) printJson({ project, id: Number(id), deleted: true });
      else printLine(`Deleted webhook ${id} of project ${project}.`);
    }));

  webhook.command('rotate <project> <id>')
    .description('give a webhook a new signing secret (printed once); the old one stops signing at once')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, project, id) => {
      const rotated = await client.post<{ id: number; secret: string }>(`${path(project!, id!)}/secret`);
      if (options.json) printJson(rotated);
      else printSecret(project!, rotated.id, rotated.secret);
    }));

  webhook.command('deliveries <project> <id>')
    .description('the delivery log of a webhook, newest first: each attempt with its status, response code and duration')
    .option('-n, --limit <count>', 'deliveries to show (at most 1000)', parseCount, 20)
    .option('--before <delivery>', 'only deliveries older than this one (to page on)')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, project, id) => {
      const page = await client.get<PageBody<Delivery>>(withQuery(`${path(project!, id!)}/deliveries`, {
        n: String(options.limit), last: options.before as string | undefined,
      }));
      if (options.json) {
        printJson(page.items);
        return;
      }
      // One row per attempt, newest first; a delivery not yet attempted has one row of its own.
      const rows = page.items.flatMap((delivery): { delivery: Delivery; attempt: Attempt | undefined }[] => (delivery.attempts.length === 0
        ? [{ delivery, attempt: undefined }] : [...delivery.attempts].reverse().map((attempt) => ({ delivery, attempt }))));
      printTable(rows, [
        ['delivery', (r) => r.delivery.id], ['event', (r) => r.delivery.eventId], ['type', (r) => r.delivery.type],
        ['repository', (r) => `${r.delivery.repository}${r.delivery.tag ? `:${r.delivery.tag}` : ''}`],
        ['attempt', (r) => r.attempt?.attempt], ['status', (r) => r.attempt?.status ?? r.delivery.status],
        ['code', (r) => r.attempt?.responseCode], ['ms', (r) => r.attempt?.durationMs],
        ['at', (r) => shortTime(r.attempt?.at ?? r.delivery.createdAt)], ['error', (r) => r.attempt?.error],
      ]);
      if (page.next !== null) printLine(`(more: berth webhook deliveries ${project} ${id} --before ${page.next})`);
    }));

  webhook.command('replay <project> <id> <delivery>')
    .description('send a delivered or failed delivery again, as a new series of attempts')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, project, id, delivery) => {
      const replayed = await client.post<Delivery>(`${path(project!, id!)}/deliveries/${segment(delivery!)}/replay`);
      if (options.json) printJson(replayed);
      else printLine(`Queued delivery ${replayed.id} (event ${replayed.eventId}, ${replayed.type}) of webhook ${id} again.`);
    }));
}

/**
 * Like withClient, for the commands whose `--url` names the receiver. The program's `--url` names the registry and
 * commander gives it every `--url` of the command line, wherever it stands, so the words are read again here: a
 * `--url` after the subcommand's name is the receiver's; the registry's goes before "webhook" (or in BERTH_URL, or
 * from `berth login`), or after the receiver's as a second `--url`.
 */
function withTarget(run: (client: ApiClient, options: Options, target: string | undefined, ...args: string[]) => Promise<void>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const args = received.slice(0, -2) as string[];
    const options = command.optsWithGlobals<Options>();
    const { target, registry } = urlsOf(command);
    await run(await connect({ ...options, url: registry }), options, target, ...args);
  };
}

/** The receiver's URL and the registry's, from the command line as typed. */
export function urlsOf(command: Command): { target: string | undefined; registry: string | undefined } {
  let root = command;
  while (root.parent) root = root.parent;
  const words = (root as Command & { rawArgs?: string[] }).rawArgs ?? process.argv;
  const before: string[] = [];
  const after: string[] = [];
  // Where the words stand: before the group's name ("webhook"), between it and the subcommand's, or after that.
  const group = command.parent?.name();
  let stage = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let value: string | undefined;
    if (word === '--url') value = words[++i];
    else if (word.startsWith('--url=')) value = word.slice('--url='.length);
    else if (word === '-u' || word === '--username') i++;
    else if (stage === 0 && word === group) stage = 1;
    else if (stage === 1 && word === command.name()) stage = 2;
    if (value !== undefined) (stage === 2 ? after : before).push(value);
  }
  if (after.length > 2 || (after.length === 2 && before.length > 0)) {
    throw new OperatorError('--url is given too often: give the receiver\'s after the command, and the registry\'s before "webhook" (or in BERTH_URL)');
  }
  return { target: after[0], registry: before[0] ?? after[1] };
}

function printWebhook(webhook: Webhook): void {
  printLine(`Webhook ${webhook.id} of project ${webhook.project}${webhook.enabled ? '' : ' (disabled)'}`);
  printLine(`  url:          ${webhook.url}`);
  printLine(`  events:       ${webhook.events.join(', ')}`);
  printLine(`  repositories: ${webhook.repositories}`);
  printLine(`  tags:         ${webhook.tags}`);
  if (webhook.description !== null) printLine(`  description:  ${webhook.description}`);
  printLine(`  created:      ${shortTime(webhook.createdAt)} by ${webhook.createdBy}`);
}

/** The secret on standard output, the warning beside it on standard error (so it survives redirection). */
function printSecret(project: string, id: number, secret: string): void {
  printLine(`Secret: ${secret}`);
  process.stderr.write(`berth: store this secret now: the receiver verifies each delivery's webhook-signature with it (Standard Webhooks); `
    + `it is not shown again, and "berth webhook rotate ${project} ${id}" makes a new one\n`);
}

function parseList(value: string): string[] {
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('give one or more comma-separated values, e.g. artifact.pushed,tag.deleted');
  return items;
}

function parseCount(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 1000) throw new InvalidArgumentError('give a whole number from 1 to 1000');
  return Number(value);
}
