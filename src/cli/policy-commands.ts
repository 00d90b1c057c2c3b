import type { Command } from 'commander';
import { OperatorError } from '../errors/operator-error.js';
import { segment, withClient } from './command-kit.js';
import { withQuery } from './api-client.js';
import { printJson, printLine, printTable, shortTime } from './output.js';

interface ImmutableRule { readonly id: number; readonly project: string; readonly tags: string; readonly repositories: string; readonly createdBy: string; readonly createdAt: string }
interface Quarantine { readonly repository: string; readonly digest: string; readonly via: string | null; readonly reason: string; readonly createdBy: string; readonly createdAt: string }
interface Puller { readonly actor: string; readonly actorKind: string; readonly count: number; readonly firstPull: string; readonly lastPull: string; readonly addresses: string[] }

/** REPOSITORY@DIGEST, as the quarantine commands take an image. */
function parseArtifact(value: string): { repository: string; digest: string } {
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) throw new OperatorError('give the image as REPOSITORY@DIGEST, e.g. team/app@sha256:…');
  return { repository: value.slice(0, at), digest: value.slice(at + 1) };
}

/**
 * `berth immutable …` (immutable-tag rules of a project) and `berth quarantine`, `berth release`, `berth pullers`
 * (quarantine and recall of an image).
 */
export function registerPolicyCommands(program: Command): void {
  const immutable = program.command('immutable').description('immutable tags: once a matching tag exists it can be neither moved nor deleted (project maintainers)');

  immutable.command('add <project>')
    .description('make tags matching a pattern immutable in the project')
    .requiredOption('-t, --tags <pattern>', 'tags to protect, as a glob: * (not across /), ** (anything), ? (one character); e.g. "v*"')
    .option('-r, --repositories <pattern>', 'repositories below the project the rule covers, as a glob', '**')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, project) => {
      const rule = await client.post<ImmutableRule>(`/api/v1/projects/${segment(project!)}/immutable-tags`,
        { tags: options.tags, repositories: options.repositories });
      if (options.json) printJson(rule);
      else printLine(`Added rule ${rule.id}: tags "${rule.tags}" of repositories "${rule.repositories}" in ${rule.project} are immutable.`);
    }));

  immutable.command('list <project>')
    .description('list the project\'s immutable-tag rules')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, project) => {
      const { items } = await client.get<{ items: ImmutableRule[] }>(`/api/v1/projects/${segment(project!)}/immutable-tags`);
      if (options.json) printJson(items);
      else printTable(items, [['id', (r) => r.id], ['tags', (r) => r.tags], ['repositories', (r) => r.repositories], ['created by', (r) => r.createdBy], ['created', (r) => shortTime(r.createdAt)]]);
    }));

  immutable.command('remove <project> <id>')
    .description('remove an immutable-tag rule')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, project, id) => {
      await client.delete(`/api/v1/projects/${segment(project!)}/immutable-tags/${segment(id!)}`);
      if (options.json) printJson({ removed: Number(id) });
      else printLine(`Removed rule ${id} of ${project}.`);
    }));

  program.command('quarantine [image]')
    .description('quarantine REPOSITORY@DIGEST: every pull of it (by tag or digest, and of an index\'s children) is refused with the reason; without an image, list quarantines')
    .option('--reason <text>', 'why: shown to everyone whose pull is refused (required to quarantine)')
    .option('-p, --project <name>', 'list the quarantines of this project')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, image) => {
      if (image === undefined) {
        const { items } = await client.get<{ items: Quarantine[] }>(withQuery('/api/v1/quarantines', { project: options.project as string | undefined }));
        if (options.json) printJson(items);
        else printTable(items, [['image', (q) => `${q.repository}@${q.digest}`], ['via', (q) => q.via], ['reason', (q) => q.reason], ['by', (q) => q.createdBy], ['since', (q) => shortTime(q.createdAt)]]);
        return;
      }
      if (typeof options.reason !== 'string') throw new OperatorError('say why with --reason "<text>": consumers see it when their pull is refused');
      const quarantined = await client.post<Quarantine>('/api/v1/quarantines', { ...parseArtifact(image), reason: options.reason });
      if (options.json) printJson(quarantined);
      else printLine(`Quarantined ${quarantined.repository}@${quarantined.digest}: pulls are refused until it is released (berth release). See who pulled it: berth pullers ${image}`);
    }));

  program.command('release <image>')
    .description('release a quarantined REPOSITORY@DIGEST (and the children quarantined with it)')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, image) => {
      const { repository, digest } = parseArtifact(image!);
      await client.delete(withQuery('/api/v1/quarantines', { repository, digest }));
      if (options.json) printJson({ repository, digest, released: true });
      else printLine(`Released ${repository}@${digest}.`);
    }));

  program.command('pullers <image>')
    .description('who pulled REPOSITORY@DIGEST, from the audit log (for a recall): user or robot, addresses, first and last pull, count')
    .option('--json', 'print JSON')
    .action(withClient(async (client, options, image) => {
      const { repository, digest } = parseArtifact(image!);
      const { items } = await client.get<{ items: Puller[] }>(withQuery('/api/v1/pullers', { repository, digest }));
      if (options.json) printJson(items);
      else printTable(items, [['actor', (p) => p.actor], ['kind', (p) => p.actorKind], ['pulls', (p) => p.count], ['first', (p) => shortTime(p.firstPull)], ['last', (p) => shortTime(p.lastPull)], ['addresses', (p) => p.addresses.join(', ')]]);
    }));
}
