import type { Logger } from 'pino';
import { Batcher } from '../events/batcher.js';
import type { NewRegistryEvent } from '../events/registry-event.js';
import type { OutboxStore } from '../metadata/outbox-store.js';

/**
 * `artifact.pulled` events, gathered for at most 200 ms and appended to the outbox in one statement: a pull changes
 * no state, so it has no transaction to ride in, and a database write per manifest GET would cost the hot path more
 * than the GET itself. A crash can lose the last 200 ms of pull events, never a state change's.
 */
export class PullRecorder {
  readonly #batch: Batcher<NewRegistryEvent>;

  constructor(outbox: OutboxStore, log: Logger) {
    this.#batch = new Batcher((events) => outbox.append(events), log, { what: 'pull events' });
  }

  record(event: NewRegistryEvent): void {
    this.#batch.add(event);
  }

  /** Writes every pull recorded so far; resolves once they are in the outbox. */
  flush(): Promise<void> {
    return this.#batch.flush();
  }
}
