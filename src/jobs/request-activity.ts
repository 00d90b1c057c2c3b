/**
 * How busy this node is serving requests: counted by the HTTP layer, read by the job runner so that background
 * work that yields to requests (scans) gives way to bursts of pushes and pulls. A rate, not the mere presence of
 * requests: a UI following a scan, or a monitor polling, must not slow every scan down to a trickle. One addition
 * and a clock read per request.
 */
export class RequestActivity {
  /** Requests per second at or above which the node counts as busy. */
  readonly #busyRate: number;
  #windowStart = 0;
  #current = 0;
  #previous = 0;

  constructor(busyRate = 50) {
    this.#busyRate = busyRate;
  }

  /** A request has arrived. */
  readonly begin = (now = performance.now()): void => {
    this.#roll(now);
    this.#current++;
  };

  /** Requests per second over about the last second (the current window, and the previous one weighted by overlap). */
  rate(now = performance.now()): number {
    this.#roll(now);
    const elapsed = (now - this.#windowStart) / windowMs;
    return this.#current + this.#previous * Math.max(0, 1 - elapsed);
  }

  /** Whether requests arrive fast enough that background work should give way. */
  busy(now = performance.now()): boolean {
    return this.rate(now) >= this.#busyRate;
  }

  #roll(now: number): void {
    if (now - this.#windowStart < windowMs) return;
    // The window that just ended becomes the previous one; a gap longer than a window leaves nothing behind.
    this.#previous = now - this.#windowStart < 2 * windowMs ? this.#current : 0;
    this.#current = 0;
    this.#windowStart = now - ((now - this.#windowStart) % windowMs);
  }
}

const windowMs = 1000;

/**
 * A pace for long background work that yields to requests from within (a scan reading a 1 GiB layer): called
 * between steps, it lets the work run freely while the node is not busy, and while it is, sleeps after every slice
 * of about 20 ms of work long enough that the work takes at most `share` of the node. The job runner's pause between
 * runs only starts once a run ends: a scan already running when a burst of pushes begins would otherwise take its
 * whole time from them.
 */
export function yieldingPace(busy: () => boolean, share: number, clock: PaceClock = realClock): () => Promise<void> {
  const sliceMs = 20;
  let sliceStart = clock.now();
  return async () => {
    const worked = clock.now() - sliceStart;
    if (worked < sliceMs) return;
    if (busy()) await clock.sleep(Math.min(2_000, worked * (1 - share) / share));
    sliceStart = clock.now();
  };
}

/** Time as the pace reads and spends it (a test's own clock replaces it). */
export interface PaceClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: PaceClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
