import { seededChoice } from '../client/seeded-random.js';
import { word } from './scan-content.js';

/**
 * The packages the scan session's images hold, and the package databases that list them, as dpkg, apk, npm and pip
 * write them: a few well-known packages every image of a kind holds (the ones the bench's advisories name), then
 * made-up ones. A variant changes the made-up packages' versions, so images of one kind hold distinct inventories
 * whose names mostly repeat, as real images built on one base do.
 */

export interface BenchPackage {
  readonly name: string;
  readonly version: string;
  /** dpkg `Source:` or apk origin, when it differs from the name. */
  readonly source?: string;
}

/** The OSV ecosystems the images' packages are matched in. */
export const ecosystems = { debian: 'Debian:12', alpine: 'Alpine:v3.19', npm: 'npm', pypi: 'PyPI' } as const;

/** Packages every Debian-based image holds, at these versions; the feed's Debian advisories name their sources. */
export const debianCommon: readonly BenchPackage[] = [
  { name: 'libc6', version: '2.36-9+deb12u4', source: 'glibc' },
  { name: 'libc-bin', version: '2.36-9+deb12u4', source: 'glibc' },
  { name: 'libssl3', version: '3.0.11-1~deb12u2', source: 'openssl' },
  { name: 'zlib1g', version: '1:1.2.13.dfsg-1', source: 'zlib' },
  { name: 'bash', version: '5.2.15-2+b2' },
  { name: 'coreutils', version: '9.1-1' },
  { name: 'libsystemd0', version: '252.19-1~deb12u1', source: 'systemd' },
  { name: 'tar', version: '1.34+dfsg-1.2' },
  { name: 'perl-base', version: '5.36.0-7+deb12u1', source: 'perl' },
  { name: 'libgnutls30', version: '3.7.9-2+deb12u1', source: 'gnutls28' },
  { name: 'apt', version: '2.6.1' },
  { name: 'libzstd1', version: '1.5.4+dfsg2-5', source: 'libzstd' },
];

/** Packages every Alpine-based image holds; the feed's Alpine advisories name their origins. */
export const alpineCommon: readonly BenchPackage[] = [
  { name: 'musl', version: '1.2.4_git20230717-r4' },
  { name: 'busybox', version: '1.36.1-r15' },
  { name: 'zlib', version: '1.3-r2' },
  { name: 'libcrypto3', version: '3.1.4-r2', source: 'openssl' },
  { name: 'libssl3', version: '3.1.4-r2', source: 'openssl' },
  { name: 'apk-tools', version: '2.14.0-r5' },
  { name: 'ca-certificates-bundle', version: '20230506-r0', source: 'ca-certificates' },
];

export const npmCommon: readonly BenchPackage[] = [
  { name: 'lodash', version: '4.17.20' },
  { name: 'semver', version: '7.5.1' },
  { name: 'minimist', version: '1.2.5' },
  { name: 'express', version: '4.18.2' },
  { name: 'json5', version: '2.2.1' },
];

export const pypiCommon: readonly BenchPackage[] = [
  { name: 'requests', version: '2.31.0' },
  { name: 'urllib3', version: '2.0.6' },
  { name: 'setuptools', version: '65.5.0' },
  { name: 'Jinja2', version: '3.1.2' },
  { name: 'certifi', version: '2023.7.22' },
];

const pick = (size: number, stream: number, index: number, variant: number): number => seededChoice(size, 0xbe7c + variant, stream, index);

/** `count` packages of a Debian-based image: the common ones, then made-up ones, about two binaries per source. */
export function debianPackages(count: number, variant: number): BenchPackage[] {
  const made = Array.from({ length: Math.max(0, count - debianCommon.length) }, (_, index) => {
    const source = word(Math.floor(index / 2), 11);
    const upstream = `${1 + pick(5, 1, index, 0)}.${pick(30, 2, index, variant)}.${pick(9, 3, index, 0)}`;
    return { name: index % 2 === 0 ? `lib${source}${1 + (index % 5)}` : `${source}-bin`, version: `${upstream}-${1 + pick(4, 4, index, variant)}`, source };
  });
  return [...debianCommon, ...made];
}

export function alpinePackages(count: number, variant: number): BenchPackage[] {
  const made = Array.from({ length: Math.max(0, count - alpineCommon.length) }, (_, index) => ({
    name: word(index, 13),
    version: `${1 + pick(4, 1, index, 0)}.${pick(20, 2, index, variant)}.${pick(9, 3, index, 0)}-r${pick(6, 4, index, variant)}`,
  }));
  return [...alpineCommon, ...made];
}

export function npmPackages(count: number, variant: number, stream = 17): BenchPackage[] {
  const made = Array.from({ length: Math.max(0, count - npmCommon.length) }, (_, index) => ({
    name: index % 7 === 6 ? `@${word(index, stream + 1)}/${word(index, stream)}` : `${word(index, stream)}-${word(index, stream + 2)}`,
    version: `${pick(12, 1, index, 0)}.${pick(40, 2, index, variant)}.${pick(10, 3, index, variant)}`,
  }));
  return [...npmCommon, ...made];
}

export function pypiPackages(count: number, variant: number): BenchPackage[] {
  const made = Array.from({ length: Math.max(0, count - pypiCommon.length) }, (_, index) => ({
    name: `${word(index, 19)}${index % 3 === 0 ? `_${word(index, 20)}` : ''}`,
    version: `${pick(6, 1, index, 0)}.${pick(30, 2, index, variant)}.${pick(10, 3, index, variant)}`,
  }));
  return [...pypiCommon, ...made];
}

export const debianOsRelease = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\n'
  + 'VERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\n';
export const distrolessOsRelease = 'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\nVERSION="Debian GNU/Linux 12 (bookworm)"\n';
export const alpineOsRelease = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\nHOME_URL="https://alpinelinux.org/"\n';

/** One stanza of dpkg's status file (with `Status:`) or of a distroless `status.d/` file (without). */
export function dpkgStanza(pkg: BenchPackage, withStatus = true): string {
  return [
    `Package: ${pkg.name}`,
    ...(withStatus ? ['Status: install ok installed'] : []),
    'Priority: optional',
    'Section: libs',
    `Installed-Size: ${100 + (pkg.name.length * 37) % 900}`,
    'Maintainer: Bench Maintainers <bench@example.org>',
    'Architecture: amd64',
    'Multi-Arch: same',
    ...(pkg.source ? [`Source: ${pkg.source}`] : []),
    `Version: ${pkg.version}`,
    'Depends: libc6 (>= 2.34)',
    `Description: the ${pkg.name} package of the bench`,
    ` Made up for the scan session; its files are made up too.`,
  ].join('\n');
}

export const dpkgStatus = (packages: readonly BenchPackage[]): string => `${packages.map((pkg) => dpkgStanza(pkg)).join('\n\n')}\n`;

/** dpkg's `info/<package>.list`: the paths a package installed, one a line. */
export const dpkgList = (paths: readonly string[]): string => `/.\n${paths.map((path) => `/${path}`).join('\n')}\n`;

/** apk's `installed` database: a block per package, its files as `F:` folder and `R:` file lines. */
export function apkInstalled(packages: readonly { pkg: BenchPackage; files: readonly string[] }[]): string {
  return `${packages.map(({ pkg, files }) => {
    const lines = [
      'C:Q1benchbenchbenchbenchbenchbenchbe=', `P:${pkg.name}`, `V:${pkg.version}`, 'A:x86_64', 'S:123456', 'I:456789',
      `T:the ${pkg.name} package of the bench`, 'U:https://example.org/', 'L:MIT', `o:${pkg.source ?? pkg.name}`,
      'm:Bench Maintainers <bench@example.org>', 't:1700000000', 'c:0123456789abcdef0123456789abcdef01234567',
    ];
    let folder: string | undefined;
    for (const file of files) {
      const at = file.lastIndexOf('/');
      const dir = file.slice(0, at);
      if (dir !== folder) lines.push(`F:${dir}`);
      folder = dir;
      lines.push(`R:${file.slice(at + 1)}`, 'Z:Q1benchbenchbenchbenchbenchbenchbe=');
    }
    return lines.join('\n');
  }).join('\n\n')}\n\n`;
}

export const npmManifest = (pkg: BenchPackage): string => `${JSON.stringify({
  name: pkg.name, version: pkg.version, description: `the ${pkg.name} package of the bench`, main: 'index.js', license: 'MIT',
  repository: { type: 'git', url: `https://example.org/${pkg.name}.git` }, dependencies: {},
}, null, 2)}\n`;

export const pythonMetadata = (pkg: BenchPackage): string => [
  'Metadata-Version: 2.1', `Name: ${pkg.name}`, `Version: ${pkg.version}`, `Summary: the ${pkg.name} distribution of the bench`,
  'Home-page: https://example.org/', 'License: MIT', 'Requires-Python: >=3.8', '', `${pkg.name} is made up for the scan session.`, '',
].join('\n');

/** A Python distribution's `dist-info` folder name: the name with `-` as `_`, then the version. */
export const distInfoName = (pkg: BenchPackage): string => `${pkg.name.replace(/-/g, '_')}-${pkg.version}.dist-info`;
