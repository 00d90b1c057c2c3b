import type { Profile } from '../profiles.js';
import { formatNumber, stats, type Results } from '../report.js';

/**
 * The scan session's targets (issue 13), checked against its figures: layer throughput at least 0.8 of the
 * machine's gunzip + tar read of the same layers, a new advisory reaching 100,000 stored inventories in under 5 s,
 * peak RSS under 300 MiB on a 1 GiB layer, pushes losing at most 10% while scans run. Images per minute has no
 * target: it is reported.
 */

export type ScanVerdict = 'PASS' | 'FAIL' | 'no target' | 'no figure';

export interface ScanTarget {
  readonly figure: string;
  readonly target: string;
  readonly value: string;
  readonly verdict: ScanVerdict;
}

const median = (results: Results, id: string): number | undefined =>
  stats(results.metrics.get(id)?.samples.filter((sample) => sample.server === 'berth' && Number.isFinite(sample.value)).map((sample) => sample.value) ?? [])?.median;

const judged = (value: number | undefined, pass: (value: number) => boolean): ScanVerdict => (value === undefined ? 'no figure' : pass(value) ? 'PASS' : 'FAIL');

/** Each target with the medians over rounds; empty when the scan session did not run. */
export function scanTargets(results: Results, profile: Profile): ScanTarget[] {
  if (![...results.metrics.keys()].some((id) => id.startsWith('scan.'))) return [];
  const figure = (id: string, unit: string): string => {
    const value = median(results, id);
    return value === undefined ? '—' : `${formatNumber(value)} ${unit}`;
  };
  const share = median(results, 'scan.layers.share');
  const rescan = median(results, 'scan.rescan.seconds');
  const peak = median(results, 'scan.memory.peak');
  const loss = median(results, 'scan.push.loss');
  const { inventories, largeLayerBytes } = profile.scan;
  const fewer = inventories < 100_000 ? ` (this profile: ${inventories.toLocaleString('en-US')}, not the target's 100,000)` : '';
  const smaller = largeLayerBytes < 2 ** 30 ? ` (this profile: ${largeLayerBytes / 2 ** 20} MiB, not the target's 1 GiB)` : '';
  return [
    {
      figure: 'layer throughput, share of gzip -dc | tar -t', target: '≥ 0.80',
      value: `${figure('scan.layers.rate', 'MB/s')} of ${figure('scan.layers.ceiling', 'MB/s')} = ${share === undefined ? '—' : share.toFixed(2)}`,
      verdict: judged(share, (value) => value >= 0.8),
    },
    { figure: 'images scanned per minute, mixed set', target: '—', value: figure('scan.mixed.rate', 'image/min'), verdict: median(results, 'scan.mixed.rate') === undefined ? 'no figure' : 'no target' },
    {
      figure: `new advisory reaching the stored inventories${fewer}`, target: '< 5 s',
      value: `${figure('scan.rescan.seconds', 's')} (${figure('scan.rescan.reached', 'images')} reached)`, verdict: judged(rescan, (value) => value < 5),
    },
    { figure: `peak RSS scanning one large layer${smaller}`, target: '< 300 MiB', value: figure('scan.memory.peak', 'MiB'), verdict: judged(peak, (value) => value < 300) },
    {
      figure: 'push throughput lost while scans run', target: '≤ 10%',
      value: `${figure('scan.push.loss', '%')} (${figure('scan.push.on', 'image/s')} vs ${figure('scan.push.off', 'image/s')})`, verdict: judged(loss, (value) => value <= 10),
    },
  ];
}

/** The targets table printed after the main one; undefined when the scan session did not run. */
export function formatScanTargets(results: Results, profile: Profile): string | undefined {
  const targets = scanTargets(results, profile);
  if (targets.length === 0) return undefined;
  const header = ['figure', 'target', 'Berth (median over rounds)', ''];
  const rows = targets.map((target) => [target.figure, target.target, target.value, target.verdict]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const render = (row: string[]): string => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [
    'Scan targets (issue 13). Berth only: Distribution has no vulnerability scanner, so the scan session does not run it.',
    'Throughput: compressed layer bytes over the sum of scan times (reports\' startedAt → finishedAt), against the machine\'s',
    'gzip -dc | tar -t of the same layer files, one at a time as the scanner reads them (tar reads every byte, writes no file).',
    render(header),
    widths.map((width) => '─'.repeat(width)).join('  '),
    ...rows.map(render),
  ].join('\n');
}
