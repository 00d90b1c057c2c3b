import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { OperatorError } from '../errors/operator-error.js';
import { withQuery, type ApiClient } from './api-client.js';
import { withClient, withViewer, type Options } from './command-kit.js';
import { parseReference } from './insight-commands.js';
import { printJson, printLine, printTable, shortTime } from './output.js';
import { statusLine } from './status-line.js';
import {
  findingsAtOrAbove, isIndexReport, parseSeverity, printReport, vulnerabilityRows, type PlatformView, type Severity, type VulnerabilityReport,
} from './vulnerability-output.js';

interface AdvisoryFeed {
  readonly source: string; readonly location: string; readonly records: number; readonly refreshedAt: string;
  readonly newestModified: string | null; readonly error: string | null;
}
/** A job as GET /api/v1/jobs lists it, the part a refresh's progress needs. */
interface FeedJob {
  readonly id: number; readonly status: 'queued' | 'running' | 'done' | 'failed'; readonly attempts: number;
  readonly progress: { readonly note?: string } | null; readonly lastError: string | null;
}

/** The feed refresh's job kind (features/scanning/scan-service.ts). */
const feedJobKind = 'scan.feed';

/** Seconds `berth scan --wait` waits by default: a large image's first scan also waits for its advisories to be read. */
const defaultTimeoutSeconds = 300;
const pollMs = 1000;
/** A platform's scan is over in these states; queued and scanning move on by themselves. */
const finished = new Set(['done', 'failed', 'unsupported']);

/** The exit codes, in each command's help: CI pipelines branch on them. */
function exitCodes(waits: boolean): string {
  return `
Exit codes:
  0  success (and, with --fail-on, no finding at or above that severity)
  1  the command failed: a bad reference, no access${waits ? ', a scan that failed or did not end within --timeout' : ''}, or --fail-on
     given for an image whose scan is not done
  3  --fail-on: at least one finding listed is at or above that severity
`;
}

/**
 * `berth scan`, `berth vulns`, `berth vulns-summary` and `berth advisories`: asking the registry's scanner for a scan,
 * reading an image's findings (per platform for an index) or a project's images worst first, and the state of the
 * advisory feeds. Reading needs what a pull needs
 * (nothing for a public project or an open registry); asking for a scan needs the right to push; asking for a feed
 * refresh (`berth advisories refresh`) is for system administrators.
 */
export function registerScanCommands(program: Command): void {
  program.command('scan <reference>')
    .description('scan REPOSITORY:TAG or REPOSITORY@DIGEST (each platform of an index) for vulnerable packages, again if it was scanned before')
    .option('--wait', 'wait until the scan ends, with progress on standard error, then print the findings as "berth vulns" does')
    .option('--timeout <seconds>', `with --wait: stop waiting after this many seconds (the scan goes on; default ${defaultTimeoutSeconds})`, seconds)
    .option('--fail-on <level>', 'with --wait: exit 3 when a finding is at or above this severity (critical, high, medium, low, negligible, unknown)', parseSeverity)
    .option('--json', 'print JSON: what was queued (the API\'s answer); with --wait the findings, as "berth vulns --json" prints them')
    .addHelpText('after', exitCodes(true))
    .action(withClient(async (client, options, reference) => {
      const target = parseReference(reference!);
      const queued = await client.post<VulnerabilityReport>('/api/v1/scans', target);
      if (!options.wait) {
        if (options.json) printJson(queued);
        else printQueued(queued, reference!);
        return;
      }
      // Followed by digest: the tag may be moved to another image while the scan runs.
      const report = await waitForScan(client, { repository: target.repository, reference: queued.digest }, reference!,
        (options.timeout as number | undefined) ?? defaultTimeoutSeconds);
      await printFindings(client, report, reference!, options);
      const failed = report.platforms.filter((platform) => platform.status === 'failed');
      if (failed.length > 0) {
        throw new OperatorError(`the scan of ${reference} failed (${failed.map((platform) => failureText(platform, isIndexReport(report))).join('; ')}): if the image is intact, run "berth scan ${reference} --wait" again; the registry's log has the details`);
      }
      failOn(report, reference!, options.failOn as Severity | undefined);
    }));

  program.command('vulns <reference>')
    .description('the vulnerabilities found in REPOSITORY:TAG or REPOSITORY@DIGEST (per platform for an index), worst first')
    .option('--severity <level>', 'only findings at or above this severity: critical, high, medium, low, negligible, unknown', parseSeverity)
    .option('--fixable', 'only findings with a fixed version to upgrade to')
    .option('--package <text>', 'only packages whose name contains this text')
    .option('--fail-on <level>', 'exit 3 when a finding listed is at or above this severity (for CI pipelines, as trivy --exit-code)', parseSeverity)
    .option('--json', 'print JSON: an array, one object per finding and platform (id, aliases, severity, package, installedVersion, fixedVersion, platform, …)')
    .option('--report-json', 'print the API\'s whole report unchanged (status and counts per platform, and the findings)')
    .addHelpText('after', exitCodes(false))
    .action(withViewer(async (client, options, reference) => {
      const report = await client.get<VulnerabilityReport>(withQuery('/api/v1/vulnerabilities', {
        ...parseReference(reference!), severity: options.severity as string | undefined, package: options.package as string | undefined,
        fixable: options.fixable ? 'true' : undefined,
      }));
      await printFindings(client, report, reference!, options);
      failOn(report, reference!, options.failOn as Severity | undefined);
    }));

  program.command('vulns-summary <project>')
    .description('a project\'s images worst first (most critical findings, then high, medium, low, then fixable), with its figures')
    .option('--limit <n>', `list at most this many images (default ${defaultSummaryLimit})`, count)
    .option('--json', 'print JSON: {project, totals, items}, as GET /api/v1/projects/{name}/vulnerabilities answers, with every page read up to --limit')
    .action(withViewer(async (client, options, project) => {
      const limit = (options.limit as number | undefined) ?? defaultSummaryLimit;
      const path = `/api/v1/projects/${encodeURIComponent(project!)}/vulnerabilities`;
      let page = await client.get<ProjectVulnerabilities>(withQuery(path, { n: String(Math.min(limit, 1000)) }));
      const items = [...page.items];
      while (page.next !== null && items.length < limit) {
        page = await client.get<ProjectVulnerabilities>(withQuery(path, { n: String(Math.min(limit - items.length, 1000)), last: page.next }));
        items.push(...page.items);
      }
      const listed = items.slice(0, limit);
      if (options.json) printJson({ project: page.project, totals: page.totals, items: listed });
      else printProjectSummary(page.totals, listed);
    }));

  const advisories = program.command('advisories')
    .description('the advisory feeds the scanner reads (one per ecosystem its images need): records held, last refresh, newest record, last error')
    .option('--json', 'print JSON: an array of feeds')
    .action(withViewer(async (client, options) => {
      const { items } = await client.get<{ items: AdvisoryFeed[] }>('/api/v1/advisory-feeds');
      printFeeds(items, options);
    }));

  advisories.command('refresh')
    .description('read the advisory feed now rather than at the next interval, and match the images its changes touch (system administrators)')
    .option('--wait', 'wait until the refresh and its matching are done, with progress on standard error, then list the feeds as "berth advisories" does')
    .option('--timeout <seconds>', `with --wait: stop waiting after this many seconds (the refresh goes on; default ${defaultTimeoutSeconds})`, seconds)
    .option('--json', 'print JSON: the queued job ({"job": id}); with --wait the feeds, as "berth advisories --json"')
    .addHelpText('after', '\nWith --wait it exits 1 when the refresh of a feed failed (the feeds list says why); the advisories held stay in use.\n')
    .action(withClient(async (client, options) => {
      const { job } = await client.post<{ job: number }>('/api/v1/advisory-feeds/refresh');
      if (!options.wait) {
        if (options.json) printJson({ job });
        else printLine(`Queued a refresh of the advisory feed (job ${job}). See how it went with "berth advisories" once it is done, or wait for it with "berth advisories refresh --wait".`);
        return;
      }
      await waitForJob(client, job, (options.timeout as number | undefined) ?? defaultTimeoutSeconds);
      const { items } = await client.get<{ items: AdvisoryFeed[] }>('/api/v1/advisory-feeds');
      printFeeds(items, options);
      const failed = items.filter((feed) => feed.error !== null);
      if (failed.length > 0) {
        throw new OperatorError(`the refresh of the ${failed.map((feed) => `${feed.source} advisories failed (${feed.error})`).join('; the refresh of the ')}: `
          + 'the advisories held before stay in use; fix the feed (scanning.feed) and run "berth advisories refresh --wait" again');
      }
    }));
}

/** What `berth vulns-summary` reads (GET /api/v1/projects/{name}/vulnerabilities). */
interface ProjectImageScan {
  readonly repository: string; readonly digest: string; readonly tags: string[]; readonly tagCount: number; readonly status: string;
  readonly reason: string | null; readonly finishedAt: string | null; readonly matchedAt: string | null;
  readonly summary: { critical: number; high: number; medium: number; low: number; other: number; fixable: number; total: number };
}
interface ProjectVulnerabilities {
  readonly project: string;
  readonly totals: {
    readonly images: number; readonly byStatus: Record<string, number>; readonly byWorstSeverity: Record<string, number>;
    readonly findings: { critical: number; high: number; medium: number; low: number; other: number; fixable: number; total: number };
  };
  readonly items: ProjectImageScan[];
  readonly next: string | null;
}

/** Images `berth vulns-summary` lists unless told otherwise. */
const defaultSummaryLimit = 20;

function printProjectSummary(totals: ProjectVulnerabilities['totals'], items: readonly ProjectImageScan[]): void {
  if (totals.images === 0) {
    printLine('No images in this project yet: each image pushed is scanned.');
    return;
  }
  const statuses = Object.entries(totals.byStatus).filter(([, n]) => n > 0).map(([status, n]) => `${n} ${status}`).join(', ');
  const worst = Object.entries(totals.byWorstSeverity).map(([severity, n]) => `${severity} ${n}`).join(', ');
  printLine(`${totals.images} image${totals.images === 1 ? '' : 's'}: ${statuses}`);
  printLine(`Worst finding per image: ${worst}`);
  printLine('');
  printTable(items, [
    ['image', (image) => `${image.repository}${image.tags.length > 0 ? `:${image.tags[0]}` : ''}`],
    ['digest', (image) => image.digest.slice(0, 19)],
    ['status', (image) => image.status],
    ['critical', (image) => image.summary.critical], ['high', (image) => image.summary.high], ['medium', (image) => image.summary.medium],
    ['low', (image) => image.summary.low], ['other', (image) => image.summary.other], ['fixable', (image) => image.summary.fixable],
    ['scanned', (image) => shortTime(image.finishedAt)],
  ]);
  if (items.length < totals.images) printLine(`(${items.length} of ${totals.images}: --limit lists more)`);
}

function printFeeds(items: readonly AdvisoryFeed[], options: Options): void {
  if (options.json) printJson(items);
  else if (items.length === 0) printLine('No advisories read yet: a feed is read once an image that needs it has been scanned.');
  else {
    printTable(items, [
      ['source', (feed) => feed.source], ['records', (feed) => feed.records], ['refreshed', (feed) => shortTime(feed.refreshedAt)],
      ['newest', (feed) => shortTime(feed.newestModified)], ['error', (feed) => feed.error],
    ]);
  }
}

/**
 * Follows a feed refresh job (GET /api/v1/jobs, system administrators, as is asking for one) until it is done; its
 * progress goes to standard error. A job that failed for good, or outlived the timeout, stops with what to do.
 */
async function waitForJob(client: ApiClient, id: number, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const line = statusLine();
  try {
    for (;;) {
      const { items } = await client.get<{ items: FeedJob[] }>(withQuery('/api/v1/jobs', { kind: feedJobKind, n: '100' }));
      const job = items.find((candidate) => candidate.id === id);
      if (job === undefined) throw new OperatorError(`the advisory feed refresh (job ${id}) is no longer listed: see "berth advisories" for how the last refresh went`);
      if (job.status === 'done') return;
      if (job.status === 'failed') {
        throw new OperatorError(`the advisory feed refresh (job ${id}) failed after ${job.attempts} attempts (${job.lastError ?? 'no reason given'}): the registry's log has the details`);
      }
      line.show(`advisory feed refresh: ${job.status}${job.progress?.note ? `: ${job.progress.note}` : ''}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        line.end();
        throw new OperatorError(`the advisory feed refresh (job ${id}) is still ${job.status} after ${timeoutSeconds} s; it goes on in the registry: see "berth advisories" later, or wait longer with --timeout`);
      }
      await sleep(Math.min(pollMs, left));
    }
  } finally {
    line.end();
  }
}

/** The report in the form the options ask for, and on standard error the advisories its findings may lack. */
async function printFindings(client: ApiClient, report: VulnerabilityReport, reference: string, options: Options): Promise<void> {
  if (options.reportJson) printJson(report);
  else if (options.json) printJson(vulnerabilityRows(report));
  else printReport(report, reference);
  const { unread, failed } = await advisoryGaps(client, report);
  for (const source of unread) process.stderr.write(`berth: the ${source} advisories have not been read yet: findings may be missing; look again in a minute\n`);
  for (const feed of failed) process.stderr.write(`berth: the last refresh of the ${feed.source} advisories failed (${feed.error}): findings may be out of date\n`);
}

/** `--fail-on`: exit 3 (set, not thrown, so what was printed stands) when a listed finding is at or above the level. */
function failOn(report: VulnerabilityReport, reference: string, level: Severity | undefined): void {
  if (level === undefined) return;
  if (report.status !== 'done') {
    throw new OperatorError(`${reference} is ${report.status === 'not scanned' ? 'not scanned' : `${report.status}, not fully scanned`}: --fail-on needs a finished scan; run "berth scan ${reference} --wait --fail-on ${level.toLowerCase()}"`);
  }
  const found = findingsAtOrAbove(report, level);
  if (found === 0) return;
  process.stderr.write(`berth: ${found} finding${found === 1 ? ' is' : 's are'} at or above ${level} in ${reference}\n`);
  process.exitCode = 3;
}

/**
 * Polls the report until every platform's scan is over and the advisories its distro needs have been read (the
 * first image of a distro makes the registry read them after its scan: until then it would look clean). Progress
 * goes to standard error; past the timeout it stops with what to do.
 */
async function waitForScan(client: ApiClient, target: { repository: string; reference: string }, label: string, timeoutSeconds: number):
  Promise<VulnerabilityReport> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const line = statusLine();
  try {
    for (;;) {
      const report = await client.get<VulnerabilityReport>(withQuery('/api/v1/vulnerabilities', target));
      let waiting = scanProgress(report);
      if (waiting === undefined) {
        const { unread } = await advisoryGaps(client, report);
        if (unread.length === 0) return report;
        waiting = `reading the ${unread.join(', ')} advisories`;
      }
      line.show(`${label}: ${waiting}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        line.end();
        throw new OperatorError(`${label} is still ${waiting} after ${timeoutSeconds} s; the scan goes on in the registry: run "berth vulns ${label}" later, or wait longer with --timeout`);
      }
      await sleep(Math.min(pollMs, left));
    }
  } finally {
    line.end();
  }
}

/** What is still going on ("queued", "1 of 2 platforms scanned; linux/arm64 scanning"), or undefined when all is over. */
function scanProgress(report: VulnerabilityReport): string | undefined {
  const open = report.platforms.filter((platform) => !finished.has(platform.status));
  if (open.length === 0) return undefined;
  if (!isIndexReport(report)) return open[0]!.status;
  const over = report.platforms.length - open.length;
  return `${over} of ${report.platforms.length} platforms scanned; ${open.map((platform) => `${platformName(platform)} ${platform.status}`).join(', ')}`;
}

/**
 * The advisory sources (OSV's ecosystem folders: `Debian` for `Debian:12`) the scanned platforms' distros need that
 * the registry has not read yet, and those whose last refresh failed.
 */
async function advisoryGaps(client: ApiClient, report: VulnerabilityReport): Promise<{ unread: string[]; failed: AdvisoryFeed[] }> {
  const needed = new Set(report.platforms.filter((platform) => platform.status === 'done')
    .map((platform) => platform.distro?.ecosystem?.split(':')[0]).filter((source): source is string => source !== undefined && source !== ''));
  if (needed.size === 0) return { unread: [], failed: [] };
  const { items } = await client.get<{ items: AdvisoryFeed[] }>('/api/v1/advisory-feeds');
  const feeds = new Map(items.map((feed) => [feed.source, feed]));
  return {
    unread: [...needed].filter((source) => !feeds.has(source)).sort(),
    failed: [...needed].flatMap((source) => { const feed = feeds.get(source); return feed?.error ? [feed] : []; }),
  };
}

function printQueued(report: VulnerabilityReport, reference: string): void {
  const name = `${report.repository}@${report.digest}`;
  if (isIndexReport(report)) {
    printLine(`Queued scans of ${report.platforms.length} platforms of ${name}:`);
    for (const platform of report.platforms) printLine(`  ${platformName(platform)}  ${platform.digest}  ${platform.status}`);
  } else {
    printLine(`Queued a scan of ${name}.`);
  }
  printLine(`See its findings with "berth vulns ${reference}" once it is done, or follow it with "berth scan ${reference} --wait".`);
}

function platformName(platform: PlatformView): string {
  return platform.platform ?? platform.digest.slice(0, 19);
}

/** Why a platform's scan failed, named by its platform within an index. */
function failureText(platform: PlatformView, inIndex: boolean): string {
  return `${inIndex ? `${platformName(platform)}: ` : ''}${platform.reason ?? 'no reason given'}`;
}

function count(value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('give a whole number of at least 1');
  return Number(value);
}

function seconds(value: string): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('give a whole number of seconds, at least 1');
  return Number(value);
}
