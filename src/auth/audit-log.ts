import type { Logger } from 'pino';
import type { AccessStore, AuditEvent, AuditFilter, NewAuditEvent } from '../metadata/access-store.js';

const flushEveryMs = 200;
const flushAtEvents = 500;
const maxBuffered = 50_000;

/**
 * The audit log: who did what, to which repository and digest, when, from where, and whether it was allowed.
 * Events are gathered for at most 200 ms and written in one statement, so that recording every pull costs the pull
 * path a push onto an array rather than a database write each; `flush` and `close` write what is pending. A crash
 * can lose the last 200 ms of events, never a half-written one.
 */
export class AuditLog {
  readonly #store: AccessStore;
  readonly #log: Logger;
  #pending: NewAuditEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(store: AccessStore, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  record(event: NewAuditEvent): void {
    if (this.#pending.length >= maxBuffered) {
      // The database is not keeping up (or is down): say so rather than grow without bound.
      if (this.#dropped++ % 1000 === 0) this.#log.error({ dropped: this.#dropped }, 'audit events dropped: the metadata database is not accepting writes');
      return;
    }
    this.#pending.push(event);
    if (this.#pending.length >= flushAtEvents) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), flushEveryMs).unref();
  }

  /** Writes every event recorded so far; resolves once they are stored. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    this.#writing = this.#writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.#store.appendAudit(batch);
      } catch (error) {
        this.#log.error({ err: error, events: batch.length }, 'audit events could not be written; retrying with the next batch');
        this.#pending.unshift(...batch.slice(0, Math.max(0, maxBuffered - this.#pending.length)));
        this.#timer ??= setTimeout(() => void this.flush(), 1000).unref();
      }
    });
    return this.#writing;
  }

  /** Events newest first; pending events are written first so a query sees everything recorded before it. */
  async query(filter: AuditFilter): Promise<AuditEvent[]> {
    await this.flush();
    return this.#store.queryAudit(filter);
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
