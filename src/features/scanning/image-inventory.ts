import type { Readable } from 'node:stream';
import type { Descriptor } from '../../oci/manifest.js';
import { InventoryCollector } from '../../scanning/inventory/inventory-collector.js';
import { LayerError } from '../../scanning/layers/layer-errors.js';
import { walkMergedLayers, type WalkSummary } from '../../scanning/layers/merged-walker.js';
import type { Inventory } from '../../scanning/model.js';

/**
 * An image's inventory, read from its layers' merged file system: the layers are streamed from the blob store one
 * after another (top one first) and only the files package managers and language ecosystems record are kept.
 */
export async function readImageInventory(layers: readonly Descriptor[], readBlob: (digest: string) => Promise<Readable>): Promise<{ inventory: Inventory; walk: WalkSummary }> {
  const collector = new InventoryCollector();
  try {
    const walk = await walkMergedLayers(layers.map((layer) => ({ mediaType: layer.mediaType, open: () => readBlob(layer.digest) })), collector);
    return { inventory: collector.finish(), walk };
  } catch (error) {
    // The walker counts layers from 0 at the bottom; a person looks for the layer by its digest.
    if (error instanceof LayerError && error.layer !== undefined && layers[error.layer] !== undefined) {
      throw new LayerError(`${error.message.replace(/^layer \d+: /, '')} (layer ${error.layer + 1} of ${layers.length}, ${layers[error.layer]!.digest})`, undefined, { cause: error });
    }
    throw error;
  }
}
