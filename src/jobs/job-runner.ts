import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Job, JobProgress, MetadataStore, NewJob } from '../metadata/metadata-store.js';
import type { JobDefinition } from './job-definition.js';

export type { JobContext, JobDefinition, JobHandler } from './job-definition.js';

export interface JobRunnerOptions {
  /** How often an idle node looks for due jobs. */
  readonly pollMs?: number;
  /** How long a claim holds without renewal; a node that dies loses its jobs to others after this. */
  readonly leaseMs?: number;
  /** This node's name in leases; a new one by default. */
  readonly owner?: string;
  /** Whether the node is busy serving requests: kinds that yield to requests are paced while it is (see JobDefinition). */
  readonly activity?: { busy(): boolean };
}

/** A yielding kind's run takes at most this share of the node's time while requests flow. */
export const yieldingShare = 0.1;
/** The longest pause after one yielding run, so that a slow scan does not stop the others for minutes. */
const longestYieldMs = 10_000;

/** A name for this node in leases, readable in the tables: host, process, and a random part for restarts. */
export function nodeName(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

const defaultBackoff = (attempts: number): number => Math.min(1000 * 2 ** attempts, 10 * 60_000);

/**
 * Runs jobs from the durable queue in the metadata store, one at a time per node. Any node may take any due job;
 * the lease is renewed while the job runs, so a node that dies leaves its job to be taken again once the lease runs
 * out. A failed job is retried later with a growing delay until its attempts are spent. Periodic kinds are queued
 * for their next interval at start and after each run.
 */
export class JobRunner {
  /** This node, as owners of leases are named: readable in the job table. */
  readonly owner: string;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #wakeUp: (() => void) | undefined;
  readonly #definitions: ReadonlyMap<string, JobDefinition>;
  readonly #activity: { busy(): boolean } | undefined;
  /** Until when (ms since the epoch) kinds that yield to requests are not taken. */
  #yieldUntil = 0;

  constructor(
    private readonly metadata: MetadataStore,
    definitions: readonly JobDefinition[],
    private readonly log: Logger,
    options: JobRunnerOptions = {},
  ) {
    const byKind = new Map<string, JobDefinition>();
    for (const definition of definitions) {
      if (byKind.has(definition.kind)) throw new Error(`two features declare the job kind ${definition.kind}`);
      byKind.set(definition.kind, definition);
    }
    this.#definitions = byKind;
    this.#pollMs = options.pollMs ?? 5_000;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.owner = options.owner ?? nodeName();
    this.#activity = options.activity;
  }

  /** Queues each periodic kind's next run, then starts taking jobs. */
  async start(): Promise<void> {
    for (const definition of this.#definitions.values()) await this.#queueNextRun(definition);
    this.#loop ??= this.#run();
  }

  /** The next interval's run of a periodic kind, under a key every node computes alike. */
  async #queueNextRun(definition: JobDefinition): Promise<void> {
    if (definition.everyMs === undefined) return;
    const now = Date.now();
    const slot = Math.floor(now / definition.everyMs) + 1;
    await this.metadata.enqueueJob({
      kind: definition.kind, payload: {}, uniqueKey: `${definition.kind}:${slot}`,
      runAfter: slot * definition.everyMs, maxAttempts: definition.maxAttempts ?? 3, now,
    });
  }

  /** Queues a job and looks for work at once rather than at the next poll. */
  async enqueue(job: Omit<NewJob, 'now'> & { now?: number }): Promise<number> {
    const id = await this.metadata.enqueueJob({ ...job, now: job.now ?? Date.now() });
    // A kind that yields to requests, queued while such kinds pause, waits for the pause to end: looking now would
    // only read past it (a burst of pushes queues a scan each).
    if (!(this.#definitions.get(job.kind)?.yieldsToRequests && Date.now() < this.#yieldUntil)) this.#wakeUp?.();
    return id;
  }

  /** Queues several jobs in one transaction, then looks for work as `enqueue` does. */
  async enqueueAll(jobs: readonly (Omit<NewJob, 'now'> & { now?: number })[]): Promise<number[]> {
    const now = Date.now();
    const ids = await this.metadata.enqueueJobs(jobs.map((job) => ({ ...job, now: job.now ?? now })));
    if (jobs.some((job) => !(this.#definitions.get(job.kind)?.yieldsToRequests && Date.now() < this.#yieldUntil))) this.#wakeUp?.();
    return ids;
  }

  /** Stops taking jobs and asks the running one to stop; resolves when it has. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wakeUp?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const kinds = [...this.#definitions.keys()];
    const unyielding = kinds.filter((kind) => !this.#definitions.get(kind)!.yieldsToRequests);
    while (!this.#stop.signal.aborted) {
      const started = performance.now();
      const yielding = Date.now() < this.#yieldUntil;
      let job: Job | undefined;
      try {
        job = await this.metadata.claimJob(yielding ? unyielding : kinds, this.owner, this.#leaseMs, Date.now());
      } catch (error) {
        this.log.warn({ err: error }, 'could not look for jobs; trying again later');
      }
      if (job) {
        await this.#execute(job);
        if (this.#definitions.get(job.kind)!.yieldsToRequests && this.#activity?.busy()) {
          const took = performance.now() - started;
          this.#yieldUntil = Date.now() + Math.min(longestYieldMs, took * (1 - yieldingShare) / yieldingShare);
        }
      } else {
        await this.#idle(yielding ? Math.max(1, this.#yieldUntil - Date.now()) : this.#pollMs);
      }
    }
  }

  #idle(waitMs = this.#pollMs): Promise<void> {
    // A stop that came while the runner looked for a job found nothing to wake: see OutboxDispatcher's #idle.
    if (this.#stop.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wakeUp = () => {
        clearTimeout(this.#timer);
        this.#wakeUp = undefined;
        resolve();
      };
      this.#timer = setTimeout(this.#wakeUp, Math.min(waitMs, this.#pollMs));
      this.#timer.unref();
    });
  }

  async #execute(job: Job): Promise<void> {
    const definition = this.#definitions.get(job.kind)!;
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
      await definition.run(job, {
        signal,
        progress: async (next) => {
          progress = next;
          await renew();
        },
      });
      clearInterval(renewal);
      if (!lost.signal.aborted) await this.metadata.finishJob(job.id, this.owner, { ok: true }, Date.now());
      await this.#queueNextRun(definition).catch((error: unknown) => log.warn({ err: error }, 'could not queue the next run'));
    } catch (error) {
      clearInterval(renewal);
      if (lost.signal.aborted) {
        log.warn('lost the lease of a running job to another node; it runs there');
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const retryAt = Date.now() + (definition.backoffMs ?? defaultBackoff)(job.attempts);
      log.warn({ err: error, retryAt: new Date(retryAt).toISOString() }, 'job failed');
      await this.metadata.finishJob(job.id, this.owner, { ok: false, error: message, retryAt }, Date.now())
        .catch((failure: unknown) => log.error({ err: failure }, 'could not record the job failure; its lease will run out'));
      // A periodic kind runs again next interval whatever became of this run.
      await this.#queueNextRun(definition).catch(() => undefined);
      // Retried here unless another node takes it first: look again when it is due rather than at the next poll.
      if (job.attempts < job.maxAttempts) setTimeout(() => this.#wakeUp?.(), Math.max(0, retryAt - Date.now()) + 5).unref();
    }
  }
}
