import { join } from 'node:path';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import type { StoredPackage } from '../../src/metadata/scan-store.js';

/**
 * The inventory a Berth running on the embedded store kept for an image, read from its database file through the
 * scan store's own contract (a second connection, as another process sharing the file would open), in stored order.
 * The API reports only the count; tests that check an inventory package by package read it here.
 */
export async function storedInventory(dataDir: string, digest: string): Promise<StoredPackage[]> {
  const store = await openSqliteMetadataStore(join(dataDir, 'berth.db'));
  try {
    return await store.scans().packages(digest);
  } finally {
    await store.close();
  }
}
