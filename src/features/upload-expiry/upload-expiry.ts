import type { Logger } from 'pino';
import type { UploadService } from '../../registry/upload-service.js';
import type { Feature } from '../feature.js';

export interface UploadExpiryOptions {
  /** An upload session untouched this long is abandoned. */
  readonly expireAfterMs: number;
  readonly everyMs: number;
  /**
   * How old an upload without a session must be before start-up removes it: none for a store this node has to
   * itself; where nodes share the store, long enough that no other node is still streaming into it (a monolithic
   * push streams into an upload that has no session row yet).
   */
  readonly orphanGraceMs: number;
  readonly log: Logger;
}

/**
 * Expires abandoned upload sessions with their bytes, once per interval for the whole cluster (`uploads.sweep`). At
 * start-up each node also sweeps once itself, which removes upload bytes a crash mid-push left without a session.
 */
export function uploadExpiry(uploads: UploadService, options: UploadExpiryOptions): Feature {
  const sweep = async (): Promise<void> => {
    const removed = await uploads.sweep(Date.now() - options.expireAfterMs);
    if (removed > 0) options.log.info({ removed }, 'expired abandoned uploads');
  };
  return {
    name: 'upload-expiry',
    jobs: [{ kind: 'uploads.sweep', everyMs: options.everyMs, run: sweep }],
    async start() {
      const orphans = await uploads.removeOrphans(options.orphanGraceMs > 0 ? Date.now() - options.orphanGraceMs : undefined);
      if (orphans > 0) options.log.info({ removed: orphans }, 'removed upload leftovers of unfinished pushes');
      await sweep();
    },
  };
}
