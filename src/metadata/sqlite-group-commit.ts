import type { Database as SqliteDatabase } from 'better-sqlite3';

interface PendingWrite {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** Writes committed together at most; the rest wait for the next turn (a commit's frames stay a few hundred kB). */
const batchLimit = 128;

/**
 * Commits the writes that arrive in the same turn of the event loop as one SQLite transaction, each inside a
 * savepoint of its own. A commit in WAL mode appends every page the transaction dirtied to the log, and a push
 * dirties some thirty (the tail pages of its tables and a leaf of every index): most of a push's cost was those page
 * writes, and concurrent pushes share many of the pages (the repository's row, the tables' tails, the events). So
 * eight pushes in flight write far fewer pages together than one after another.
 *
 * Each write stays atomic on its own: one that throws rolls back to its savepoint and only its caller sees the
 * error; the others commit. No caller hears of success before the commit that holds its write, so durability is
 * unchanged. An error that ends SQLite's whole transaction (an I/O error, a full disk) fails every write of the batch.
 */
export class SqliteGroupCommit {
  readonly #writer: SqliteDatabase;
  readonly #settled: () => Promise<void> | void;
  #pending: PendingWrite[] = [];
  #scheduled = false;

  /** `settled` resolves once no Kysely transaction is open on the writer connection (see SqliteMetadataStore). */
  constructor(writer: SqliteDatabase, settled: () => Promise<void> | void) {
    this.#writer = writer;
    this.#settled = settled;
  }

  /** Runs `work` (synchronous statements on the writer) in the next group transaction; resolves after its commit. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate, not a microtask: requests whose bytes arrived in the same poll of the event loop join in.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    try {
      await this.#settled();
    } catch {
      // Waiting for Kysely never fails the writes; a failed Kysely transaction has ended all the same.
    }
    // A Kysely transaction begun between that answer and this turn would take the writes in: wait it out too.
    while (this.#writer.inTransaction) await new Promise((resolve) => setImmediate(resolve));
    const batch = this.#pending.splice(0, batchLimit);
    if (this.#pending.length > 0) setImmediate(() => void this.#flush());
    else this.#scheduled = false;
    let outcomes: Outcome[];
    try {
      outcomes = this.#commit(batch);
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    outcomes.forEach((outcome, index) => {
      if (outcome.ok) batch[index]!.resolve(outcome.value);
      else batch[index]!.reject(outcome.error);
    });
  }

  #commit(batch: readonly PendingWrite[]): Outcome[] {
    const writer = this.#writer;
    if (batch.length === 1) {
      // Alone, a write needs no savepoint: its own transaction rolls back on its own error.
      try {
        return [{ ok: true, value: writer.transaction(batch[0]!.work).immediate() }];
      } catch (error) {
        return [{ ok: false, error }];
      }
    }
    return writer.transaction(() => batch.map((write): Outcome => {
      try {
        // Inside a transaction, better-sqlite3 runs a transaction function as a savepoint.
        return { ok: true, value: writer.transaction(write.work)() };
      } catch (error) {
        // Some errors (I/O, disk full) end SQLite's whole transaction: then nothing of the batch can commit.
        if (!writer.inTransaction) throw error;
        return { ok: false, error };
      }
    })).immediate();
  }
}
