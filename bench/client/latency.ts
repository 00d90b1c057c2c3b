/** Records latencies in milliseconds and answers percentiles (nearest rank over all samples). */
export class LatencyRecorder {
  #samples = new Float64Array(1024);
  #count = 0;
  #sorted: Float64Array | undefined;

  get count(): number {
    return this.#count;
  }

  record(milliseconds: number): void {
    if (this.#count === this.#samples.length) {
      const grown = new Float64Array(this.#samples.length * 2);
      grown.set(this.#samples);
      this.#samples = grown;
    }
    this.#samples[this.#count++] = milliseconds;
    this.#sorted = undefined;
  }

  /** Times one call and records it. */
  async time<T>(work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await work();
    this.record(performance.now() - start);
    return result;
  }

  /** The p-th percentile (0 < p ≤ 100), NaN when empty. */
  percentile(p: number): number {
    if (this.#count === 0) return NaN;
    this.#sorted ??= this.#samples.slice(0, this.#count).sort();
    const rank = Math.min(this.#count, Math.max(1, Math.ceil((p / 100) * this.#count)));
    return this.#sorted[rank - 1]!;
  }

  mean(): number {
    let sum = 0;
    for (let i = 0; i < this.#count; i++) sum += this.#samples[i]!;
    return this.#count === 0 ? NaN : sum / this.#count;
  }

  summary(): { count: number; p50: number; p90: number; p99: number; max: number; mean: number } {
    return {
      count: this.#count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      max: this.percentile(100),
      mean: this.mean(),
    };
  }
}
