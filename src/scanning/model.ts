// The vocabulary the scanner's parts share: what an image contains (its inventory), how one ecosystem orders its
// versions, and what a match of an installed package against an advisory produces. Parsing layers, reading package
// databases, ordering versions and matching advisories are separate modules that meet only through these types.

/** The package managers and language ecosystems whose installed packages the inventory records. */
export type PackageKind = 'dpkg' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'go' | 'maven';

/** One installed package, as read from the merged file system of an image's layers. */
export interface InstalledPackage {
  kind: PackageKind;
  /** The name as installed: dpkg's binary package, apk's `P:`, rpm NAME, npm `name`, PEP 503-normalised PyPI name,
   *  Go module path (`stdlib` for the toolchain), Maven `groupId:artifactId`. */
  name: string;
  /** The installed version as the ecosystem writes it (dpkg with epoch, apk with `-rN`, rpm `[epoch:]version-release`). */
  version: string;
  /** OS packages are matched by their source: dpkg `Source:` (else the binary), apk `o:` origin, rpm's SOURCERPM name. */
  sourceName?: string;
  /** dpkg's source version when `Source: name (version)` gives one (a binNMU), else the binary's version. */
  sourceVersion?: string;
  arch?: string;
  /** The OSV ecosystem the package is matched in: `Debian:12`, `Alpine:v3.20`, `npm`, `PyPI`, `Go`, `Maven`, ... */
  ecosystem: string;
  /** Package URL (purl) for SBOMs. */
  purl: string;
  /** The file in the merged tree this package was read from, without a leading slash. */
  path: string;
}

/** The operating system an image is built on, from `etc/os-release` (or the distro's own release file). */
export interface Distro {
  id: string;
  versionId: string;
  prettyName?: string;
  /** The OSV ecosystem of its OS packages, or undefined for a distro OSV has no data for. */
  ecosystem?: string;
}

export interface Inventory {
  distro?: Distro;
  packages: InstalledPackage[];
  /**
   * Files of the merged view (or tar entries) the scanner met but could not read, each with why: an image whose
   * `package.json` is not JSON is still scanned, and the person reading the report learns what it could not see.
   */
  skipped?: SkippedFile[];
}

/** A file an inventory leaves out: its path in the merged view (a nested archive's as `outer.jar!/inner.jar`), and why. */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** One ecosystem's version order. `compare` returns <0, 0 or >0; `isValid` says whether a string is a version of it. */
export interface VersionOrder {
  compare(a: string, b: string): number;
  isValid(version: string): boolean;
}

export type Severity = 'UNKNOWN' | 'NEGLIGIBLE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

/** An installed package matched by an advisory. */
export interface Finding {
  /** The advisory's id (`GHSA-…`, `DSA-…`, `ALPINE-CVE-…`). */
  id: string;
  aliases: string[];
  /** The package as installed (the binary for OS packages) and its installed version. */
  packageName: string;
  installedVersion: string;
  kind: PackageKind;
  ecosystem: string;
  path: string;
  /** The lowest fixed version above the installed one among the ranges that hold it; null when none is known. */
  fixedVersion: string | null;
  severity: Severity;
  /** The CVSS score behind the severity, when one was computed. */
  score?: number;
  summary?: string;
}

/** A file read in part, so that memory stays bounded whatever its size: its first `head` bytes, then a window. */
export interface PartialRead {
  readonly head: number;
  /** The bytes wanted past the head, read from the head (an ELF's program headers say where its data starts). */
  window(head: Buffer): { readonly from: number; readonly length: number } | undefined;
}

/** Bytes of a file from offset `from`. */
export interface FileWindow {
  readonly from: number;
  readonly bytes: Buffer;
}

/**
 * Where the layer walker hands over the files of an image's merged file system. The walker reads layers from the
 * top one down, so the first time it meets a path is the version the merged view shows; paths hidden by a whiteout,
 * an opaque directory or a non-directory above are never offered.
 */
export interface LayerFileSink {
  /**
   * Whether the walker should read this regular file and pass it to `take`: whole (`true`; the sink caps the size),
   * or in part (a large executable: its head, then the one window of bytes the head points to).
   */
  wants(path: string, size: number, mode: number): boolean | PartialRead;
  /**
   * The bytes of a wanted file (of a partial read: its head, and the window when the head pointed to one); called at
   * most once per path. May keep them or extract what it needs and drop them.
   */
  take(path: string, bytes: Buffer, window?: FileWindow): void | Promise<void>;
  /**
   * A symbolic link (or hard link: `hard`) visible in the merged view. A symlink's `target` is as written in the tar
   * entry (relative to the link's directory, or absolute); a hard link's names an entry of the same archive, normalised
   * like every path here.
   */
  link(path: string, target: string, hard: boolean): void;
}
