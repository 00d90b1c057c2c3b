/** How figures read on screen: sizes in binary units, times as "3 h ago" with the exact time in a tooltip. */

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function formatCount(count: number | null | undefined): string {
  return count === null || count === undefined ? '—' : count.toLocaleString('en');
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60], ['minute', 60], ['hour', 24], ['day', 30], ['month', 12], ['year', Number.POSITIVE_INFINITY],
];

export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  let value = (at - now) / 1000;
  for (const [unit, size] of steps) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return iso;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  return Number.isNaN(at) ? iso : new Date(at).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
}

/** sha256:0123456789ab… as the algorithm and 12 hex digits, as docker prints image ids. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return colon === -1 ? digest.slice(0, 12) : `${digest.slice(0, colon + 1)}${digest.slice(colon + 1, colon + 13)}`;
}

export function platformName(platform: { os: string; architecture: string; variant?: string | null }): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part !== undefined && part !== null && part !== '').join('/');
}
