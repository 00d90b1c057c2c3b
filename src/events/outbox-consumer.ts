import type { EventType, RegistryEvent } from './registry-event.js';

/**
 * Something that reacts to what happens in the registry: the audit log, webhooks, later scanning and replication.
 * It reads the outbox in order from a cursor of its own, at least once: after a crash or a lost lease, events it
 * handled may come again, so handling must be idempotent (or dedupe by `event.id`).
 */
export interface OutboxConsumer {
  /** The cursor's key in the database; never renamed, or the consumer starts over at the head. */
  readonly name: string;
  /** The event types it wants; the cursor moves past the others without calling it. All types when absent. */
  readonly types?: ReadonlySet<EventType>;
  /** Handles one batch, in order; throwing leaves the cursor where it was, and the batch comes again later. */
  handle(events: readonly RegistryEvent[], signal: AbortSignal): Promise<void>;
}
