import { sql, type Kysely } from 'kysely';
import type { NewRegistryEvent, RegistryEvent } from '../events/registry-event.js';
import type { Database } from './database-schema.js';
import { fromEventRow, toEventRow } from './event-rows.js';
import type { OutboxCursor, OutboxStore } from './outbox-store.js';

/** Rows per insert: SQLite binds at most 32,766 variables, nine a row. */
const appendBatch = 500;

/**
 * The outbox over Kysely, for every dialect. Its writes touch nothing the read caches hold, so they bypass the
 * store's change counting: reading and advancing cursors must not empty the manifest cache.
 */
export class KyselyOutboxStore implements OutboxStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async append(events: readonly NewRegistryEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += appendBatch) {
      await this.#db.insertInto('events').values(events.slice(i, i + appendBatch).map(toEventRow)).execute();
    }
  }

  async read(after: number, limit: number): Promise<RegistryEvent[]> {
    const rows = await this.#db.selectFrom('events').selectAll().where('id', '>', after).orderBy('id').limit(limit).execute();
    return rows.map(fromEventRow);
  }

  async head(): Promise<number> {
    const row = await this.#db.selectFrom('events').select((eb) => eb.fn.max('id').as('head')).executeTakeFirst();
    return Number(row?.head ?? 0);
  }

  async ensureCursors(consumers: readonly string[], now: number): Promise<void> {
    for (const consumer of consumers) {
      // One statement reads the head and creates the cursor, so nodes starting together agree on it. ("where true"
      // tells SQLite's parser that "on conflict" belongs to the insert, not to a join.)
      await sql`insert into outbox_cursors (consumer, position, lease_owner, lease_until, updated_at)
        select ${consumer}, coalesce(max(id), 0), null, null, ${now} from events where true
        on conflict (consumer) do nothing`.execute(this.#db);
    }
  }

  async touchCursors(consumers: readonly string[], now: number): Promise<void> {
    if (consumers.length > 0) await this.#db.updateTable('outbox_cursors').set({ updated_at: now }).where('consumer', 'in', consumers).execute();
  }

  async cursor(consumer: string): Promise<OutboxCursor | undefined> {
    const row = await this.#db.selectFrom('outbox_cursors').selectAll().where('consumer', '=', consumer).executeTakeFirst();
    return row && {
      consumer: row.consumer, position: Number(row.position),
      leaseOwner: row.lease_owner ?? undefined, leaseUntil: row.lease_until === null ? undefined : Number(row.lease_until),
    };
  }

  async claimCursor(consumer: string, owner: string, leaseUntil: number, now: number): Promise<number | undefined> {
    const row = await this.#db.updateTable('outbox_cursors')
      .set({ lease_owner: owner, lease_until: leaseUntil, updated_at: now })
      .where('consumer', '=', consumer)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_until', '<', now)]))
      .returning('position').executeTakeFirst();
    return row ? Number(row.position) : undefined;
  }

  async advanceCursor(consumer: string, owner: string, position: number, now: number): Promise<boolean> {
    const result = await this.#db.updateTable('outbox_cursors').set({ position, updated_at: now })
      .where('consumer', '=', consumer).where('lease_owner', '=', owner).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async releaseCursor(consumer: string, owner: string): Promise<void> {
    await this.#db.updateTable('outbox_cursors').set({ lease_owner: null, lease_until: null })
      .where('consumer', '=', consumer).where('lease_owner', '=', owner).execute();
  }

  async trim(limit: number, staleBefore: number): Promise<number> {
    const cursors = await this.#db.selectFrom('outbox_cursors').select('position').where('updated_at', '>=', staleBefore).execute();
    // A consumer without a cursor has not started: it will start at the head, so it holds nothing back.
    if (cursors.length === 0) return 0;
    const passed = Math.min(...cursors.map((row) => Number(row.position)));
    const oldest = this.#db.selectFrom('events').select('id').where('id', '<=', passed).orderBy('id').limit(limit);
    const result = await this.#db.deleteFrom('events').where('id', 'in', oldest).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
