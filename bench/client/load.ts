import { LatencyRecorder } from './latency.js';

export interface LoadResult {
  readonly operations: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly latency: LatencyRecorder;
}

/**
 * Runs `operation` from `workers` concurrent loops, each starting its next operation when the last one ends, until
 * `count` operations have started or `seconds` have passed (whichever is set; both bound the run). Each
 * operation's latency is recorded; the first failure stops every loop and is thrown. An operation is given its
 * index and the number of the loop that runs it (0 to `workers` - 1).
 */
export async function runLoad(options: {
  readonly workers: number;
  readonly count?: number;
  readonly seconds?: number;
  readonly operation: (index: number, worker: number) => Promise<void>;
}): Promise<LoadResult> {
  const { workers, count = Infinity, seconds = Infinity, operation } = options;
  if (!Number.isFinite(count) && !Number.isFinite(seconds)) throw new Error('runLoad needs a count or a duration');
  const latency = new LatencyRecorder();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let next = 0;
  let failure: unknown;
  const loop = async (worker: number): Promise<void> => {
    while (failure === undefined && next < count && performance.now() < deadline) {
      const index = next++;
      const begun = performance.now();
      try {
        await operation(index, worker);
      } catch (error) {
        failure ??= error;
        return;
      }
      latency.record(performance.now() - begun);
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, worker) => loop(worker)));
  if (failure !== undefined) throw failure;
  const elapsed = (performance.now() - start) / 1000;
  return { operations: latency.count, seconds: elapsed, perSecond: latency.count / elapsed, latency };
}
