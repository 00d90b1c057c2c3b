/** How the CLI prints: aligned tables for people, JSON (--json) for programs. */

export type Column<T> = readonly [heading: string, value: (row: T) => string | number | boolean | null | undefined];

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Rows under upper-case headings, columns padded to their widest cell; "-" for empty cells. */
export function printTable<T>(rows: readonly T[], columns: readonly Column<T>[]): void {
  const cells = rows.map((row) => columns.map(([, value]) => cell(value(row))));
  const headings = columns.map(([heading]) => heading.toUpperCase());
  const widths = headings.map((heading, index) => Math.max(heading.length, ...cells.map((line) => line[index]!.length)));
  const format = (line: readonly string[]): string => line.map((text, index) => (index === line.length - 1 ? text : text.padEnd(widths[index]!))).join('  ').trimEnd();
  printLine(format(headings));
  for (const line of cells) printLine(format(line));
}

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value).replace(/[\u0000-\u001f\u007f]/g, '?');
}

/** An ISO time as "2025-01-31 12:00" (UTC), short enough for a table. */
export function shortTime(iso: string | null | undefined): string | undefined {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : undefined;
}
