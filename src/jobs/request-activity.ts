/**
 * Whether this node is serving requests: counted by the HTTP layer, read by the job runner so that background work
 * that yields to requests (scans) gives way to pushes and pulls. Two additions and a clock read per request.
 */
export class RequestActivity {
  #inFlight = 0;
  #lastEnded = 0;
  /** A request ended within this long counts as traffic still flowing (clients send the next one a moment later). */
  readonly #quietMs: number;

  constructor(quietMs = 250) {
    this.#quietMs = quietMs;
  }

  /** A request has arrived. */
  readonly begin = (): void => {
    this.#inFlight++;
  };

  /** A response is over: sent, or cut short by the client leaving. */
  readonly end = (): void => {
    this.#inFlight--;
    this.#lastEnded = performance.now();
  };

  /** Whether requests are being served, or one ended a moment ago. */
  busy(now = performance.now()): boolean {
    return this.#inFlight > 0 || now - this.#lastEnded < this.#quietMs;
  }
}
