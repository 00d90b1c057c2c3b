/**
 * apk's database, `lib/apk/db/installed` (apk-tools `doc/apk-package.5.scd`; apk v3 still writes this text form):
 * blank-line-separated blocks of `X:value` lines. `P` is the package, `V` its version, `A` its architecture and `o`
 * its origin, the aports source package that advisories name. `F` (a directory) and `R` (a file in it) list the
 * files the package installed, which the collector uses to leave out language packages apk owns.
 */
import type { InstalledPackage } from '../model.js';
import { packageUrl } from './purl.js';
import { boundedLines, type OsPackageContext } from './dpkg-status.js';

// Values are short; a longer line is junk and is skipped without being copied.
const MAX_LINE_LENGTH = 4096;
const MAX_PACKAGES = 100_000;
const TOKEN = /^[^\s]+$/;

export function parseApkInstalled(text: string, context: OsPackageContext): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  let fields = new Map<string, string>();
  const endBlock = (): void => {
    const pkg = toPackage(fields, context);
    if (pkg !== undefined && packages.length < MAX_PACKAGES) packages.push(pkg);
    fields = new Map();
  };
  for (const line of boundedLines(text, MAX_LINE_LENGTH)) {
    if (line === '') endBlock();
    else if (line !== undefined && line[1] === ':' && 'PVAo'.includes(line[0]!)) fields.set(line[0]!, line.slice(2).trim());
  }
  endBlock();
  return packages;
}

function toPackage(fields: Map<string, string>, context: OsPackageContext): InstalledPackage | undefined {
  const name = fields.get('P');
  const version = fields.get('V');
  if (name === undefined || version === undefined || !TOKEN.test(name) || !TOKEN.test(version)) return undefined;
  const origin = fields.get('o');
  const arch = fields.get('A');
  const pkg: InstalledPackage = {
    kind: 'apk',
    name,
    version,
    sourceName: origin !== undefined && TOKEN.test(origin) ? origin : name,
    ecosystem: context.distro?.ecosystem ?? '',
    purl: '',
    path: context.path,
  };
  if (arch !== undefined && TOKEN.test(arch)) pkg.arch = arch;
  pkg.purl = packageUrl(pkg, context.distro);
  return pkg;
}

/** Every file the database says a package installed (`F:dir` then `R:name` lines), relative to the root. */
export function apkInstalledPaths(text: string): string[] {
  const paths: string[] = [];
  let directory = '';
  for (const line of boundedLines(text, MAX_LINE_LENGTH)) {
    if (line === undefined || line[1] !== ':') continue;
    if (line[0] === 'F') directory = line.slice(2);
    else if (line[0] === 'R' && line.length > 2) paths.push(directory === '' ? line.slice(2) : `${directory}/${line.slice(2)}`);
    else if (line[0] === 'P') directory = '';
  }
  return paths;
}
