import type { Command } from 'commander';
import { withViewer } from './command-kit.js';
import { printJson, printLine, printTable, shortTime } from './output.js';

/** A scanner as GET /api/v1/scanners lists it. */
interface ScannerView {
  readonly name: string;
  readonly kind: 'built-in' | 'external';
  readonly active: boolean;
  readonly use: 'instead' | 'beside' | null;
  readonly url: string | null;
  readonly timeoutSeconds: number | null;
  readonly health: { readonly status: 'up' | 'down' | 'unknown'; readonly checkedAt: string | null; readonly error: string | null };
  readonly adapter: { readonly name: string; readonly vendor: string; readonly version: string } | null;
  readonly reportMediaType: string | null;
}

/**
 * `berth scanners`: the built-in scanner and the external ones (Harbor's Pluggable Scanner API adapters, such as
 * Trivy's), whether each scans images, and whether each adapter answers. Readable as the reports are.
 */
export function registerScannerCommands(program: Command): void {
  program.command('scanners')
    .description('the scanners: the built-in one and each external scanner (a Harbor Pluggable Scanner API adapter), its role and health')
    .option('--json', 'print JSON: an array of scanners, as GET /api/v1/scanners lists them')
    .action(withViewer(async (client, options) => {
      const { items } = await client.get<{ items: ScannerView[] }>('/api/v1/scanners');
      if (options.json) {
        printJson(items);
        return;
      }
      printTable(items, [
        ['name', (scanner) => scanner.name],
        ['role', (scanner) => role(scanner)],
        ['health', (scanner) => scanner.health.status],
        ['scanner', (scanner) => (scanner.adapter ? `${scanner.adapter.name} ${scanner.adapter.version}`.trim() : undefined)],
        ['checked', (scanner) => shortTime(scanner.health.checkedAt)],
        ['url', (scanner) => scanner.url],
      ]);
      for (const scanner of items.filter((item) => item.health.error !== null)) printLine(`\n${scanner.name}: ${scanner.health.error}`);
    }));
}

function role(scanner: ScannerView): string {
  if (scanner.kind === 'built-in') return scanner.active ? 'built in' : 'off (an external scanner is used instead)';
  return scanner.use === 'instead' ? 'instead of the built-in scanner' : 'beside the built-in scanner';
}
