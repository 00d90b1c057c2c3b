/**
 * Installed Python distributions, from their core metadata (packaging.python.org "Core metadata specifications"):
 * `<name>-<version>.dist-info/METADATA` (wheels, pip), `<name>.egg-info/PKG-INFO` (setuptools, most Debian
 * `python3-*` packages), `<name>.egg-info` as a single file (distutils), and `<name>.egg/EGG-INFO/PKG-INFO`.
 * Only the `Name` and `Version` headers are read; the name is normalised per PEP 503, as OSV's PyPI records are.
 */
import type { InstalledPackage } from '../model.js';
import { boundedLines } from './dpkg-status.js';
import { packageUrl } from './purl.js';

// The headers come before the description, which may be long; nothing past this many is read.
const MAX_HEADER_LINES = 500;
const MAX_LINE_LENGTH = 4096;
const MAX_VERSION_LENGTH = 128;
// PEP 508 names: ASCII letters and digits, with `.`, `_` and `-` inside.
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?$/;
const VERSION = /^[A-Za-z0-9!+._-]+$/;

/** Whether a path is a metadata file this module reads. */
export function isPythonMetadataPath(path: string): boolean {
  const file = path.slice(path.lastIndexOf('/') + 1);
  if (file.endsWith('.egg-info')) return file.length > '.egg-info'.length;
  return path.endsWith('.dist-info/METADATA') || path.endsWith('.egg-info/PKG-INFO') || path.endsWith('.egg/EGG-INFO/PKG-INFO');
}

/** PEP 503: lower case, each run of `-`, `_` and `.` as one `-`. */
export function normalisePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The distribution a metadata file describes, or undefined when its headers name none (junk, a truncated file). */
export function parsePythonMetadata(text: string, path: string): InstalledPackage | undefined {
  const read = readPythonMetadata(text, path);
  return typeof read === 'string' ? undefined : read;
}

/** The distribution a metadata file describes, or why it names none (the report names such files). */
export function readPythonMetadata(text: string, path: string): InstalledPackage | string {
  let name: string | undefined;
  let version: string | undefined;
  let count = 0;
  for (const line of boundedLines(text, MAX_LINE_LENGTH)) {
    if (line === '' || ++count > MAX_HEADER_LINES) break;
    if (line === undefined) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).toLowerCase();
    if (key === 'name' && name === undefined) name = line.slice(colon + 1).trim();
    else if (key === 'version' && version === undefined) version = line.slice(colon + 1).trim();
  }
  if (name === undefined || version === undefined) return 'no Name and Version headers';
  if (!NAME.test(name)) return 'its Name is not a Python distribution name';
  if (version.length > MAX_VERSION_LENGTH || !VERSION.test(version)) return 'its Version is not a version';
  const pkg: InstalledPackage = { kind: 'pypi', name: normalisePypiName(name), version, ecosystem: 'PyPI', purl: '', path };
  pkg.purl = packageUrl(pkg);
  return pkg;
}
