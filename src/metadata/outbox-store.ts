import type { NewRegistryEvent, RegistryEvent } from '../events/registry-event.js';

/**
 * The outbox's reading side, and its writing side for events that go with no other change (pulls, gathered in
 * batches). Events of a state change are written by the change's own transaction (MetadataStore). Consumers read in
 * id order from a cursor of their own, held by one node at a time under a lease, so any node can feed any consumer
 * and a node that dies hands its consumers to another once the lease runs out. Every implementation passes the
 * outbox part of test/suites/metadata-store.suite.ts.
 */
export interface OutboxStore {
  /** Appends events in one statement. */
  append(events: readonly NewRegistryEvent[]): Promise<void>;
  /** Events after position `after`, in id order, at most `limit`. */
  read(after: number, limit: number): Promise<RegistryEvent[]>;
  /** The highest event id written so far; 0 when there is none. */
  head(): Promise<number>;
  /**
   * Gives each consumer without a cursor one at the current head: a new consumer starts with what happens next, not
   * with history. Consumers that have a cursor keep it.
   */
  ensureCursors(consumers: readonly string[], now: number): Promise<void>;
  /** Marks the consumers' cursors as in use now (their consumers exist), without moving them. */
  touchCursors(consumers: readonly string[], now: number): Promise<void>;
  /** A consumer's cursor, or undefined when it has none. */
  cursor(consumer: string): Promise<OutboxCursor | undefined>;
  /**
   * Takes or renews the lease on a consumer's cursor for `owner` until `leaseUntil`; answers the cursor's position,
   * or undefined when another owner holds an unexpired lease (or there is no cursor).
   */
  claimCursor(consumer: string, owner: string, leaseUntil: number, now: number): Promise<number | undefined>;
  /** Moves the cursor to `position` if `owner` still holds its lease; false when the lease was lost. */
  advanceCursor(consumer: string, owner: string, position: number, now: number): Promise<boolean>;
  /** Gives the lease up, so another node may take the consumer at once. */
  releaseCursor(consumer: string, owner: string): Promise<void>;
  /**
   * Deletes up to `limit` of the oldest events that every consumer with a cursor has passed, whichever node's code
   * knows it (during a rolling upgrade, another node may feed a consumer this one does not have); answers how many.
   * A cursor untouched since `staleBefore` is left out: its consumer is gone (removed from the code), and would hold
   * the outbox forever.
   */
  trim(limit: number, staleBefore: number): Promise<number>;
}

export interface OutboxCursor {
  readonly consumer: string;
  readonly position: number;
  readonly leaseOwner: string | undefined;
  readonly leaseUntil: number | undefined;
}
