import { KiB } from '../client/content.js';
import { pushSmallImage, smallImage } from '../client/images.js';
import type { RegistryClient } from '../client/registry.js';

/** The repository warm-up traffic goes to (the catalog holds it too). */
export const warmUpRepository = 'bench/warmup';

/**
 * Untimed traffic through every path a scenario is about to time (blob uploads, manifest PUT/GET, blob GET), so
 * that a freshly started registry has compiled and cached what it needs and the first timed phase is not a cold
 * start. Run by each scenario before its first phase.
 */
export async function warmUp(client: RegistryClient, images = 8): Promise<void> {
  for (let i = 0; i < images; i++) {
    const image = smallImage(64 * KiB);
    await pushSmallImage(client, warmUpRepository, `w${i}`, image);
    await client.manifest(warmUpRepository, `w${i}`);
    await client.manifest(warmUpRepository, `w${i}`, 'HEAD');
    await client.pullBlob(warmUpRepository, image.layerDigest, image.layer.length);
    await client.headBlob(warmUpRepository, image.layerDigest);
  }
  await client.listAll(`/v2/${warmUpRepository}/tags/list`, 'tags');
}
