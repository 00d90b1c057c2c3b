import { formatNumber, stats, type Results } from '../report.js';
import { p90TargetMs, scaleCalls, type ScaleCall } from './scale-calls.js';
import { describeShape, scaleShape } from './scale-dataset.js';

/**
 * The scale session's targets, checked against its figures: p90 ≤ 20 ms for per-repository calls and ≤ 100 ms for
 * catalog-wide ones on this machine. For scale, Harbor 2.8 answered get-artifact-by-tag at p90 197 ms and the catalog
 * at p90 2.7 s with this dataset on far bigger hardware (its published performance figures).
 */

export type Verdict = 'PASS' | 'MISS' | 'n/a' | 'no figure';

/** One registry's medians for a call and their verdict; the verdict alone when there are no figures. */
export type SideVerdict =
  | { readonly p50: number; readonly p90: number; readonly p99: number; readonly perSecond: number; readonly verdict: Verdict }
  | { readonly verdict: Verdict };

export interface CallVerdict {
  readonly call: string;
  readonly targetP90Ms: number;
  readonly berth: SideVerdict;
  readonly distribution: SideVerdict;
}

const median = (results: Results, id: string, server: 'berth' | 'distribution'): number | undefined => {
  const samples = results.metrics.get(id)?.samples.filter((sample) => sample.server === server && Number.isFinite(sample.value));
  return stats(samples?.map((sample) => sample.value) ?? [])?.median;
};

function verdictOf(results: Results, call: ScaleCall, server: 'berth' | 'distribution'): SideVerdict {
  if (call.berthOnly && server === 'distribution') return { verdict: 'n/a' };
  const [p50, p90, p99, perSecond] = ['p50', 'p90', 'p99', 'rate'].map((figure) => median(results, `scale.${call.key}.${figure}`, server));
  if (p50 === undefined || p90 === undefined || p99 === undefined || perSecond === undefined) return { verdict: 'no figure' };
  return { p50, p90, p99, perSecond, verdict: p90 <= p90TargetMs[call.target] ? 'PASS' : 'MISS' };
}

/** Each call's medians over rounds against its target, for both registries; empty when the session did not run. */
export function scaleVerdicts(results: Results): CallVerdict[] {
  if (![...results.metrics.keys()].some((id) => id.startsWith('scale.'))) return [];
  return scaleCalls.map((call) => ({
    call: call.label,
    targetP90Ms: p90TargetMs[call.target],
    berth: verdictOf(results, call, 'berth'),
    distribution: verdictOf(results, call, 'distribution'),
  }));
}

/** The targets table printed after the main one; undefined when the scale session did not run. */
export function formatScaleTargets(results: Results, scale: { readonly factor: number; readonly rounds: number }): string | undefined {
  const verdicts = scaleVerdicts(results);
  if (verdicts.length === 0) return undefined;
  const figures = (side: SideVerdict): string[] => ('p90' in side
    ? [`${formatNumber(side.p50)} / ${formatNumber(side.p90)} / ${formatNumber(side.p99)}`, formatNumber(side.perSecond), side.verdict]
    : [side.verdict, '', '']);
  const header = ['call', 'p90 target', 'Berth p50 / p90 / p99 ms', 'req/s', '', 'Distribution p50 / p90 / p99 ms', 'req/s', ''];
  const rows = verdicts.map((verdict) => [verdict.call, `≤ ${verdict.targetP90Ms} ms`, ...figures(verdict.berth), ...figures(verdict.distribution)]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const numeric = new Set([2, 3, 5, 6]);
  const render = (row: string[]): string => row
    .map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  const seed = (server: 'berth' | 'distribution'): string => {
    const seconds = median(results, 'scale.seed.seconds', server);
    const rate = median(results, 'scale.seed.rate', server);
    return seconds === undefined || rate === undefined ? 'no figure' : `${formatNumber(seconds)} s (${formatNumber(rate)} manifest PUT/s)`;
  };
  return [
    `Scale targets: Harbor "small" dataset × ${scale.factor} = ${describeShape(scaleShape(scale.factor))}; `
      + `${scale.rounds === 1 ? '1 round' : `medians over ${scale.rounds} rounds`} per registry.`,
    `p90 targets on this machine: ≤ ${p90TargetMs.repository} ms per repository, ≤ ${p90TargetMs.catalog} ms across the catalog `
      + '(Harbor 2.8, on far bigger hardware,',
    'answered get-artifact-by-tag at p90 197 ms and the catalog at p90 2.7 s). n/a: Distribution has no equivalent call.',
    `Seeding: Berth ${seed('berth')}; Distribution ${seed('distribution')}.`,
    render(header),
    widths.map((width) => '─'.repeat(width)).join('  '),
    ...rows.map(render),
  ].join('\n');
}
