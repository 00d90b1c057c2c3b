import type { Readable } from 'node:stream';
import type { Descriptor } from '../../oci/manifest.js';
import { InventoryCollector } from '../../scanning/inventory/inventory-collector.js';
import { LayerError, LayerLimitError } from '../../scanning/layers/layer-errors.js';
import { walkMergedLayers, type WalkLimits, type WalkSummary } from '../../scanning/layers/merged-walker.js';
import type { Inventory, SkippedFile } from '../../scanning/model.js';

/**
 * An image's inventory, read from its layers' merged file system: the layers are streamed from the blob store one
 * after another (top one first), each checked against its digest as it is read, and only the files package managers
 * and language ecosystems record are kept. Layers are untrusted input: what the walk refuses (a name that climbs out
 * of the root) and what the collector cannot read (a `package.json` that is not JSON, a status file past its size
 * cap) is listed in `inventory.skipped`, and `skippedNote` says it in a sentence for the report.
 */
export async function readImageInventory(layers: readonly Descriptor[], readBlob: (digest: string) => Promise<Readable>,
  limits: Partial<WalkLimits> = {}, pace?: () => Promise<void>): Promise<{ inventory: Inventory; walk: WalkSummary }> {
  const collector = new InventoryCollector();
  let walk: WalkSummary;
  try {
    walk = await walkMergedLayers(layers.map((layer) => ({ mediaType: layer.mediaType, digest: layer.digest, open: () => readBlob(layer.digest) })),
      collector, limits, pace);
  } catch (error) {
    if (!(error instanceof LayerError) || error.layer === undefined || layers[error.layer] === undefined) throw error;
    // The walker counts layers from 0 at the bottom; a person looks for the layer by its digest.
    const configured = error instanceof LayerLimitError ? configuredLimits.get(error.limit) : undefined;
    const what = configured === undefined ? error.message.replace(/^layer \d+: /, '') : configured(error as LayerLimitError);
    throw new LayerError(`${what} (layer ${error.layer + 1} of ${layers.length}, ${layers[error.layer]!.digest})`, undefined, { cause: error });
  }
  const inventory = collector.finish();
  const refused = walk.rejected.map((entry) => ({ path: `${entry.name} (a tar entry of layer ${entry.layer + 1})`, reason: entry.reason }));
  if (refused.length > 0) inventory.skipped = [...refused, ...(inventory.skipped ?? [])];
  return { inventory, walk };
}

/** The walk limits an operator sets (`scanning.*`), with the sentence that says which was passed and how to raise it. */
const configuredLimits: ReadonlyMap<string, (error: LayerLimitError) => string> = new Map([
  ['maxUncompressedBytes', (error: LayerLimitError) => `the image's layers inflate past ${error.value} bytes, the limit scanning.maxUncompressedBytes `
    + '(BERTH_SCAN_MAX_UNCOMPRESSED_BYTES) sets: a decompression bomb, or an image larger than this registry scans; raise the limit to scan it'],
]);

/** How many skipped files the note names; it counts the rest. */
const NAMED_IN_NOTE = 10;

/**
 * The files a scan skipped, in one sentence for the report's reason (a done scan has no other use for it):
 * undefined when none were.
 */
export function skippedNote(skipped: readonly SkippedFile[] | undefined): string | undefined {
  if (skipped === undefined || skipped.length === 0) return undefined;
  const named = skipped.slice(0, NAMED_IN_NOTE).map((file) => `${file.path}: ${file.reason}`);
  const more = skipped.length > NAMED_IN_NOTE ? `; and ${skipped.length - NAMED_IN_NOTE} more` : '';
  return `${skipped.length === 1 ? 'one file was' : `${skipped.length} files were`} skipped, so packages they hold are not in the inventory: ${named.join('; ')}${more}`;
}
