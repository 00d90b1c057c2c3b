/**
 * Package URLs (github.com/package-url/purl-spec) for the packages an inventory lists, so an SBOM names them the way
 * other tools do: `pkg:deb/debian/bash@5.2.15-2+b8?arch=amd64&distro=debian-12`, `pkg:npm/%40babel/core@7.0.0`.
 * Namespace and name segments and the version are percent-encoded (a `:` is left readable, as the spec allows);
 * qualifiers are sorted by key and those without a value are left out.
 */
import type { Distro, PackageKind } from '../model.js';

export interface PackageIdentity {
  kind: PackageKind;
  name: string;
  version: string;
  arch?: string;
}

export function packageUrl(pkg: PackageIdentity, distro?: Distro): string {
  switch (pkg.kind) {
    case 'dpkg':
      return osPackageUrl('deb', distro?.id ?? 'debian', pkg, pkg.version, {}, distro);
    case 'apk':
      return osPackageUrl('apk', distro?.id ?? 'alpine', pkg, pkg.version, {}, distro);
    case 'rpm': {
      // rpm purls carry the epoch as a qualifier and `version-release` as the version.
      const colon = pkg.version.indexOf(':');
      const epoch = colon > 0 && /^\d+$/.test(pkg.version.slice(0, colon)) ? pkg.version.slice(0, colon) : undefined;
      const version = epoch === undefined ? pkg.version : pkg.version.slice(colon + 1);
      return osPackageUrl('rpm', rpmNamespace(distro), pkg, version, { epoch }, distro);
    }
    case 'npm': {
      const slash = pkg.name.startsWith('@') ? pkg.name.indexOf('/') : -1;
      if (slash === -1) return formatPurl('npm', [], pkg.name, pkg.version);
      return formatPurl('npm', [pkg.name.slice(0, slash)], pkg.name.slice(slash + 1), pkg.version);
    }
    case 'pypi':
      return formatPurl('pypi', [], pkg.name, pkg.version);
    case 'go': {
      // Go writes module versions with a `v`; the inventory keeps OSV's form without it.
      const segments = pkg.name.split('/');
      const name = segments.pop()!;
      return formatPurl('golang', segments, name, `v${pkg.version}`);
    }
    case 'maven': {
      const colon = pkg.name.indexOf(':');
      return formatPurl('maven', [pkg.name.slice(0, colon)], pkg.name.slice(colon + 1), pkg.version);
    }
  }
}

function osPackageUrl(
  type: string,
  namespace: string | undefined,
  pkg: PackageIdentity,
  version: string,
  extra: Record<string, string | undefined>,
  distro: Distro | undefined,
): string {
  const qualifiers = { ...extra, arch: pkg.arch, distro: distro ? `${distro.id}-${distro.versionId}` : undefined };
  return formatPurl(type, namespace === undefined ? [] : [namespace], pkg.name, version, qualifiers);
}

/** rpm purls name the vendor; os-release's `rhel` is Red Hat's, the others are their own. */
function rpmNamespace(distro: Distro | undefined): string | undefined {
  if (distro === undefined) return undefined;
  return distro.id === 'rhel' ? 'redhat' : distro.id;
}

function formatPurl(
  type: string,
  namespace: string[],
  name: string,
  version: string,
  qualifiers: Record<string, string | undefined> = {},
): string {
  const path = [...namespace, name].filter((segment) => segment !== '').map(encode).join('/');
  const query = Object.entries(qualifiers)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${encode(value)}`)
    .join('&');
  return `pkg:${type}/${path}@${encode(version)}${query === '' ? '' : `?${query}`}`;
}

function encode(text: string): string {
  return encodeURIComponent(text).replaceAll('%3A', ':');
}
