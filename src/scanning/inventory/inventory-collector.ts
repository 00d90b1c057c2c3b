/**
 * Builds an image's inventory from the files of its merged view, as the layer walker hands them over. Small
 * databases and release files are kept until `finish` (the distro they are matched in is known only then);
 * manifests are parsed as they come; jars and executables, which can be large, are read at once and dropped, so at
 * most one of them is held at a time.
 *
 * Language packages that an OS package installed are left out, as Trivy does: Debian's `python3-django` is
 * matched (and patched) as the dpkg package `python-django`, and its egg-info would report the same code a second
 * time, against upstream version ranges that ignore Debian's backports. Ownership comes from dpkg's
 * `info/*.list`, distroless `status.d/*.md5sums` and apk's file lines; rpm's file lists are not read, so on rpm
 * distros such packages are reported twice.
 */
import type { Distro, FileWindow, InstalledPackage, Inventory, LayerFileSink, PartialRead, SkippedFile } from '../model.js';
import { apkInstalledPaths, parseApkInstalled } from './apk-installed.js';
import { dpkgListedPaths, dpkgMd5sumsPaths, parseDpkgStatus } from './dpkg-status.js';
import { goBuildInfoWindow, goPackages, readGoBuildInfo, readGoBuildInfoWindow } from './go-buildinfo.js';
import { NESTED_ARCHIVE_SEPARATOR, isJavaArchiveName, readJavaArchive } from './java-archives.js';
import { isNpmPackageManifest, readNpmPackageJson } from './npm-packages.js';
import { identifyDistro } from './os-release.js';
import { isPythonMetadataPath, readPythonMetadata } from './python-metadata.js';
import { packageUrl } from './purl.js';
import { type RpmDatabaseKind, type RpmHeader, readRpmDatabase } from './rpm/rpm-database.js';

const MiB = 1024 * 1024;

type Role = 'release' | 'dpkg' | 'dpkg-distroless' | 'dpkg-files' | 'apk' | 'rpm' | 'npm' | 'python' | 'java' | 'executable';

// The most bytes of one file of each role that are read. Databases are kept until `finish`; real ones are a few
// MiB (Debian's status with 3000 packages is about 6 MiB). Archives and binaries are read one at a time.
const MAX_SIZE: Record<Role, number> = {
  release: 64 * 1024,
  dpkg: 64 * MiB,
  'dpkg-distroless': MiB,
  'dpkg-files': 16 * MiB,
  apk: 64 * MiB,
  rpm: 256 * MiB,
  npm: 4 * MiB,
  python: 4 * MiB,
  java: 256 * MiB,
  // Executables past PARTIAL_EXECUTABLE are read in part (their head and the window their data starts at).
  executable: 16 * 1024 * MiB,
};
// Executables larger than this are not held whole: memory stays bounded with a 2 GiB CUDA-linked binary in a layer.
const PARTIAL_EXECUTABLE = 8 * MiB;
// An ELF's header and program headers sit at its start.
const ELF_HEAD = 64 * 1024;
const executableWindow: PartialRead = { head: ELF_HEAD, window: goBuildInfoWindow };
// What each role is, in the sentence that names a file skipped for its size.
const ROLE_NAMES: Record<Role, string> = {
  release: 'a release file',
  dpkg: 'a dpkg database',
  'dpkg-distroless': 'a distroless dpkg entry',
  'dpkg-files': 'a dpkg file list',
  apk: 'an apk database',
  rpm: 'an rpm database',
  npm: 'a package.json',
  python: 'Python metadata',
  java: 'a Java archive',
  executable: 'an executable searched for Go build info',
};
// Counts that bound what is kept whatever the image: distroless status files, paths OS packages own (a large
// Debian install owns about 300,000), symbolic links and language packages.
const MAX_DISTROLESS_FILES = 10_000;
const MAX_OWNED_PATHS = 500_000;
const MAX_LINKS = 500_000;
const MAX_LANGUAGE_PACKAGES = 500_000;
// Files named as skipped; past this many the rest are skipped without a name (the report shows the first few anyway).
const MAX_SKIPPED = 1000;
// Linux's own limit on the links one path lookup follows (MAXSYMLINKS); a loop stops there.
const MAX_LINK_HOPS = 40;
const ELF_MAGIC = 0x7f454c46;
const SHARED_LIBRARY = /\.so(?:\.[0-9.]+)?$/;
const EXECUTABLE_BITS = 0o111;

const RELEASE_FILES = ['etc/os-release', 'usr/lib/os-release', 'etc/debian_version', 'etc/alpine-release'];
const DPKG_STATUS = 'var/lib/dpkg/status';
const DPKG_DISTROLESS = 'var/lib/dpkg/status.d/';
const DPKG_INFO = 'var/lib/dpkg/info/';
const APK_DATABASES = ['lib/apk/db/installed', 'usr/lib/apk/db/installed'];
// In the order one is preferred when an image holds several: rpm ≥ 4.16 writes sqlite under usr/lib/sysimage.
const RPM_DATABASES: { path: string; kind: RpmDatabaseKind }[] = ['usr/lib/sysimage/rpm', 'var/lib/rpm', 'usr/share/rpm'].flatMap(
  (directory) => [
    { path: `${directory}/rpmdb.sqlite`, kind: 'sqlite' as const },
    { path: `${directory}/Packages.db`, kind: 'ndb' as const },
    { path: `${directory}/Packages`, kind: 'bdb' as const },
  ],
);
const RPM_KIND = new Map(RPM_DATABASES.map(({ path, kind }) => [path, kind]));

export class InventoryCollector implements LayerFileSink {
  private readonly pending = new Map<string, Role>();
  private readonly kept = new Map<string, string>();
  private readonly distroless = new Map<string, string>();
  private readonly rpmHeaders = new Map<string, RpmHeader[]>();
  private readonly ownedPaths = new Set<string>();
  private readonly links: LinkTable = new Map();
  private readonly languagePackages: InstalledPackage[] = [];
  private readonly skipped: SkippedFile[] = [];

  wants(path: string, size: number, mode: number): boolean | PartialRead {
    const role = roleOf(path, mode);
    if (role === undefined) return false;
    if (size > MAX_SIZE[role]) {
      // Shared libraries carry execute bits and, in CUDA and machine-learning images, pass the cap by the dozen;
      // they are seldom Go programs, and naming each would bury the files that matter.
      if (role !== 'executable' || !SHARED_LIBRARY.test(path)) this.skip(path, `${size} bytes, more than the ${MAX_SIZE[role]} read from ${ROLE_NAMES[role]}`);
      return false;
    }
    if (role === 'dpkg-distroless' && this.distroless.size >= MAX_DISTROLESS_FILES) {
      this.skip(path, `past the ${MAX_DISTROLESS_FILES} distroless dpkg entries read`);
      return false;
    }
    this.pending.set(path, role);
    return role === 'executable' && size > PARTIAL_EXECUTABLE ? executableWindow : true;
  }

  take(path: string, bytes: Buffer, window?: FileWindow): void {
    const role = this.pending.get(path);
    this.pending.delete(path);
    if (role === undefined) return;
    switch (role) {
      case 'release':
      case 'dpkg':
      case 'apk':
        this.kept.set(path, bytes.toString('utf8'));
        return;
      case 'dpkg-distroless':
        this.distroless.set(path, bytes.toString('utf8'));
        return;
      case 'dpkg-files':
        this.own(path.endsWith('.md5sums') ? dpkgMd5sumsPaths(bytes.toString('utf8')) : dpkgListedPaths(bytes.toString('utf8')));
        return;
      case 'rpm':
        this.rpmHeaders.set(path, this.readRpmHeaders(path, bytes));
        return;
      case 'npm':
        this.addLanguagePackage(path, readNpmPackageJson(bytes.toString('utf8'), path));
        return;
      case 'python':
        this.addLanguagePackage(path, readPythonMetadata(bytes.toString('utf8'), path));
        return;
      case 'java': {
        const problems: SkippedFile[] = [];
        this.addLanguagePackages(readJavaArchive(bytes, path, undefined, problems));
        for (const problem of problems) this.skip(problem.path, problem.reason);
        return;
      }
      case 'executable': {
        if (bytes.length < 4 || bytes.readUInt32BE(0) !== ELF_MAGIC) return;
        const info = window === undefined ? readGoBuildInfo(bytes) : readGoBuildInfoWindow(bytes, window);
        if (info !== undefined) this.addLanguagePackages(goPackages(info, path));
        return;
      }
    }
  }

  link(path: string, target: string, hard: boolean): void {
    if (this.links.size < MAX_LINKS) this.links.set(path, { target, hard });
  }

  finish(): Inventory {
    const distro = identifyDistro({
      osRelease: this.read('etc/os-release') ?? this.read('usr/lib/os-release'),
      debianVersion: this.read('etc/debian_version'),
      alpineRelease: this.read('etc/alpine-release'),
    });
    const apk = this.apkDatabase();
    if (apk !== undefined) this.own(apkInstalledPaths(apk.text));
    const packages = [
      ...this.dpkgPackages(distro),
      ...(apk === undefined ? [] : parseApkInstalled(apk.text, { path: apk.path, distro })),
      ...this.rpmPackages(distro),
    ];
    const owned = new Set<string>();
    for (const path of this.ownedPaths) owned.add(resolveLinks(this.links, path) ?? path);
    const unowned = this.languagePackages.filter((pkg) => !owned.has(pkg.path.split(NESTED_ARCHIVE_SEPARATOR)[0]!));
    // By path, so the result does not depend on the order of layers; stable, so one file's packages keep theirs.
    unowned.sort((a, b) => compareText(a.path, b.path));
    packages.push(...unowned);
    const inventory: Inventory = distro === undefined ? { packages } : { distro, packages };
    if (this.skipped.length > 0) inventory.skipped = this.skipped;
    return inventory;
  }

  /** The text of a kept file, following links through the merged view. */
  private read(path: string): string | undefined {
    const resolved = this.resolve(path);
    return resolved === undefined ? undefined : this.kept.get(resolved);
  }

  /** `resolveLinks`, naming a file the scanner looks for whose links loop. */
  private resolve(path: string): string | undefined {
    const resolved = resolveLinks(this.links, path);
    if (resolved === undefined) this.skip(path, `its links loop (more than ${MAX_LINK_HOPS} followed)`);
    return resolved;
  }

  private skip(path: string, reason: string): void {
    if (this.skipped.length < MAX_SKIPPED && !this.skipped.some((skipped) => skipped.path === path)) this.skipped.push({ path, reason });
  }

  private dpkgPackages(distro: Distro | undefined): InstalledPackage[] {
    const status = this.read(DPKG_STATUS);
    const packages = status === undefined ? [] : parseDpkgStatus(status, { path: DPKG_STATUS, distro });
    const seen = new Set(packages.map(identity));
    for (const path of [...this.distroless.keys()].sort(compareText)) {
      for (const pkg of parseDpkgStatus(this.distroless.get(path)!, { path, distro }, false)) {
        if (!seen.has(identity(pkg))) packages.push(pkg);
        seen.add(identity(pkg));
      }
    }
    return packages;
  }

  /** apk's database: apk v3 may keep it under usr/lib, with lib/apk a link to it. */
  private apkDatabase(): { path: string; text: string } | undefined {
    for (const path of APK_DATABASES) {
      const resolved = this.resolve(path);
      const text = resolved === undefined ? undefined : this.kept.get(resolved);
      if (resolved !== undefined && text !== undefined) return { path: resolved, text };
    }
    return undefined;
  }

  private rpmPackages(distro: Distro | undefined): InstalledPackage[] {
    const found = RPM_DATABASES.find(({ path }) => (this.rpmHeaders.get(path)?.length ?? 0) > 0);
    if (found === undefined) return [];
    return this.rpmHeaders.get(found.path)!.map((header) => rpmPackage(header, found.path, distro));
  }

  private own(paths: string[]): void {
    for (const path of paths) {
      if (this.ownedPaths.size >= MAX_OWNED_PATHS) return;
      this.ownedPaths.add(path);
    }
  }

  /** A manifest's package, or the reason it names none. */
  private addLanguagePackage(path: string, read: InstalledPackage | string): void {
    if (typeof read === 'string') this.skip(path, read);
    else this.addLanguagePackages([read]);
  }

  private readRpmHeaders(path: string, bytes: Buffer): RpmHeader[] {
    try {
      return readRpmDatabase(RPM_KIND.get(path)!, bytes);
    } catch (error) {
      // The reader promises not to throw; a database it cannot read must not cost the rest of the inventory either.
      this.skip(path, `not a readable rpm database (${error instanceof Error ? error.message : String(error)})`);
      return [];
    }
  }

  private addLanguagePackages(packages: (InstalledPackage | undefined)[]): void {
    for (const pkg of packages) {
      if (pkg !== undefined && this.languagePackages.length < MAX_LANGUAGE_PACKAGES) this.languagePackages.push(pkg);
    }
  }
}

/** What the collector does with a file of the merged view, if anything. */
function roleOf(path: string, mode: number): Role | undefined {
  if (RELEASE_FILES.includes(path)) return 'release';
  if (path === DPKG_STATUS) return 'dpkg';
  if (path.startsWith(DPKG_DISTROLESS)) {
    const name = path.slice(DPKG_DISTROLESS.length);
    if (name === '' || name.includes('/')) return undefined;
    return name.endsWith('.md5sums') ? 'dpkg-files' : 'dpkg-distroless';
  }
  if (path.startsWith(DPKG_INFO) && path.endsWith('.list') && !path.slice(DPKG_INFO.length).includes('/')) return 'dpkg-files';
  if (APK_DATABASES.includes(path)) return 'apk';
  if (RPM_KIND.has(path)) return 'rpm';
  if (isNpmPackageManifest(path)) return 'npm';
  if (isPythonMetadataPath(path)) return 'python';
  if (isJavaArchiveName(path)) return 'java';
  if ((mode & EXECUTABLE_BITS) !== 0) return 'executable';
  return undefined;
}

/** An rpm as the inventory lists it: `[epoch:]version-release`, matched by the name of its source rpm. */
function rpmPackage(header: RpmHeader, path: string, distro: Distro | undefined): InstalledPackage {
  const version = `${header.epoch === undefined ? '' : `${header.epoch}:`}${header.version}-${header.release}`;
  const pkg: InstalledPackage = {
    kind: 'rpm',
    name: header.name,
    version,
    sourceName: sourceRpmName(header.sourceRpm) ?? header.name,
    ecosystem: distro?.ecosystem ?? '',
    purl: '',
    path,
  };
  if (header.arch !== undefined) pkg.arch = header.arch;
  pkg.purl = packageUrl(pkg, distro);
  return pkg;
}

/** `util-linux-2.32.1-42.el8_8.src.rpm` → `util-linux`: the name before the last two hyphens. */
export function sourceRpmName(sourceRpm: string | undefined): string | undefined {
  const base = sourceRpm?.replace(/\.(?:no)?src\.rpm$/, '');
  if (base === undefined || base === sourceRpm) return undefined;
  const release = base.lastIndexOf('-');
  const version = release <= 0 ? -1 : base.lastIndexOf('-', release - 1);
  return version <= 0 ? undefined : base.slice(0, version);
}

type LinkTable = Map<string, { target: string; hard: boolean }>;

/**
 * A path of the merged view with every link on the way followed (`etc/os-release` → `usr/lib/os-release` on
 * Debian; `lib/…` → `usr/lib/…` after the /usr merge), or undefined for a loop. A symbolic link's target is relative
 * to its directory unless absolute; a hard link's is a path from the root. `..` stops at the root, as in a chroot.
 */
function resolveLinks(links: LinkTable, path: string): string | undefined {
  if (links.size === 0) return path;
  let parts = path.split('/');
  let hops = 0;
  let prefix = '';
  for (let i = 0; i < parts.length; i++) {
    prefix = i === 0 ? parts[0]! : `${prefix}/${parts[i]}`;
    const link = links.get(prefix);
    if (link === undefined) continue;
    if (++hops > MAX_LINK_HOPS) return undefined;
    const base = link.hard || link.target.startsWith('/') ? '' : parts.slice(0, i).join('/');
    parts = normalisePath(`${base}/${link.target}/${parts.slice(i + 1).join('/')}`);
    i = -1;
  }
  return parts.join('/');
}

function normalisePath(path: string): string[] {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '' && part !== '.') parts.push(part);
  }
  return parts;
}

function identity(pkg: InstalledPackage): string {
  return `${pkg.name}\0${pkg.version}\0${pkg.arch ?? ''}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
