/**
 * Maven artifacts inside Java archives (jar, war, ear and their kin): every `META-INF/maven/<group>/<artifact>/
 * pom.properties` names one (a shaded jar holds several), and archives nested inside (`BOOT-INF/lib/*.jar` of a
 * Spring Boot jar, `WEB-INF/lib/*.jar` of a war, any other `*.jar` entry) are opened in turn. Archives without
 * pom.properties yield nothing: guessing from `MANIFEST.MF` or file names gives names OSV does not use.
 *
 * A nested package's `path` is the archive that holds its pom.properties, written the way Java URLs do:
 * `app.jar!/BOOT-INF/lib/snakeyaml-1.33.jar`.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate';
import type { InstalledPackage, SkippedFile } from '../model.js';
import { packageUrl } from './purl.js';

/** The separator between an archive's path and an entry inside it. */
export const NESTED_ARCHIVE_SEPARATOR = '!/';

/**
 * Archives are written by strangers. The caps bound the work and memory one archive can ask for: how deep archives
 * may nest, how many central-directory records are visited (ZIP64 lets a 100-byte file claim 4 billion), and how
 * many bytes are inflated in all, nested archives included (fflate inflates an entry into a buffer of the size it
 * declares and no further, and the declared size is charged before, so a bomb stops at the cap).
 */
export interface JavaArchiveLimits {
  maxNestingDepth: number;
  maxEntries: number;
  maxInflatedBytes: number;
}

export const defaultJavaArchiveLimits: Readonly<JavaArchiveLimits> = {
  maxNestingDepth: 3,
  maxEntries: 200_000,
  maxInflatedBytes: 256 * 1024 * 1024,
};

const MAX_POM_PROPERTIES_SIZE = 64 * 1024;
const MAX_PACKAGES = 10_000;
const STORED = 0;
const DEFLATED = 8;
const ARCHIVE_EXTENSIONS = ['.jar', '.war', '.ear', '.par', '.sar', '.jpi', '.hpi'];
const COORDINATE = /^[A-Za-z0-9_.-]{1,256}$/;
const VERSION = /^[^\s${}]{1,256}$/;

/** Whether a file name is that of a Java archive this module opens. */
export function isJavaArchiveName(path: string): boolean {
  const lower = path.toLowerCase();
  return ARCHIVE_EXTENSIONS.some((extension) => lower.endsWith(extension) && lower.length > extension.length && lower[lower.length - extension.length - 1] !== '/');
}

interface Budget {
  limits: Readonly<JavaArchiveLimits>;
  entries: number;
  inflated: number;
  packages: number;
  /** Where archives that could not be opened are named, with why. */
  problems: SkippedFile[] | undefined;
}

class OverBudget extends Error {}

/**
 * The Maven artifacts in an archive and the archives nested in it; junk, or whatever lies past a cap, yields nothing,
 * and is named in `problems` when given (an archive without pom.properties is no problem: many jars have none).
 */
export function readJavaArchive(bytes: Uint8Array, path: string, limits: Readonly<JavaArchiveLimits> = defaultJavaArchiveLimits,
  problems?: SkippedFile[]): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  readArchive(bytes, path, 0, { limits, entries: 0, inflated: 0, packages: 0, problems }, packages);
  return packages;
}

function readArchive(bytes: Uint8Array, location: string, depth: number, budget: Budget, out: InstalledPackage[]): void {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, { filter: (entry) => admit(entry, location, depth, budget) });
  } catch (error) {
    // Not a zip, a damaged one, or over the entry cap (`admit` throws to stop fflate's loop): nothing from it.
    const why = error instanceof OverBudget ? error.message : `not a readable zip archive (${error instanceof Error ? error.message : String(error)})`;
    budget.problems?.push({ path: location, reason: why });
    return;
  }
  const seen = new Set<string>();
  for (const [name, data] of Object.entries(entries)) {
    if (!isPomProperties(name)) continue;
    const pkg = parsePomProperties(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'), location);
    if (pkg === undefined || seen.has(`${pkg.name}@${pkg.version}`) || budget.packages >= MAX_PACKAGES) continue;
    seen.add(`${pkg.name}@${pkg.version}`);
    budget.packages++;
    out.push(pkg);
  }
  for (const [name, data] of Object.entries(entries)) {
    if (isJavaArchiveName(name)) readArchive(data, `${location}${NESTED_ARCHIVE_SEPARATOR}${name}`, depth + 1, budget, out);
  }
}

/** Whether fflate should extract an entry; the sizes an entry declares are charged before it is inflated. */
function admit(entry: UnzipFileInfo, location: string, depth: number, budget: Budget): boolean {
  if (++budget.entries > budget.limits.maxEntries) throw new OverBudget(`more zip entries than the ${budget.limits.maxEntries} read in all`);
  if (entry.compression !== STORED && entry.compression !== DEFLATED) return false;
  const size = Math.max(entry.size, entry.originalSize);
  const wanted = isPomProperties(entry.name)
    ? size <= MAX_POM_PROPERTIES_SIZE
    : depth < budget.limits.maxNestingDepth && isJavaArchiveName(entry.name);
  if (!wanted) return false;
  if (budget.inflated + size > budget.limits.maxInflatedBytes) {
    budget.problems?.push({ path: `${location}${NESTED_ARCHIVE_SEPARATOR}${entry.name}`, reason: `not opened: it would inflate past the ${budget.limits.maxInflatedBytes} bytes read from one archive` });
    return false;
  }
  budget.inflated += size;
  return true;
}

function isPomProperties(name: string): boolean {
  return name.startsWith('META-INF/maven/') && name.endsWith('/pom.properties');
}

/** A pom.properties (java.util.Properties text: `key=value`, `key: value` or `key value`, `#` and `!` comments). */
export function parsePomProperties(text: string, path: string): InstalledPackage | undefined {
  const properties = new Map<string, string>();
  for (const line of text.split('\n', 1000)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed[0] === '#' || trimmed[0] === '!') continue;
    const separator = /[=:\s]/.exec(trimmed);
    if (separator === null) continue;
    const key = trimmed.slice(0, separator.index);
    const value = trimmed.slice(separator.index + 1).replace(/^[\s=:]+/, '').trim();
    if (key === 'groupId' || key === 'artifactId' || key === 'version') properties.set(key, value);
  }
  const groupId = properties.get('groupId');
  const artifactId = properties.get('artifactId');
  const version = properties.get('version');
  if (groupId === undefined || artifactId === undefined || version === undefined) return undefined;
  // An unfiltered template (`version=${project.version}`) names no release.
  if (!COORDINATE.test(groupId) || !COORDINATE.test(artifactId) || !VERSION.test(version)) return undefined;
  const pkg: InstalledPackage = { kind: 'maven', name: `${groupId}:${artifactId}`, version, ecosystem: 'Maven', purl: '', path };
  pkg.purl = packageUrl(pkg);
  return pkg;
}
