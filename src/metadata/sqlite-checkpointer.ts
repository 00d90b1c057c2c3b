import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Runs the embedded store's WAL checkpoints on a thread of their own. Left to SQLite, the connection that commits
 * past 1,000 WAL pages copies them into the database file and syncs both files itself, on the event loop: a rescan
 * writing 180 MB of pages spent 2.1 s of its 5.1 s in checkpoints (measured), and every push waited behind them.
 * Here a worker thread with its own connection checkpoints (PASSIVE: it never waits for readers or the writer)
 * every `intervalMs`, and the writer's own automatic checkpoint stays only as a backstop should the worker fall
 * behind, at `backstopPages`.
 *
 * The worker's code is given as a string (an eval worker), so it runs the same from the sources and from the
 * bundle; better-sqlite3 is loaded from where this module resolves it.
 */
export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #stopped: Promise<void> | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    // Listened for from the start: a thread that already ended (its connection failed) must not leave stop() waiting.
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /** Starts checkpointing the database at `path` (already in WAL mode). */
  static async start(path: string, intervalMs = 100): Promise<SqliteCheckpointer> {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(workerSource, { eval: true, workerData: { path, module, intervalMs } });
    // It reports once its connection is open, so that a bad path fails here rather than later in the background.
    const [message] = await Promise.race([once(worker, 'message'), once(worker, 'error').then(([error]) => { throw error; })]) as [unknown];
    if (message !== 'ready') throw new Error(`the SQLite checkpoint thread did not start: ${String(message)}`);
    worker.unref();
    return new SqliteCheckpointer(worker);
  }

  /** Stops the thread after its checkpoint in progress, if any, and closes its connection. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      // Held open until it has exited: unreferenced, it would let the process end with this promise pending.
      this.#worker.ref();
      this.#worker.postMessage('stop');
      // A checkpoint in progress ends first; one that hangs (a disk gone away) does not hold the shutdown.
      const timer = setTimeout(() => void this.#worker.terminate(), 5_000);
      await this.#exited;
      clearTimeout(timer);
    })();
    return this.#stopped;
  }
}

/** The writer's own automatic checkpoint, kept as a backstop: 16,384 pages (64 MiB) in the WAL. */
export const backstopPages = 16_384;

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
try {
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma('busy_timeout = 0');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
} catch (error) {
  parentPort.postMessage(String(error && error.message || error));
  process.exit(1);
}
parentPort.postMessage('ready');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked by another process's checkpoint: the next tick tries again.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  process.exit(0);
});
`;
