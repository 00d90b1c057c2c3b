import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
const clockTicks = ((): number => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: the fields after it start past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (field 14) is fields[11] and stime (field 15) is fields[12].
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

export interface MemoryStatus {
  /** Resident set size now, bytes (VmRSS). */
  readonly rss: number;
  /** Peak resident set size over the process's life, bytes (VmHWM). */
  readonly hwm: number;
}

/** VmRSS and VmHWM from /proc/<pid>/status. */
export function memoryStatus(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  };
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/**
 * Samples a process's VmRSS every `intervalMs` while a phase runs. VmHWM cannot be reset between phases, so the
 * phase's peak is the largest sample (a spike shorter than the interval can be missed; VmHWM is kept beside it).
 */
export class RssSampler {
  #timer: NodeJS.Timeout | undefined;
  #peak = 0;
  #samples = 0;

  constructor(private readonly pid: number, private readonly intervalMs = 50) {}

  start(): void {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), this.intervalMs);
  }

  /** Stops sampling; answers the largest VmRSS seen (one last sample included) and how many samples were taken. */
  stop(): { peakRss: number; samples: number } {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sample();
    return { peakRss: this.#peak, samples: this.#samples };
  }

  #sample(): void {
    try {
      const { rss } = memoryStatus(this.pid);
      this.#samples++;
      if (rss > this.#peak) this.#peak = rss;
    } catch {
      // the process is gone: the phase will fail on its own
    }
  }
}
