import type { PackageKind } from './model.js';

/** Package kinds whose advisories name the source package (Debian's `Source:`, Alpine's origin, the source rpm). */
export const matchedBySource: ReadonlySet<PackageKind> = new Set(['dpkg', 'apk', 'rpm']);

/**
 * The name advisories use for an installed package, as the matcher looks it up: an OS package's source, a
 * PEP 503-normalised PyPI name, any other package's own name. The stored inventory is indexed by it, so that a
 * changed advisory finds the images it may touch.
 */
export function matchName(pkg: { readonly kind: PackageKind; readonly name: string; readonly sourceName?: string | undefined }): string {
  if (matchedBySource.has(pkg.kind)) return pkg.sourceName ?? pkg.name;
  if (pkg.kind === 'pypi') return pkg.name.toLowerCase().replace(/[-_.]+/g, '-');
  return pkg.name;
}
