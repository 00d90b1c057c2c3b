import type { Logger } from 'pino';

export interface BatcherOptions {
  /** What the items are, for log lines ("audit events", "pull events"). */
  readonly what: string;
  readonly flushEveryMs?: number;
  readonly flushAt?: number;
  /** Items held at most while the database is not accepting writes; past it, new items are dropped (and logged). */
  readonly maxBuffered?: number;
}

/**
 * Gathers items for a short while and writes them in one call: the audit log and pull events use it so that
 * recording every pull costs the pull path a push onto an array, not a database write each. A crash loses at most
 * the items of the last interval; a failed write keeps them for the next one.
 */
export class Batcher<T> {
  readonly #write: (items: readonly T[]) => Promise<void>;
  readonly #log: Logger;
  readonly #what: string;
  readonly #flushEveryMs: number;
  readonly #flushAt: number;
  readonly #maxBuffered: number;
  #pending: T[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(write: (items: readonly T[]) => Promise<void>, log: Logger, options: BatcherOptions) {
    this.#write = write;
    this.#log = log;
    this.#what = options.what;
    this.#flushEveryMs = options.flushEveryMs ?? 200;
    this.#flushAt = options.flushAt ?? 500;
    this.#maxBuffered = options.maxBuffered ?? 50_000;
  }

  add(item: T): void {
    if (this.#pending.length >= this.#maxBuffered) {
      // The database is not keeping up (or is down): say so rather than grow without bound.
      if (this.#dropped++ % 1000 === 0) this.#log.error({ dropped: this.#dropped }, `${this.#what} dropped: the metadata database is not accepting writes`);
      return;
    }
    this.#pending.push(item);
    if (this.#pending.length >= this.#flushAt) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushEveryMs).unref();
  }

  /** Writes every item added so far; resolves once they are stored (or kept for a retry). */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    this.#writing = this.#writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.#write(batch);
      } catch (error) {
        this.#log.error({ err: error, count: batch.length }, `${this.#what} could not be written; retrying with the next batch`);
        this.#pending.unshift(...batch.slice(0, Math.max(0, this.#maxBuffered - this.#pending.length)));
        this.#timer ??= setTimeout(() => void this.flush(), 1000).unref();
      }
    });
    return this.#writing;
  }
}
