import type { Job, JobProgress } from '../metadata/metadata-store.js';

/** What a job's code gets besides the job: a way to report progress (which also keeps its lease alive). */
export interface JobContext {
  progress(progress: JobProgress): Promise<void>;
  /** Aborted when the node shuts down or the lease is lost: stop soon, the job runs again elsewhere. */
  readonly signal: AbortSignal;
}

export type JobHandler = (job: Job, context: JobContext) => Promise<void>;

/**
 * A kind of background work, as a feature declares it. The runner of every node can take any job of a declared
 * kind from the durable queue. A periodic kind (`everyMs`) runs once per interval for the whole cluster: each node
 * queues the next interval's run under one key, so however many nodes there are, one run happens.
 */
export interface JobDefinition {
  /** The kind's name in the queue, `<feature>.<work>`; never renamed, since queued jobs carry it. */
  readonly kind: string;
  readonly run: JobHandler;
  /** Run once per this many milliseconds, aligned to multiples of it. */
  readonly everyMs?: number;
  /** Attempts before a failed run is given up (default 3). */
  readonly maxAttempts?: number;
  /** How long to wait before the next attempt after `attempts` failed ones; default 2^attempts s, at most 10 min. */
  readonly backoffMs?: (attempts: number) => number;
  /**
   * Work that gives way to requests (a scan): while requests arrive at 50 a second or more, each run of such a kind
   * is followed by a pause nine times as long before the next one, so that it takes at most a tenth of the node from
   * pushes and pulls; other kinds still run meanwhile. Once the burst is over, the backlog runs at full speed.
   */
  readonly yieldsToRequests?: boolean;
}
