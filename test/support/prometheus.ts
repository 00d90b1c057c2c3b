import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

/** One line of Prometheus' text format: a sample of a metric, with its labels. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface ParsedMetrics {
  readonly samples: readonly Sample[];
  /** `# TYPE` by metric family. */
  readonly types: ReadonlyMap<string, string>;
  /** `# HELP` by metric family. */
  readonly helps: ReadonlyMap<string, string>;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const labelPair = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/;

/**
 * Parses Prometheus' text exposition format (version 0.0.4), strictly: a line that is neither a comment, a blank
 * nor a well-formed sample throws, naming the line.
 */
export function parseMetrics(text: string): ParsedMetrics {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      (comment[1] === 'HELP' ? helps : types).set(comment[2]!, comment[3]!);
      return;
    }
    if (line.startsWith('#')) return;
    const match = sampleLine.exec(line);
    if (!match) throw new Error(`line ${index + 1} is not a sample: ${line}`);
    const labels: Record<string, string> = {};
    let rest = match[2] ?? '';
    while (rest !== '') {
      const pair = labelPair.exec(rest);
      if (!pair) throw new Error(`line ${index + 1} has malformed labels: ${line}`);
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_all, escaped: string) => (escaped === 'n' ? '\n' : escaped));
      rest = rest.slice(pair[0].length);
    }
    // Prometheus reads the special values in any case (Go's ParseFloat); prom-client writes NaN as "Nan".
    const text = match[3]!.toLowerCase();
    const value = text === 'nan' ? Number.NaN : text === '+inf' || text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(match[3]);
    if (Number.isNaN(value) && text !== 'nan') throw new Error(`line ${index + 1} has no number: ${line}`);
    samples.push({ name: match[1]!, labels, value });
  });
  return { samples, types, helps };
}

/** Samples of `name` whose labels include all of `labels`. */
export function samplesOf(metrics: ParsedMetrics, name: string, labels: Record<string, string> = {}): Sample[] {
  return metrics.samples.filter((sample) => sample.name === name
    && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

/** The sum of the matching samples' values: 0 when there are none (a counter not yet counted). */
export function sumOf(metrics: ParsedMetrics, name: string, labels: Record<string, string> = {}): number {
  return samplesOf(metrics, name, labels).reduce((sum, sample) => sum + sample.value, 0);
}

/** Runs `promtool check metrics` on a metrics page: its exit status and what it printed (lint problems). */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const result = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

const prometheusBinary = '/usr/bin/prometheus';
const promtool = '/usr/bin/promtool';
const readyTimeoutMs = 60_000;

/** A vector element of Prometheus' query API. */
export interface VectorSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: readonly [number, string];
}

export interface PrometheusServer {
  /** Base URL of its HTTP API. */
  readonly url: string;
  /** An instant PromQL query through /api/v1/query. */
  query(promql: string): Promise<VectorSample[]>;
  /** The scrape targets' health, for messages when a test waits in vain. */
  targets(): Promise<unknown>;
  /** SIGTERM (SIGKILL if it lingers), then its folder goes. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ScrapeTarget {
  /** host:port */
  readonly address: string;
  readonly metricsPath: string;
  readonly basicAuth?: { readonly username: string; readonly password: string };
}

/**
 * A real Prometheus (Debian's `prometheus` package, installed by scripts/install-test-deps.sh), started for a test
 * with its own configuration and storage in a temporary folder, on a free loopback port, scraping every second.
 * The package's system service is never used. The process is killed when the test process exits, should the
 * test's own teardown not run.
 */
export async function startPrometheus(target: ScrapeTarget): Promise<PrometheusServer> {
  if (!existsSync(prometheusBinary)) {
    throw new Error(`${prometheusBinary} is missing: run "bash scripts/install-test-deps.sh" as root (it installs Debian's prometheus)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'berth-prometheus-'));
  const port = await freePort();
  const auth = target.basicAuth
    ? `    basic_auth:\n      username: ${JSON.stringify(target.basicAuth.username)}\n      password: ${JSON.stringify(target.basicAuth.password)}\n`
    : '';
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n'
    + `scrape_configs:\n  - job_name: berth\n    metrics_path: ${JSON.stringify(target.metricsPath)}\n${auth}`
    + `    static_configs:\n      - targets: [${JSON.stringify(target.address)}]\n`);
  const child = spawn(prometheusBinary, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => { stderr += data.toString(); });
  const killOnExit = (): void => { child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${port}`;
  const server: PrometheusServer = {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = await response.json() as { status: string; error?: string; data?: { result: VectorSample[] } };
      if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${body.error}`);
      return body.data!.result;
    },
    async targets() {
      return (await fetch(`${url}/api/v1/targets`)).json();
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntilReady(url, child, () => stderr);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function waitUntilReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode} before it was ready:\n${stderr()}`);
    const ready = await fetch(`${url}/-/ready`).then((response) => response.status === 200, () => false);
    if (ready) return;
    await sleep(100);
  }
  throw new Error(`prometheus was not ready within ${readyTimeoutMs / 1000} s:\n${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const lingering = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(lingering);
}
