import type { Logger } from 'pino';
import { Batcher } from '../events/batcher.js';
import type { AccessStore, AuditEvent, AuditFilter, NewAuditEvent } from '../metadata/access-store.js';

/**
 * The audit log: who did what, to which repository and digest, when, from where, and whether it was allowed.
 * Events are gathered for at most 200 ms and written in one statement, so that recording every pull costs the pull
 * path a push onto an array rather than a database write each; `flush` and `close` write what is pending. A crash
 * can lose the last 200 ms of events, never a half-written one.
 */
export class AuditLog {
  readonly #store: AccessStore;
  readonly #batch: Batcher<NewAuditEvent>;
  /** Runs before a query: brings in what the outbox holds but the audit consumer has not written yet. */
  #catchUp: () => Promise<void> = async () => {};

  constructor(store: AccessStore, log: Logger) {
    this.#store = store;
    this.#batch = new Batcher((events) => store.appendAudit(events), log, { what: 'audit events' });
  }

  record(event: NewAuditEvent): void {
    this.#batch.add(event);
  }

  /** Writes every event recorded so far; resolves once they are stored. */
  flush(): Promise<void> {
    return this.#batch.flush();
  }

  /** Registers what a query waits for first (the outbox consumer that turns registry events into audit records). */
  catchUpWith(catchUp: () => Promise<void>): void {
    this.#catchUp = catchUp;
  }

  /** Writes everything recorded before the call: pending events, and registry events still in the outbox. */
  async settle(): Promise<void> {
    await this.#catchUp();
    await this.flush();
  }

  /** Events newest first, including everything recorded before the query. */
  async query(filter: AuditFilter): Promise<AuditEvent[]> {
    await this.settle();
    return this.#store.queryAudit(filter);
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
