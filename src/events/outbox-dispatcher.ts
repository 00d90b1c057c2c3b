import type { Logger } from 'pino';
import type { JobDefinition } from '../jobs/job-definition.js';
import type { OutboxStore } from '../metadata/outbox-store.js';
import type { OutboxConsumer } from './outbox-consumer.js';
import type { RegistryEvent } from './registry-event.js';

export interface DispatcherOptions {
  /** How often an idle node looks for new events. */
  readonly pollMs?: number;
  /** How long a node holds a consumer without renewing; a node that dies hands its consumers on after this. */
  readonly leaseMs?: number;
  /** Events handed to a consumer at once. */
  readonly batch?: number;
  /**
   * How long a hole in the ids may be waited for. On PostgreSQL ids are taken when a transaction inserts, not when
   * it commits, so a reader can see id 11 before id 10's transaction commits: the dispatcher stops before a hole
   * until the event after it is this old, after which the missing id is taken for a rolled-back transaction. Writes
   * that carry events are single short transactions, far below this.
   */
  readonly gapGraceMs?: number;
  /**
   * After a round that found fewer events than a batch, how long to let more gather before the next. Without it a
   * steady stream of pushes is handed over one or two events at a time, and each round costs every consumer a cursor
   * claim and a cursor move: under load that bookkeeping cost more than the pushes' own writes.
   */
  readonly gatherMs?: number;
}

const trimSlice = 10_000;
/** A cursor no node has claimed or touched for this long belongs to a consumer that no longer exists. */
const staleCursorMs = 7 * 24 * 60 * 60 * 1000;
/** How often a node marks its consumers' cursors as in use, idle or not: far inside the staleness bound. */
const touchEveryMs = 60 * 60 * 1000;

/**
 * Feeds the outbox to its consumers, in id order, at least once, from any node of a cluster. Each consumer has a
 * cursor in the metadata store; a node takes a consumer under a lease, hands it the events after its cursor, and
 * moves the cursor once the consumer has handled them. A node that dies (even with kill -9) lets its lease run out,
 * and another node goes on from the cursor, so events handled but not yet passed come again, and none is skipped.
 * Events every consumer has passed are trimmed by the periodic `outbox.trim` job.
 */
export class OutboxDispatcher {
  readonly #outbox: OutboxStore;
  readonly #consumers: ReadonlyMap<string, OutboxConsumer>;
  readonly #log: Logger;
  readonly #owner: string;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #batch: number;
  readonly #gapGraceMs: number;
  readonly #gatherMs: number;
  /** Whether the last round read a whole batch: more are waiting, so the next round starts at once. */
  #full = false;
  readonly #stop = new AbortController();
  /** Per consumer: when it may be tried again after a failure, and how many failures in a row. */
  readonly #backoff = new Map<string, { until: number; failures: number }>();
  /** One round per consumer at a time on this node: catch-ups and the loop share it. */
  readonly #running = new Map<string, Promise<boolean>>();
  #loop: Promise<void> | undefined;
  #wakeUp: (() => void) | undefined;

  constructor(outbox: OutboxStore, consumers: readonly OutboxConsumer[], owner: string, log: Logger, options: DispatcherOptions = {}) {
    const byName = new Map<string, OutboxConsumer>();
    for (const consumer of consumers) {
      if (byName.has(consumer.name)) throw new Error(`two outbox consumers are named ${consumer.name}`);
      byName.set(consumer.name, consumer);
    }
    this.#outbox = outbox;
    this.#consumers = byName;
    this.#owner = owner;
    this.#log = log;
    this.#pollMs = options.pollMs ?? 500;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#batch = options.batch ?? 500;
    this.#gapGraceMs = options.gapGraceMs ?? 10_000;
    this.#gatherMs = options.gatherMs ?? 50;
  }

  /** The trimming of what every consumer has passed, once a minute for the cluster. */
  get trimJob(): JobDefinition {
    return {
      kind: 'outbox.trim',
      everyMs: 60_000,
      run: async (_job, context) => {
        let removed = 0;
        for (;;) {
          const slice = await this.#outbox.trim(trimSlice, Date.now() - staleCursorMs);
          removed += slice;
          if (slice < trimSlice || context.signal.aborted) break;
          await context.progress({ done: removed, note: 'events trimmed' });
        }
        if (removed > 0) this.#log.debug({ removed }, 'trimmed the outbox');
      },
    };
  }

  /** Gives new consumers their cursors, then feeds them until stopped. */
  async start(): Promise<void> {
    await this.#outbox.ensureCursors([...this.#consumers.keys()], Date.now());
    this.#loop ??= this.#run();
  }

  /** Looks for events now rather than at the next poll. */
  wake(): void {
    this.#wakeUp?.();
  }

  /**
   * Resolves once `consumer` has handled every event written before the call (on this node, or on the node that
   * holds it), or after `timeoutMs`: for readers who must see their own writes, such as an audit query right after
   * a push.
   */
  async catchUp(consumer: string, timeoutMs = 5_000): Promise<void> {
    if (!this.#consumers.has(consumer)) return;
    const target = await this.#outbox.head();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.#stop.signal.aborted) {
      const cursor = await this.#outbox.cursor(consumer);
      if (cursor === undefined || cursor.position >= target) return;
      const progressed = await this.#round(consumer, new Map());
      if (!progressed) await sleep(25);
    }
  }

  /** Stops feeding and hands this node's consumers back at once. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wakeUp?.();
    await this.#loop;
    await Promise.allSettled(this.#running.values());
    for (const name of this.#consumers.keys()) await this.#outbox.releaseCursor(name, this.#owner).catch(() => undefined);
  }

  async #run(): Promise<void> {
    let touched = 0;
    while (!this.#stop.signal.aborted) {
      let progressed = false;
      try {
        if (Date.now() - touched > touchEveryMs) {
          // An idle consumer's cursor is not claimed, so it would look abandoned to the trim without this.
          await this.#outbox.touchCursors([...this.#consumers.keys()], Date.now());
          touched = Date.now();
        }
        const head = await this.#outbox.head();
        // Consumers that keep up sit at the same position: the events after it are read once for all of them.
        const reads = new Map<number, readonly RegistryEvent[]>();
        this.#full = false;
        for (const name of this.#consumers.keys()) {
          if (this.#stop.signal.aborted) break;
          if (await this.#behind(name, head)) progressed = (await this.#round(name, reads)) || progressed;
        }
      } catch (error) {
        this.#log.warn({ err: error }, 'could not read the outbox; trying again later');
      }
      if (!progressed) await this.#idle();
      else if (!this.#full && this.#gatherMs > 0) await this.#idle(this.#gatherMs);
    }
  }

  /** Whether the consumer's cursor is short of `head` (read without a write, so idle polling writes nothing). */
  async #behind(name: string, head: number): Promise<boolean> {
    const backoff = this.#backoff.get(name);
    if (backoff && backoff.until > Date.now()) return false;
    const cursor = await this.#outbox.cursor(name);
    if (cursor === undefined || cursor.position >= head) return false;
    return cursor.leaseOwner === undefined || cursor.leaseOwner === this.#owner || (cursor.leaseUntil ?? 0) < Date.now();
  }

  /** One batch for one consumer, if this node can hold it; whether its cursor moved. `reads`: events read this round, by position. */
  #round(name: string, reads: Map<number, readonly RegistryEvent[]>): Promise<boolean> {
    const running = this.#running.get(name);
    if (running) return running.then(() => false);
    const round = this.#deliver(name, reads).finally(() => this.#running.delete(name));
    this.#running.set(name, round);
    return round;
  }

  async #deliver(name: string, reads: Map<number, readonly RegistryEvent[]>): Promise<boolean> {
    const consumer = this.#consumers.get(name)!;
    const now = Date.now();
    const position = await this.#outbox.claimCursor(name, this.#owner, now + this.#leaseMs, now);
    if (position === undefined) return false;
    let read = reads.get(position);
    if (read === undefined) {
      read = await this.#outbox.read(position, this.#batch);
      reads.set(position, read);
      if (read.length === this.#batch) this.#full = true;
    }
    const events = this.#inOrder(read, position, Date.now());
    if (events.length === 0) return false;
    const wanted = consumer.types ? events.filter((event) => consumer.types!.has(event.type)) : events;
    try {
      if (wanted.length > 0) await consumer.handle(wanted, this.#stop.signal);
    } catch (error) {
      const failures = (this.#backoff.get(name)?.failures ?? 0) + 1;
      const delay = Math.min(100 * 2 ** failures, 30_000);
      this.#backoff.set(name, { until: Date.now() + delay, failures });
      this.#log.warn({ err: error, consumer: name, from: events[0]!.id, retryInMs: delay }, 'an outbox consumer failed; its events come again');
      return false;
    }
    this.#backoff.delete(name);
    const moved = await this.#outbox.advanceCursor(name, this.#owner, events.at(-1)!.id, Date.now());
    if (!moved) this.#log.warn({ consumer: name }, 'lost an outbox consumer to another node; it goes on there from the cursor');
    return moved;
  }

  /** The events that follow `position` without a hole, or past holes older than the grace. */
  #inOrder(events: readonly RegistryEvent[], position: number, now: number): RegistryEvent[] {
    const ready: RegistryEvent[] = [];
    let expected = position + 1;
    for (const event of events) {
      if (event.id !== expected && event.at > now - this.#gapGraceMs) break;
      ready.push(event);
      expected = event.id + 1;
    }
    return ready;
  }

  #idle(waitMs = this.#pollMs): Promise<void> {
    // A stop that came while a round ran found nothing to wake: the timer below is unref'd, so waiting on it then
    // could leave stop() pending for ever once nothing else keeps the process alive.
    if (this.#stop.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeUp = undefined;
        resolve();
      }, waitMs);
      timer.unref();
      this.#wakeUp = () => {
        clearTimeout(timer);
        this.#wakeUp = undefined;
        resolve();
      };
    });
  }
}

/** A wait someone is waiting on: kept referenced, so a catch-up holds the process open until it ends. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
