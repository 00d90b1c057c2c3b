import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { NewRegistryEvent, RegistryEvent } from '../events/registry-event.js';
import type { Database } from './database-schema.js';
import { fromEventRow, toEventRow, type EventRow } from './event-rows.js';
import type { OutboxCursor, OutboxStore } from './outbox-store.js';

type StoredEventRow = EventRow & { id: number };

/**
 * The embedded store's outbox: every pull adds an event, and every consumer reads every event, so appending and
 * reading run as SQL prepared once (Kysely compiled a 500-row insert per batch, which cost more per pull than the
 * pull itself). A batch is appended by one statement that reads its rows from one JSON array (json_each): binding
 * nine named values per row, row by row, cost three times as much. Appends run on the writer after any Kysely
 * transaction there has ended; reads on the reader, which sees only committed events. Cursors, rarer, stay with
 * the Kysely store.
 */
export class SqliteOutboxStore implements OutboxStore {
  readonly #cursors: OutboxStore;
  readonly #settled: () => Promise<void>;
  readonly #insert: Statement<[string]>;
  readonly #read: Statement<[number, number], StoredEventRow>;
  readonly #head: Statement<[], number | null>;

  constructor(cursors: OutboxStore, writer: SqliteDatabase, reader: SqliteDatabase, settled: () => Promise<void>) {
    this.#cursors = cursors;
    this.#settled = settled;
    // Rows in array order get ids in that order: events keep the order they were recorded in.
    this.#insert = writer.prepare<[string]>(
      'INSERT INTO events (type, repository, digest, tag, created_at, actor, actor_kind, address, data) ' +
      'SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8 FROM json_each(?)');
    this.#read = reader.prepare<[number, number], StoredEventRow>(
      'SELECT id, type, repository, digest, tag, created_at, actor, actor_kind, address, data FROM events WHERE id > ? ORDER BY id LIMIT ?');
    this.#head = reader.prepare<[], number | null>('SELECT max(id) FROM events').pluck();
  }

  async append(events: readonly NewRegistryEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.#settled();
    this.#insert.run(JSON.stringify(events.map((event) => {
      const row = toEventRow(event);
      return [row.type, row.repository, row.digest, row.tag, row.created_at, row.actor, row.actor_kind, row.address, row.data];
    })));
  }

  async read(after: number, limit: number): Promise<RegistryEvent[]> {
    return this.#read.all(after, limit).map((row) => fromEventRow(row as Database['events'] & StoredEventRow));
  }

  async head(): Promise<number> {
    return this.#head.get() ?? 0;
  }

  ensureCursors(consumers: readonly string[], now: number): Promise<void> {
    return this.#cursors.ensureCursors(consumers, now);
  }

  touchCursors(consumers: readonly string[], now: number): Promise<void> {
    return this.#cursors.touchCursors(consumers, now);
  }

  cursor(consumer: string): Promise<OutboxCursor | undefined> {
    return this.#cursors.cursor(consumer);
  }

  claimCursor(consumer: string, owner: string, leaseUntil: number, now: number): Promise<number | undefined> {
    return this.#cursors.claimCursor(consumer, owner, leaseUntil, now);
  }

  advanceCursor(consumer: string, owner: string, position: number, now: number): Promise<boolean> {
    return this.#cursors.advanceCursor(consumer, owner, position, now);
  }

  releaseCursor(consumer: string, owner: string): Promise<void> {
    return this.#cursors.releaseCursor(consumer, owner);
  }

  trim(limit: number, staleBefore: number): Promise<number> {
    return this.#cursors.trim(limit, staleBefore);
  }
}
