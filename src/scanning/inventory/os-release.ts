/**
 * The distribution an image is built on, from `etc/os-release` (freedesktop.org os-release(5)) or, for images
 * without one, the distro's own release file (`etc/debian_version`, `etc/alpine-release`), and the OSV ecosystem
 * its OS packages are matched in (ossf/osv-schema `ecosystems.json`).
 */
import type { Distro } from '../model.js';

/** The release files an image may carry; the collector reads them from the merged tree (links resolved). */
export interface ReleaseFiles {
  osRelease?: string;
  debianVersion?: string;
  alpineRelease?: string;
}

// os-release is a few hundred bytes; anything past this is not a release file worth reading.
const MAX_RELEASE_TEXT = 64 * 1024;
const MAX_VALUE_LENGTH = 256;

/** The distro the release files describe, or undefined when none of them names one. */
export function identifyDistro(files: ReleaseFiles): Distro | undefined {
  const fields = files.osRelease === undefined ? new Map<string, string>() : parseOsRelease(files.osRelease);
  let id = fields.get('ID')?.toLowerCase();
  let versionId = printable(fields.get('VERSION_ID'));
  if (id === undefined && files.debianVersion !== undefined) id = 'debian';
  if (id === undefined && files.alpineRelease !== undefined) id = 'alpine';
  if (id === undefined || !/^[a-z0-9._-]{1,64}$/.test(id)) return undefined;
  // Debian testing and sid leave VERSION_ID out; their debian_version reads `trixie/sid`.
  if (versionId === undefined && id === 'debian') versionId = printable(firstLine(files.debianVersion));
  if (versionId === undefined && id === 'alpine') versionId = printable(firstLine(files.alpineRelease));
  if (versionId === undefined) versionId = '';
  const distro: Distro = { id, versionId };
  const prettyName = fields.get('PRETTY_NAME');
  if (prettyName !== undefined) distro.prettyName = prettyName;
  const ecosystem = osvEcosystem(id, versionId, fields.get('VERSION') ?? '');
  if (ecosystem !== undefined) distro.ecosystem = ecosystem;
  return distro;
}

/**
 * OSV's ecosystem for a distro release, or undefined where OSV has none (or none this scanner can name without
 * guessing: Red Hat's are keyed by product CPE, SUSE's by marketing name, Debian testing by no number at all).
 */
export function osvEcosystem(id: string, versionId: string, version: string): string | undefined {
  const release = /^(\d+)(?:\.(\d+))?(?:\.\d+)*$/.exec(versionId);
  if (release === null) return undefined;
  const [, major, minor] = release;
  switch (id) {
    case 'debian':
      return `Debian:${major}`;
    case 'alpine':
      return minor === undefined ? undefined : `Alpine:v${major}.${minor}`;
    case 'ubuntu':
      // LTS releases carry a mandatory `:LTS` suffix; os-release says so only in VERSION ("22.04.4 LTS (Jammy…)").
      return minor === undefined ? undefined : `Ubuntu:${major}.${minor}${/\bLTS\b/.test(version) ? ':LTS' : ''}`;
    case 'rocky':
      return `Rocky Linux:${major}`;
    case 'almalinux':
      return `AlmaLinux:${major}`;
    default:
      return undefined;
  }
}

/** `KEY=value` lines with shell-style quoting; comments, blank and malformed lines are skipped. */
export function parseOsRelease(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.slice(0, MAX_RELEASE_TEXT).split('\n')) {
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    const key = line.slice(0, equals).trim();
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) continue;
    const value = unquote(line.slice(equals + 1).trim());
    if (value !== undefined && value.length <= MAX_VALUE_LENGTH) fields.set(key, value);
  }
  return fields;
}

/** A value as os-release(5) allows it: bare, or in single or double quotes with backslash escapes. */
function unquote(raw: string): string | undefined {
  const quote = raw[0];
  if (quote !== '"' && quote !== "'") return raw;
  if (raw.length < 2 || raw[raw.length - 1] !== quote) return undefined;
  return raw.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** A version as release files write one (`12`, `3.20.3`, `trixie/sid`), or undefined for anything else. */
function printable(value: string | undefined): string | undefined {
  return value !== undefined && /^[\x21-\x7e]{1,64}$/.test(value) ? value : undefined;
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.slice(0, MAX_VALUE_LENGTH).split('\n')[0]?.trim();
  return line === undefined || line === '' ? undefined : line;
}
