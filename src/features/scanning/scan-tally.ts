/** What this node's scanner did since start, counted as it happens and read by /metrics when scraped. */
export interface ScanTally {
  /** Scans by outcome. */
  completed: number;
  failed: number;
  unsupported: number;
  /** Seconds spent in completed and failed scans. */
  seconds: number;
  /** Images matched again from their stored inventories after the feed changed. */
  rematched: number;
}

export function newScanTally(): ScanTally {
  return { completed: 0, failed: 0, unsupported: 0, seconds: 0, rematched: 0 };
}
