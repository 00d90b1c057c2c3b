/**
 * Entry names in a layer's tar, as the merged view keys them, and the whiteout files that delete paths of lower
 * layers (opencontainers/image-spec `layer.md`). Names are written by strangers: nothing here touches a file system,
 * and a name that would leave the image's root is refused rather than repaired.
 */

/** The prefix of a whiteout file: `dir/.wh.name` deletes `dir/name` (and all under it) from lower layers. */
export const WHITEOUT_PREFIX = '.wh.';
/** The opaque marker: `dir/.wh..wh..opq` hides every child of `dir` in lower layers. */
export const OPAQUE_MARKER = '.wh..wh..opq';
/** Names starting with this are reserved for the layer format (aufs's `.wh..wh.plnk`, `.wh..wh.aufs`). */
const RESERVED_PREFIX = '.wh..wh.';

/**
 * The path of a tar entry relative to the image's root, without a leading `/` or `./`, empty components or `.`:
 * `./usr//lib/` → `usr/lib`. `..` is resolved lexically, as Docker and containerd clean names before extracting;
 * a name that climbs above the root, or contains NUL, gives undefined. The root itself (`./`, `/`) gives ''.
 */
export function normaliseTarPath(name: string): string | undefined {
  if (name.includes('\0')) return undefined;
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.pop() === undefined) return undefined;
      continue;
    }
    parts.push(part);
  }
  return parts.join('/');
}

/** The directory holding a normalised path: '' for a top-level name. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** What a whiteout entry does to lower layers; `reserved` is a name of the layer format that is neither. */
export type Whiteout =
  | { readonly kind: 'whiteout'; readonly hides: string }
  | { readonly kind: 'opaque'; readonly directory: string }
  | { readonly kind: 'reserved' };

/**
 * The whiteout a normalised path is, or undefined for an ordinary file. Whiteouts are markers, never files of the
 * merged view; so is anything under a directory whose name starts with `.wh.` (aufs keeps hard-link bookkeeping
 * there), which comes back as `reserved`.
 */
export function readWhiteout(path: string): Whiteout | undefined {
  if (!path.includes(WHITEOUT_PREFIX)) return undefined;
  const parent = parentOf(path);
  const name = parent === '' ? path : path.slice(parent.length + 1);
  if (parent.split('/').some((part) => part.startsWith(WHITEOUT_PREFIX))) return { kind: 'reserved' };
  if (!name.startsWith(WHITEOUT_PREFIX)) return undefined;
  if (name === OPAQUE_MARKER) return { kind: 'opaque', directory: parent };
  const hidden = name.slice(WHITEOUT_PREFIX.length);
  if (name.startsWith(RESERVED_PREFIX) || hidden === '' || hidden === '.' || hidden === '..') return { kind: 'reserved' };
  return { kind: 'whiteout', hides: parent === '' ? hidden : `${parent}/${hidden}` };
}
