import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Job, JobProgress, MetadataStore, NewJob } from '../metadata/metadata-store.js';

/** What a job's code gets besides the job: a way to report progress (which also keeps its lease alive). */
export interface JobContext {
  progress(progress: JobProgress): Promise<void>;
  /** Aborted when the node shuts down or the lease is lost: stop soon, the job runs again elsewhere. */
  readonly signal: AbortSignal;
}

export type JobHandler = (job: Job, context: JobContext) => Promise<void>;

export interface JobRunnerOptions {
  /** How often an idle node looks for due jobs. */
  readonly pollMs?: number;
  /** How long a claim holds without renewal; a node that dies loses its jobs to others after this. */
  readonly leaseMs?: number;
}

/**
 * Runs jobs from the durable queue in the metadata store, one at a time per node. Any node may take any due job;
 * the lease is renewed while the job runs, so a node that dies leaves its job to be taken again once the lease runs
 * out. A failed job is retried later with a growing delay until its attempts are spent.
 */
export class JobRunner {
  /** This node, as owners of leases are named: readable in the job table. */
  readonly owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #wakeUp: (() => void) | undefined;

  constructor(
    private readonly metadata: MetadataStore,
    private readonly handlers: Readonly<Record<string, JobHandler>>,
    private readonly log: Logger,
    options: JobRunnerOptions = {},
  ) {
    this.#pollMs = options.pollMs ?? 5_000;
    this.#leaseMs = options.leaseMs ?? 60_000;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Queues a job and looks for work at once rather than at the next poll. */
  async enqueue(job: Omit<NewJob, 'now'> & { now?: number }): Promise<number> {
    const id = await this.metadata.enqueueJob({ ...job, now: job.now ?? Date.now() });
    this.#wakeUp?.();
    return id;
  }

  /** Stops taking jobs and asks the running one to stop; resolves when it has. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wakeUp?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const kinds = Object.keys(this.handlers);
    while (!this.#stop.signal.aborted) {
      let job: Job | undefined;
      try {
        job = await this.metadata.claimJob(kinds, this.owner, this.#leaseMs, Date.now());
      } catch (error) {
        this.log.warn({ err: error }, 'could not look for jobs; trying again later');
      }
      if (job) await this.#execute(job);
      else await this.#idle();
    }
  }

  #idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeUp = () => {
        clearTimeout(this.#timer);
        this.#wakeUp = undefined;
        resolve();
      };
      this.#timer = setTimeout(this.#wakeUp, this.#pollMs);
      this.#timer.unref();
    });
  }

  async #execute(job: Job): Promise<void> {
    const handler = this.handlers[job.kind]!;
    const lost = new AbortController();
    const signal = AbortSignal.any([this.#stop.signal, lost.signal]);
    let progress: JobProgress | undefined;
    const renew = async (): Promise<void> => {
      const now = Date.now();
      if (!(await this.metadata.renewJob(job.id, this.owner, now + this.#leaseMs, progress, now))) lost.abort();
    };
    const renewal = setInterval(() => { renew().catch(() => undefined); }, Math.max(100, this.#leaseMs / 3));
    renewal.unref();
    const log = this.log.child({ job: job.id, kind: job.kind, attempt: job.attempts });
    try {
      if (job.attempts > job.maxAttempts) throw new Error(`gave up after ${job.maxAttempts} attempts`);
      await handler(job, {
        signal,
        progress: async (next) => {
          progress = next;
          await renew();
        },
      });
      clearInterval(renewal);
      if (!lost.signal.aborted) await this.metadata.finishJob(job.id, this.owner, { ok: true }, Date.now());
    } catch (error) {
      clearInterval(renewal);
      if (lost.signal.aborted) {
        log.warn('lost the lease of a running job to another node; it runs there');
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const retryAt = Date.now() + Math.min(1000 * 2 ** job.attempts, 10 * 60_000);
      log.warn({ err: error, retryAt: new Date(retryAt).toISOString() }, 'job failed');
      await this.metadata.finishJob(job.id, this.owner, { ok: false, error: message, retryAt }, Date.now())
        .catch((failure: unknown) => log.error({ err: failure }, 'could not record the job failure; its lease will run out'));
    }
  }
}
