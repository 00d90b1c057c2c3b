/**
 * dpkg's database (deb-control(5) stanzas): `var/lib/dpkg/status`, where only packages whose `Status` ends in
 * `installed` count (`deinstall ok config-files` is a removed package whose conffiles remain), and distroless
 * images' `var/lib/dpkg/status.d/<name>` files, which carry no `Status` at all. Packages are matched by their
 * source: `Source: name (version)` for a binNMU or a binary versioned apart from its source, `Source: name` for
 * a different name with the same version, and no `Source` when source and binary are one.
 *
 * Also reads the file lists dpkg keeps (`info/<package>.list`, distroless `status.d/<name>.md5sums`) so the
 * collector can leave out language packages an OS package installed.
 */
import type { Distro, InstalledPackage } from '../model.js';
import { packageUrl } from './purl.js';

export interface OsPackageContext {
  /** The database file's path in the merged tree. */
  path: string;
  distro?: Distro;
}

// Only single-line fields are read, each a few dozen bytes; longer lines (a hostile status file can hold a
// 50 MB one) are skipped whole rather than copied.
const MAX_LINE_LENGTH = 64 * 1024;
// A full Debian desktop installs a few thousand packages.
const MAX_PACKAGES = 100_000;
const MAX_FIELD_VALUE = 512;
const TOKEN = /^[^\s()]+$/;

/**
 * The installed packages of a status file. `requireStatus` is false for distroless `status.d` files, where a
 * stanza without `Status` counts as installed; a `Status` that is present is honoured either way.
 */
export function parseDpkgStatus(text: string, context: OsPackageContext, requireStatus = true): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  let fields = new Map<string, string>();
  const endStanza = (): void => {
    const pkg = toPackage(fields, context, requireStatus);
    if (pkg !== undefined && packages.length < MAX_PACKAGES) packages.push(pkg);
    fields = new Map();
  };
  for (const line of boundedLines(text, MAX_LINE_LENGTH)) {
    if (line === undefined) continue;
    if (line.trim() === '') {
      endStanza();
      continue;
    }
    if (line[0] === ' ' || line[0] === '\t') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const value = line.slice(colon + 1).trim();
    if (value.length <= MAX_FIELD_VALUE) fields.set(line.slice(0, colon).toLowerCase(), value);
  }
  endStanza();
  return packages;
}

function toPackage(fields: Map<string, string>, context: OsPackageContext, requireStatus: boolean): InstalledPackage | undefined {
  const name = fields.get('package');
  const version = fields.get('version');
  if (name === undefined || version === undefined || !TOKEN.test(name) || !TOKEN.test(version)) return undefined;
  const status = fields.get('status');
  if (status === undefined ? requireStatus : status.split(/\s+/)[2] !== 'installed') return undefined;
  const source = parseSource(fields.get('source'));
  const arch = fields.get('architecture');
  const pkg: InstalledPackage = {
    kind: 'dpkg',
    name,
    version,
    sourceName: source?.name ?? name,
    sourceVersion: source?.version ?? version,
    ecosystem: context.distro?.ecosystem ?? '',
    purl: '',
    path: context.path,
  };
  if (arch !== undefined && TOKEN.test(arch)) pkg.arch = arch;
  pkg.purl = packageUrl(pkg, context.distro);
  return pkg;
}

/** `name` or `name (version)`; anything else is ignored, leaving the binary's own name and version. */
function parseSource(value: string | undefined): { name: string; version?: string } | undefined {
  if (value === undefined) return undefined;
  const space = value.indexOf(' ');
  if (space === -1) return TOKEN.test(value) ? { name: value } : undefined;
  const name = value.slice(0, space);
  const rest = value.slice(space + 1).trim();
  if (!TOKEN.test(name) || !rest.startsWith('(') || !rest.endsWith(')')) return undefined;
  const version = rest.slice(1, -1).trim();
  return TOKEN.test(version) ? { name, version } : { name };
}

/** The paths an `info/<package>.list` names (one absolute path a line), without the leading slash. */
export function dpkgListedPaths(text: string): string[] {
  const paths: string[] = [];
  for (const line of boundedLines(text, MAX_LINE_LENGTH)) {
    if (line?.startsWith('/') && line !== '/' && line !== '/.') paths.push(line.slice(1));
  }
  return paths;
}

/** The paths of a distroless `status.d/<name>.md5sums` (`<md5>  <path>` a line, the path relative to the root). */
export function dpkgMd5sumsPaths(text: string): string[] {
  const paths: string[] = [];
  for (const line of boundedLines(text, MAX_LINE_LENGTH)) {
    const match = line === undefined ? null : /^[0-9a-f]{32} [ *]?(.+)$/.exec(line);
    if (match !== null) paths.push(match[1]!.replace(/^\/+/, ''));
  }
  return paths;
}

/**
 * The lines of a text, each undefined when it is longer than `maxLength` (so a hostile line is never copied);
 * CRLF endings are tolerated. Shared by the line-oriented database parsers.
 */
export function* boundedLines(text: string, maxLength: number): Generator<string | undefined> {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    yield end - start > maxLength ? undefined : text.slice(start, text[end - 1] === '\r' ? end - 1 : end);
    start = end + 1;
  }
}
