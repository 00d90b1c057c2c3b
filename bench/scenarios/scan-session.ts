import { GiB } from '../client/content.js';
import type { Profile } from '../profiles.js';
import type { Session } from '../session.js';
import { scanSessionEnv } from './scan-feed.js';
import { scanMemory } from './scan-memory.js';
import { scanMixed } from './scan-mixed.js';
import { scanPushLoad } from './scan-push-load.js';
import { scanRescan } from './scan-rescan.js';
import { seedDiskBytes } from './scan-seed.js';
import { scanThroughput } from './scan-throughput.js';

/**
 * Berth's vulnerability scanner, measured against issue 13's targets (scan-targets.ts). Berth only: Distribution
 * has no scanner. Access control is on, since refreshing the advisory feed and following its job take an
 * administrator; the feed is a local folder of the bench's own advisories (scan-feed.ts).
 */
export const scanSession: Session = {
  id: 'scan',
  auth: true,
  servers: ['berth'],
  env: (sharedDir) => scanSessionEnv(sharedDir),
  scenarios: [scanThroughput, scanMixed, scanRescan, scanMemory, scanPushLoad],
};

/**
 * Disk the scan session needs at most: its layers (made once, about 3 GiB in full), the blob stores of the servers
 * of one round, and the rescan's seeded database.
 */
export function scanDiskNeed(profile: Profile): number {
  const { throughput, mixed, largeLayerBytes, inventories } = profile.scan;
  const layers = throughput.variants * 0.35 * GiB * throughput.scale + mixed.images * 0.07 * GiB * mixed.scale + largeLayerBytes;
  return 2 * layers + seedDiskBytes(inventories) + GiB;
}
