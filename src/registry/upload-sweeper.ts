import type { Logger } from 'pino';
import type { UploadService } from './upload-service.js';

/**
 * Expires abandoned upload sessions on a timer. Runs once at start-up too, where it also removes upload bytes
 * left without a session by a crash mid-push.
 */
export class UploadSweeper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly uploads: UploadService,
    private readonly expireAfterMs: number,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const orphans = await this.uploads.removeOrphans();
    if (orphans > 0) this.log.info({ removed: orphans }, 'removed upload leftovers of unfinished pushes');
    await this.sweep();
    this.#timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.#timer.unref();
  }

  async sweep(): Promise<void> {
    if (this.#running) return this.#running;
    this.#running = (async () => {
      try {
        const removed = await this.uploads.sweep(Date.now() - this.expireAfterMs);
        if (removed > 0) this.log.info({ removed }, 'expired abandoned uploads');
      } catch (error) {
        this.log.error({ err: error }, 'upload sweep failed');
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
