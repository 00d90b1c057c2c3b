import { InvalidArgumentError, Option, type Command } from 'commander';
import { OperatorError } from '../errors/operator-error.js';
import { withQuery, type ApiClient, type PageBody } from './api-client.js';
import { segment, withViewer, type Options } from './command-kit.js';
import { printJson, printLine, printTable, shortTime } from './output.js';

interface Platform { readonly digest: string; readonly os: string; readonly architecture: string; readonly variant: string | null }
interface TagRow {
  readonly repository: string; readonly tag: string; readonly digest: string; readonly mediaType: string; readonly artifactType: string | null;
  readonly size: number; readonly platforms: Platform[]; readonly pushedAt: string; readonly created: string | null;
  readonly lastPulledAt: string | null; readonly pulls: number; readonly tagPulls: number; readonly quarantined: boolean;
  readonly labels: Record<string, string>;
}
interface Latest {
  readonly repository: string; readonly tag: string; readonly digest: string; readonly version: string | null; readonly platformDigest: string | null;
}
interface Usage {
  readonly project: string; readonly repositories: number; readonly storedBytes: number; readonly logicalBytes: number;
  readonly savedByDeduplication: number; readonly pulls: number; readonly lastPulledAt: string | null;
}
interface ArtifactDetail {
  readonly repository: string; readonly digest: string; readonly mediaType: string; readonly artifactType: string | null; readonly size: number;
  readonly tags: string[]; readonly pushedAt: string | null; readonly lastPulledAt: string | null; readonly pulls: number;
  readonly annotations: Record<string, string>;
  readonly platforms: {
    digest: string; os: string | null; architecture: string | null; variant: string | null; size: number;
    config: { labels: Record<string, string>; created: string | null } | null; layers: unknown[];
  }[];
  readonly referrers: { digest: string; artifactType: string | null; mediaType: string; group: string; tag: string | null }[];
  readonly quarantine: { reason: string; by: string; at: string } | null;
}

/** Rows `berth query` fetches at most without --limit: a query that matches the whole registry stops here, and says so. */
const queryRowsMax = 10_000;
const pageMax = 1000;

/**
 * `berth latest`, `berth query`, `berth tags`, `berth inspect` and `berth usage`: what the registry holds, through
 * the query API. They read what anonymous callers may read, so they work without a login against an open registry
 * or for public projects; with a login they see what the user may pull.
 */
export function registerInsightCommands(program: Command): void {
  program.command('latest <repository>')
    .description('the latest tag of a repository, printed as repository:tag@digest; exits 1 when no tag qualifies')
    .addOption(new Option('--by <order>', 'semver (highest version; other tags ignored), pushed (moved last), created (newest image config)')
      .choices(['semver', 'pushed', 'created']).default('semver'))
    .option('--platform <os/arch[/variant]>', 'only images for this platform, e.g. linux/arm64/v8')
    .option('--range <range>', 'with --by semver: a version range, e.g. ^1.2, ~1.2.3, ">=2 <3"')
    .option('--prerelease', 'with --by semver: let pre-releases (1.2.0-rc.1) count')
    .option('--json', 'print JSON')
    .action(withViewer(async (client, options, repository) => {
      const latest = await client.get<Latest>(withQuery('/api/v1/latest', {
        repository, by: options.by as string, platform: options.platform as string | undefined, range: options.range as string | undefined,
        prerelease: options.prerelease ? 'true' : undefined,
      }));
      if (options.json) printJson(latest);
      else printLine(`${latest.repository}:${latest.tag}@${latest.digest}`);
    }));

  program.command('query')
    .description('tags across every project you may see, filtered by labels, annotations, platform, time and size')
    .option('--label <key=value>', 'a config label (key alone: has the label); repeat for more, all must hold', collect, [])
    .option('--annotation <key=value>', 'a manifest annotation (key alone: has it); repeatable', collect, [])
    .option('--repository <pattern>', 'repositories matching a glob: * within a path component, ** across (e.g. "team/**")')
    .option('--tag <pattern>', 'tags matching a glob (e.g. "v1.*")')
    .option('--project <name>', 'one project')
    .option('--platform <os/arch[/variant]>', 'images for this platform (an index: one of its children)')
    .option('--media-type <type>', 'the manifest\'s media type')
    .option('--artifact-type <type>', 'the manifest\'s artifactType')
    .option('--pushed-after <time>', 'tagged at or after: ISO 8601 (2025-01-31T12:00:00Z) or milliseconds since the epoch')
    .option('--pushed-before <time>', 'tagged before')
    .option('--pulled-after <time>', 'last pulled at or after')
    .option('--pulled-before <time>', 'last pulled before, or never')
    .option('--min-size <bytes>', 'at least this many bytes (manifest, config and layers)')
    .option('--max-size <bytes>', 'at most this many bytes')
    .addOption(new Option('--sort <by>', 'order of the rows').choices(['name', 'pushed', 'size', 'pulled']).default('name'))
    .addOption(new Option('--order <order>', 'default asc for name, desc otherwise').choices(['asc', 'desc']))
    .option('--limit <rows>', `at most this many rows (default: all, stopping at ${queryRowsMax})`, positiveInteger)
    .option('--json', 'print JSON: an array of rows')
    .action(withViewer(async (client, options) => {
      const limit = options.limit as number | undefined;
      const rows = await fetchRows<TagRow>(client, '/api/v1/artifacts', [
        ...(options.label as string[]).map((value) => ['label', value] as const),
        ...(options.annotation as string[]).map((value) => ['annotation', value] as const),
        ...optionPairs(options, {
          repository: 'repository', tag: 'tag', project: 'project', platform: 'platform', mediaType: 'mediaType', artifactType: 'artifactType',
          pushedAfter: 'pushedAfter', pushedBefore: 'pushedBefore', pulledAfter: 'pulledAfter', pulledBefore: 'pulledBefore',
          minSize: 'minSize', maxSize: 'maxSize', sort: 'sort', order: 'order',
        }),
      ], limit ?? queryRowsMax);
      if (limit === undefined && rows.truncated) {
        process.stderr.write(`berth: stopped after ${queryRowsMax} rows: narrow the query, or give --limit\n`);
      }
      if (options.json) printJson(rows.items);
      else printTagTable(rows.items, true);
    }));

  program.command('tags <repository>')
    .description('a repository\'s tags with digest, size, platforms, push time and pulls')
    .addOption(new Option('--sort <by>', 'name, version (semver-aware; other tags after), pushed or pulled')
      .choices(['name', 'version', 'pushed', 'pulled']).default('name'))
    .addOption(new Option('--order <order>', 'default asc for name, desc otherwise').choices(['asc', 'desc']))
    .option('--pattern <glob>', 'only tags matching a glob, e.g. "v1.*"')
    .option('--json', 'print JSON: an array of tags')
    .action(withViewer(async (client, options, repository) => {
      const rows = await fetchRows<TagRow>(client, '/api/v1/tags', [
        ['repository', repository!], ...optionPairs(options, { sort: 'sort', order: 'order', pattern: 'pattern' }),
      ], Number.POSITIVE_INFINITY);
      if (options.json) printJson(rows.items);
      else printTagTable(rows.items, false);
    }));

  program.command('inspect <reference>')
    .description('an image by REPOSITORY:TAG or REPOSITORY@DIGEST: platforms, labels, layers, referrers, pulls and quarantine')
    .option('--json', 'print JSON (with the manifest, each platform\'s config, layers and history)')
    .action(withViewer(async (client, options, reference) => {
      const detail = await client.get<ArtifactDetail>(withQuery('/api/v1/artifact', parseReference(reference!)));
      if (options.json) printJson(detail);
      else printArtifact(detail);
    }));

  program.command('usage <project>')
    .description('a project\'s stored bytes (blobs shared between its repositories counted once), what deduplication saves, and its pulls')
    .option('--json', 'print JSON')
    .action(withViewer(async (client, options, project) => {
      const usage = await client.get<Usage>(`/api/v1/projects/${segment(project!)}/usage`);
      if (options.json) {
        printJson(usage);
        return;
      }
      printPairs([
        ['project', usage.project],
        ['repositories', String(usage.repositories)],
        ['stored', `${humanBytes(usage.storedBytes)} (blobs shared between repositories counted once)`],
        ['without deduplication', humanBytes(usage.logicalBytes)],
        ['saved by deduplication', humanBytes(usage.savedByDeduplication)],
        ['pulls', String(usage.pulls)],
        ['last pulled', shortTime(usage.lastPulledAt) ?? 'never'],
      ]);
    }));
}

/**
 * Rows of a paged list, following `next` until `max` rows (a query may answer short pages: only a null `next` ends
 * it). `truncated` says rows were left.
 */
async function fetchRows<T>(client: ApiClient, path: string, query: readonly (readonly [string, string])[], max: number):
  Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let last: string | undefined;
  for (;;) {
    const wanted = Math.min(pageMax, max - items.length);
    const search = new URLSearchParams(query.map(([name, value]) => [name, value]));
    search.set('n', String(wanted));
    if (last !== undefined) search.set('last', last);
    const page = await client.get<PageBody<T>>(`${path}?${search.toString()}`);
    items.push(...page.items.slice(0, max - items.length));
    if (page.next === null) return { items, truncated: false };
    if (items.length >= max) return { items, truncated: true };
    last = page.next;
  }
}

/** Query parameters from the options that are set, named as the API names them. */
function optionPairs(options: Options, names: Record<string, string>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [option, parameter] of Object.entries(names)) {
    const value = options[option];
    if (typeof value === 'string') pairs.push([parameter, value]);
  }
  return pairs;
}

/** REPOSITORY@DIGEST, REPOSITORY:TAG, or REPOSITORY alone for its "latest" tag, as docker reads an image reference. */
export function parseReference(value: string): { repository: string; reference: string } {
  const refuse = (): never => {
    throw new OperatorError(`"${value}" is not an image reference: give REPOSITORY:TAG or REPOSITORY@DIGEST`);
  };
  const at = value.indexOf('@');
  if (at !== -1) {
    if (at === 0 || at === value.length - 1) refuse();
    return { repository: value.slice(0, at), reference: value.slice(at + 1) };
  }
  const colon = value.lastIndexOf(':');
  if (colon > value.lastIndexOf('/')) {
    if (colon === 0 || colon === value.length - 1) refuse();
    return { repository: value.slice(0, colon), reference: value.slice(colon + 1) };
  }
  return { repository: value, reference: 'latest' };
}

function printTagTable(rows: readonly TagRow[], withRepository: boolean): void {
  printTable(rows, [
    ...(withRepository ? [['repository', (row: TagRow) => row.repository] as const] : []),
    ['tag', (row) => row.tag],
    ['digest', (row) => shortDigest(row.digest)],
    ['size', (row) => humanBytes(row.size)],
    ['platforms', (row) => row.platforms.map(platformName).join(', ')],
    ['pushed', (row) => shortTime(row.pushedAt)],
    ['last pulled', (row) => shortTime(row.lastPulledAt)],
    ['pulls', (row) => row.pulls],
  ]);
}

function printArtifact(detail: ArtifactDetail): void {
  printLine(text(`${detail.repository}@${detail.digest}`));
  printPairs([
    ['media type', detail.mediaType],
    ['artifact type', detail.artifactType ?? '-'],
    ['size', humanBytes(detail.size)],
    ['tags', detail.tags.length > 0 ? detail.tags.join(', ') : '-'],
    ['pushed', shortTime(detail.pushedAt) ?? '-'],
    ['pulls', `${detail.pulls}${detail.lastPulledAt ? ` (last ${shortTime(detail.lastPulledAt)})` : ''}`],
    ...(detail.quarantine
      ? [['quarantined', `${detail.quarantine.reason} (by ${detail.quarantine.by}, ${shortTime(detail.quarantine.at)})`] as [string, string]]
      : []),
  ]);
  printLine('');
  printTable(detail.platforms, [
    ['platform', (p) => (p.os && p.architecture ? platformName({ os: p.os, architecture: p.architecture, variant: p.variant }) : null)],
    ['digest', (p) => shortDigest(p.digest)],
    ['size', (p) => humanBytes(p.size)],
    ['layers', (p) => p.layers.length],
    ['created', (p) => shortTime(p.config?.created)],
    ['labels', (p) => Object.entries(p.config?.labels ?? {}).map(([key, value]) => `${key}=${value}`).join(', ')],
  ]);
  const annotations = Object.entries(detail.annotations);
  if (annotations.length > 0) {
    printLine('');
    printTable(annotations, [['annotation', ([key]) => key], ['value', ([, value]) => value]]);
  }
  if (detail.referrers.length > 0) {
    printLine('');
    printTable(detail.referrers, [
      ['referrer', (r) => r.group], ['digest', (r) => shortDigest(r.digest)], ['artifact type', (r) => r.artifactType ?? r.mediaType],
      ['tag', (r) => r.tag],
    ]);
  }
}

/** Aligned "name  value" lines. */
function printPairs(pairs: readonly (readonly [string, string])[]): void {
  const width = Math.max(...pairs.map(([name]) => name.length));
  for (const [name, value] of pairs) printLine(`${name.padEnd(width)}  ${text(value)}`);
}

function platformName(platform: { os: string; architecture: string; variant: string | null }): string {
  return `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
}

/** sha256:0123456789ab: enough to tell digests apart in a table (the JSON has them whole). */
function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return digest.slice(0, colon + 13);
}

/** Bytes as people read them: 512 B, 1.5 KiB, 23.4 MiB, 1.2 GiB. */
export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

/** Text pushed by anyone, with control characters (terminal escapes among them) made visible as "?". */
function text(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, '?');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInteger(value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('give a whole number of at least 1');
  return Number(value);
}
