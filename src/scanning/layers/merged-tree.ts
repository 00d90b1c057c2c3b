/**
 * What the layers read so far (the upper ones) decide about the merged file system: which paths already have their
 * version, and which paths lower layers may no longer show. Layers are met from the top down, numbered as in the
 * manifest (0 = bottom), so a hide recorded by layer L applies to layers below L only: whiteouts never affect their
 * own layer, and an opaque marker hides its directory's lower children wherever it stands in its own tar.
 *
 * A tree of path components rather than a set of strings, so that checking every ancestor of a path costs one walk
 * of its components: a string set would hash each of a deep path's prefixes, quadratic in its length.
 */
export class MergedTree {
  private readonly root = new TreeNode();
  private size = 1;

  /** `maxNodes` caps the memory the tree may take (about 150 bytes a node); `onFull` says what to throw past it. */
  constructor(private readonly maxNodes: number, private readonly onFull: () => Error) {}

  /**
   * Meets an entry of `layer` at `path` (normalised, not the root). True when it is the merged view's version of
   * the path: no upper layer has it and nothing above hides it. A later entry for the same path in the same layer is
   * not. A non-directory (met or not) hides what lower layers have under it, since it replaced their directory.
   */
  meet(path: string, layer: number, isDirectory: boolean): boolean {
    const node = this.reach(path, layer);
    if (node === undefined) return false;
    const first = !node.decided;
    node.decided = true;
    if (!isDirectory) node.hideChildren(layer);
    return first;
  }

  /** A whiteout of `layer` deletes `path` and everything under it from lower layers. */
  hideSubtree(path: string, layer: number): void {
    this.reach(path, layer)?.hideSubtree(layer);
  }

  /** An opaque marker of `layer` hides every lower child of the directory `path` ('' for the root). */
  hideChildren(path: string, layer: number): void {
    (path === '' ? this.root : this.reach(path, layer))?.hideChildren(layer);
  }

  /** The node of `path`, made if missing, or undefined when an upper layer hides the path from `layer`. */
  private reach(path: string, layer: number): TreeNode | undefined {
    let node = this.root;
    for (const name of path.split('/')) {
      if (node.childrenHiddenBy > layer) return undefined;
      let child = node.children?.get(name);
      if (child === undefined) {
        if (this.size >= this.maxNodes) throw this.onFull();
        child = new TreeNode();
        node.children ??= new Map();
        node.children.set(name, child);
        this.size++;
      } else if (child.subtreeHiddenBy > layer) {
        return undefined;
      }
      node = child;
    }
    return node;
  }
}

/** Layers are met from the top down, so the first layer to hide a path hides it from the most layers: keep it. */
class TreeNode {
  children: Map<string, TreeNode> | undefined;
  decided = false;
  /** The layer whose whiteout deleted this path and all under it, or -1. */
  subtreeHiddenBy = -1;
  /** The layer whose opaque marker or non-directory hid all under this path, or -1. */
  childrenHiddenBy = -1;

  hideSubtree(layer: number): void {
    if (this.subtreeHiddenBy < 0) this.subtreeHiddenBy = layer;
  }

  hideChildren(layer: number): void {
    if (this.childrenHiddenBy < 0) this.childrenHiddenBy = layer;
  }
}
