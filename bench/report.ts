import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ceilingLabels, type Ceilings } from './ceilings.js';
import type { HttpError } from './client/http.js';
import type { CeilingName, MetricSpec, PhaseStats } from './scenarios/scenario.js';
import type { ServerName } from './servers/server.js';

export interface Sample {
  readonly server: ServerName;
  readonly round: number;
  /** Occurrence of this metric for this server within the round (a metric recorded once per session can repeat). */
  readonly seq: number;
  readonly value: number;
}

export interface PhaseRecord extends PhaseStats {
  readonly session: string;
  readonly scenario: string;
  readonly server: ServerName;
  readonly round: number;
}

export interface Anomaly {
  readonly session: string;
  readonly scenario: string;
  readonly server: ServerName;
  readonly round: number;
  readonly message: string;
  readonly exchange?: { request: HttpError['request']; response: HttpError['response'] };
  readonly serverOutput?: string;
}

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export interface MetricSummary {
  readonly spec: MetricSpec;
  readonly berth: Stats | undefined;
  readonly distribution: Stats | undefined;
  /** Per-round ratios, written so that above 1.0 means Berth is better; their median and range. */
  readonly ratio: Stats | undefined;
}

/** Everything a run measured, in the order it was measured. */
export class Results {
  readonly metrics = new Map<string, { spec: MetricSpec; samples: Sample[] }>();
  readonly phases: PhaseRecord[] = [];
  readonly anomalies: Anomaly[] = [];
  /** Facts by topic and registry, printed under the table. */
  readonly notes = new Map<string, Partial<Record<ServerName, string>>>();

  note(topic: string, server: ServerName, text: string): void {
    this.notes.set(topic, { ...this.notes.get(topic), [server]: text });
  }

  add(spec: MetricSpec, server: ServerName, round: number, value: number): void {
    let metric = this.metrics.get(spec.id);
    if (!metric) {
      metric = { spec, samples: [] };
      this.metrics.set(spec.id, metric);
    }
    const seq = metric.samples.filter((sample) => sample.server === server && sample.round === round).length;
    metric.samples.push({ server, round, seq, value });
  }

  summaries(): MetricSummary[] {
    return [...this.metrics.values()].map(({ spec, samples }) => {
      const of = (server: ServerName): Sample[] => samples.filter((sample) => sample.server === server && Number.isFinite(sample.value));
      const berth = of('berth');
      const distribution = of('distribution');
      const ratios: number[] = [];
      for (const b of berth) {
        const d = distribution.find((sample) => sample.round === b.round && sample.seq === b.seq);
        if (!d) continue;
        const ratio = spec.better === 'higher' ? b.value / d.value : d.value / b.value;
        if (Number.isFinite(ratio)) ratios.push(ratio);
      }
      return {
        spec,
        berth: stats(berth.map((sample) => sample.value)),
        distribution: stats(distribution.map((sample) => sample.value)),
        ratio: stats(ratios),
      };
    });
  }
}

export function stats(values: number[]): Stats | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, n: sorted.length };
}

/** Three significant digits, thousands grouped, never an exponent. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  // Rounded first, so 99.96 is "100", not "100.0".
  const rounded = Number(value.toPrecision(3));
  const magnitude = Math.abs(rounded);
  if (magnitude >= 100) return rounded.toFixed(0);
  if (magnitude >= 10) return rounded.toFixed(1);
  if (magnitude >= 1) return rounded.toFixed(2);
  if (magnitude === 0) return '0';
  return rounded.toPrecision(3);
}

const withRange = (s: Stats | undefined): string => {
  if (!s) return '—';
  if (s.n === 1) return formatNumber(s.median);
  return `${formatNumber(s.median)} [${formatNumber(s.min)}–${formatNumber(s.max)}]`;
};

export interface RunInfo {
  readonly profile: string;
  readonly rounds: number;
  readonly berth: string;
  readonly distribution: string;
  readonly machine: string;
  readonly dataDisk: string;
}

/** The one table: each metric for Berth, for Distribution, and their ratio, with the machine's limits beside it. */
export function formatReport(results: Results, ceilings: Ceilings | undefined, info: RunInfo): string {
  const lines: string[] = [];
  lines.push(`Berth vs CNCF Distribution: profile ${info.profile}, ${info.rounds} round${info.rounds === 1 ? '' : 's'} per registry, run A B A B`);
  lines.push(`  Berth:        ${info.berth}`);
  lines.push(`  Distribution: ${info.distribution}`);
  lines.push(`  machine:      ${info.machine}`);
  lines.push(`  data disk:    ${info.dataDisk}`);
  lines.push('');
  if (ceilings) {
    lines.push('Machine limits (MB/s = 10^6 bytes/s):');
    for (const [name, value] of Object.entries(ceilings) as [CeilingName, number][]) {
      lines.push(`  ${formatNumber(value).padStart(7)} MB/s  ${ceilingLabels[name]}`);
    }
    lines.push('');
  }
  lines.push('Each cell: median [min–max] over rounds. Ratio: per-round Berth vs Distribution, written so that above 1.0');
  lines.push('means Berth is better (throughputs: Berth/Distribution; latencies, CPU, memory, times: Distribution/Berth).');
  lines.push('Limit: the median as a share of the smallest machine limit that bounds it (B = Berth, D = Distribution).');
  lines.push('');

  // Sections in the order they were first measured, server resources last; rows in measured order within each.
  const summaries = results.summaries();
  const resources = 'Server resources';
  const groups = [...new Set(summaries.map((summary) => summary.spec.group))]
    .sort((a, b) => Number(a === resources) - Number(b === resources));
  const rows: string[][] = [];
  const header = ['metric', 'unit', 'Berth', 'Distribution', 'ratio', 'limit'];
  const groupRows: number[] = [];
  for (const group of groups) {
    groupRows.push(rows.length);
    rows.push([group, '', '', '', '', '']);
    for (const summary of summaries.filter((candidate) => candidate.spec.group === group)) rows.push([
      `  ${summary.spec.label}`,
      summary.spec.unit,
      withRange(summary.berth),
      withRange(summary.distribution),
      withRange(summary.ratio),
      limitCell(summary, ceilings),
    ]);
  }
  const metricRows = rows.filter((_, index) => !groupRows.includes(index));
  const widths = header.map((title, column) => Math.max(title.length, ...metricRows.map((row) => row[column]!.length)));
  const render = (row: string[]): string => row.map((cell, column) => (column >= 2 && column <= 4 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  lines.push(render(header));
  lines.push(widths.map((width) => '─'.repeat(width)).join('  '));
  for (const [index, row] of rows.entries()) lines.push(groupRows.includes(index) ? row[0]! : render(row));

  const notes = [
    ...[...results.notes].map(([topic, texts]) => `${topic}: Berth ${texts.berth ?? '—'}; Distribution ${texts.distribution ?? '—'}.`),
    ...clientBoundNotes(results),
  ];
  if (notes.length > 0 || results.anomalies.length > 0) lines.push('');
  for (const note of notes) lines.push(note);
  for (const anomaly of results.anomalies) {
    lines.push(`FAILED: ${anomaly.scenario} on ${anomaly.server}, round ${anomaly.round}: ${anomaly.message.split('\n')[0]}`);
    if (anomaly.exchange) {
      lines.push(`  request:  ${anomaly.exchange.request.method} ${anomaly.exchange.request.url}`);
      lines.push(`  response: ${anomaly.exchange.response.status} ${anomaly.exchange.response.body.slice(0, 300).replace(/\s+/g, ' ')}`);
    }
  }
  return lines.join('\n');
}

function limitCell(summary: MetricSummary, ceilings: Ceilings | undefined): string {
  if (!ceilings || !summary.spec.ceilings || summary.spec.ceilings.length === 0) return '';
  const bound = summary.spec.ceilings.reduce((best, name) => (ceilings[name] < ceilings[best] ? name : best));
  const limit = ceilings[bound];
  const share = (s: Stats | undefined): string => (s ? `${Math.round((s.median / limit) * 100)}%` : '—');
  const names: Record<CeilingName, string> = { sha256: 'sha256', generator: 'generator', fsyncWrite: 'fsync write', loopback: 'loopback' };
  return `B ${share(summary.berth)} D ${share(summary.distribution)} of ${names[bound]}`;
}

/** Phases where the benchmark process itself was busy most of the time: their figures may be the client's limit. */
function clientBoundNotes(results: Results): string[] {
  const busy = new Map<string, number>();
  for (const phase of results.phases) {
    if (phase.wallSeconds < 0.2 || phase.clientCpuSeconds / phase.wallSeconds < 0.9) continue;
    const key = `${phase.scenario} (${phase.server})`;
    busy.set(key, (busy.get(key) ?? 0) + 1);
  }
  if (busy.size === 0) return [];
  return [`Note: the client used ≥90% of a core during some phases of ${[...busy.keys()].join(', ')}; those figures may be bounded by the client (see phases in the JSON).`];
}

/** Writes the run's results as JSON. */
export async function writeJson(path: string, results: Results, extra: Record<string, unknown>): Promise<void> {
  const json = {
    ...extra,
    metrics: results.summaries().map((summary) => ({
      ...summary.spec,
      berth: summary.berth,
      distribution: summary.distribution,
      ratio: summary.ratio,
      samples: results.metrics.get(summary.spec.id)!.samples,
    })),
    notes: Object.fromEntries(results.notes),
    phases: results.phases,
    anomalies: results.anomalies,
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(json, null, 2)}\n`);
}
