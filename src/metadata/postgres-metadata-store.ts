import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from './database-schema.js';
import { KyselyMetadataStore } from './kysely-metadata-store.js';
import type { ConnectionPoolFigures } from './metadata-store.js';

/** The channel on which every node announces its writes. */
export const changeChannel = 'berth_metadata_changes';
const reconnectDelaysMs = [100, 500, 1000, 2000, 5000];

/**
 * The metadata store over PostgreSQL, shared by every node of a cluster. Queries are the generic Kysely ones; what
 * this adds is the change version across nodes, which the read caches above depend on:
 *
 * - every write that may change a cached read ends its transaction with `pg_notify`, which PostgreSQL delivers to
 *   every listening session exactly when the transaction commits;
 * - each node keeps one session LISTENing and counts the other nodes' notices into its change version.
 *
 * So a cache on one node drops its content as soon as the notice of another node's commit arrives: a moved tag can
 * be served from a node's cache only for the notice's trip (well under a millisecond on a LAN, measured in the
 * cluster test). While the listening session is down (database restart, network), the version changes on every
 * call, so nothing is served from cache until it listens again.
 */
export class PostgresMetadataStore extends KyselyMetadataStore {
  readonly #nodeId = randomUUID();
  readonly #connect: () => pg.Client;
  readonly #log: Logger | undefined;
  #listener: pg.Client | undefined;
  #listening = false;
  #remoteChanges = 0;
  /** Counts up on every call while not listening, so that no cached answer is ever reused then. */
  #blind = 0;
  #closed = false;
  #reconnects = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  readonly #pool: pg.Pool | undefined;

  /** `pool`: the pool behind `db`, whose figures metrics read. */
  constructor(db: Kysely<Database>, connect: () => pg.Client, log?: Logger, pool?: pg.Pool) {
    super(db);
    this.#connect = connect;
    this.#log = log;
    this.#pool = pool;
  }

  override connectionPool(): ConnectionPoolFigures | undefined {
    const pool = this.#pool;
    return pool && { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 };
  }

  /** Starts listening for other nodes' writes; resolves once the first LISTEN is in place. */
  async listen(): Promise<void> {
    const client = this.#connect();
    this.#listener = client;
    client.on('notification', (message) => {
      if (message.channel === changeChannel && message.payload !== this.#nodeId) this.#remoteChanges++;
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${changeChannel}`);
    } catch (error) {
      this.#lost(client, error as Error);
      throw error;
    }
    if (this.#listener !== client) return;
    // Notices may have been missed while not listening: count a change so that caches start afresh.
    this.#remoteChanges++;
    this.#listening = true;
    this.#reconnects = 0;
  }

  override changeVersion(): number {
    if (!this.#listening) return -1 - this.#blind++;
    return super.changeVersion() + this.#remoteChanges;
  }

  protected override async announce(trx: Transaction<Database>): Promise<void> {
    await sql`select pg_notify(${changeChannel}, ${this.#nodeId})`.execute(trx);
  }

  /** Nodes polling at once each take a different job instead of queueing behind one row's lock. */
  protected override lockForClaim<Q>(query: Q): Q {
    return (query as unknown as { forUpdate(): { skipLocked(): Q } }).forUpdate().skipLocked();
  }

  override async close(): Promise<void> {
    this.#closed = true;
    this.#listening = false;
    clearTimeout(this.#reconnectTimer);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
    await super.close();
  }

  #lost(client: pg.Client, error: Error): void {
    if (this.#listener !== client) return;
    this.#listener = undefined;
    this.#listening = false;
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (this.#closed) return;
    const delay = reconnectDelaysMs[Math.min(this.#reconnects++, reconnectDelaysMs.length - 1)];
    this.#log?.warn({ err: error, retryInMs: delay },
      'lost the PostgreSQL session that hears other nodes\' writes; caches are off until it is back');
    // A failed attempt schedules the next one itself (through #lost).
    this.#reconnectTimer = setTimeout(() => { this.listen().catch(() => undefined); }, delay);
    this.#reconnectTimer.unref();
  }
}
