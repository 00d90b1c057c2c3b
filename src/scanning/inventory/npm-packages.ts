/**
 * Installed npm packages: the `package.json` of each package directory under a `node_modules` folder
 * (`node_modules/<name>/package.json`, `node_modules/@scope/<name>/package.json`, at any nesting). An application's
 * own root `package.json` is no installed package (its dependencies are, under its `node_modules`), and the
 * `package.json` files deeper inside a package (`dist/esm/package.json` with only a `type`) are not its identity,
 * so both are left out. Lockfiles are not read: an image holds what was installed, not what was planned.
 */
import type { InstalledPackage } from '../model.js';
import { packageUrl } from './purl.js';

// npm's own limit on package names (validate-npm-package-name); versions are short.
const MAX_NAME_LENGTH = 214;
const MAX_VERSION_LENGTH = 256;

/** Whether a path is the manifest of a package directory directly under a `node_modules` folder. */
export function isNpmPackageManifest(path: string): boolean {
  const parts = path.split('/');
  if (parts.length < 3 || parts[parts.length - 1] !== 'package.json') return false;
  const directory = parts[parts.length - 2]!;
  if (parts[parts.length - 3] === 'node_modules') return !directory.startsWith('.') && !directory.startsWith('@');
  return parts.length >= 4 && parts[parts.length - 4] === 'node_modules' && parts[parts.length - 3]!.startsWith('@') && !directory.startsWith('.');
}

/** The package a manifest describes, or undefined when it is not JSON or lacks a usable name and version. */
export function parseNpmPackageJson(text: string, path: string): InstalledPackage | undefined {
  const read = readNpmPackageJson(text, path);
  return typeof read === 'string' ? undefined : read;
}

/** The package a manifest describes, or why it names none (the report names such files). */
export function readNpmPackageJson(text: string, path: string): InstalledPackage | string {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    return `not valid JSON (${error instanceof Error ? error.message.slice(0, 120) : 'unparseable'})`;
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) return 'not a JSON object';
  const { name, version } = manifest as { name?: unknown; version?: unknown };
  if (typeof name !== 'string' || typeof version !== 'string') return 'no "name" and "version" strings';
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || /[\s\\]/.test(name)) return 'its "name" is not an npm package name';
  if (version.length === 0 || version.length > MAX_VERSION_LENGTH || /\s/.test(version)) return 'its "version" is empty, too long or holds spaces';
  const pkg: InstalledPackage = { kind: 'npm', name, version, ecosystem: 'npm', purl: '', path };
  pkg.purl = packageUrl(pkg);
  return pkg;
}
