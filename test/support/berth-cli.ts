import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';

const cli = join(resolve(import.meta.dirname, '..', '..'), 'bin', 'berth.js');

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** What was run, for assertion messages. */
  readonly command: string;
}

export interface CliOptions {
  /** The CLI's own config folder (where `berth login` keeps its secret). */
  readonly configDir: string;
  /** Written to standard input (a password for --password-stdin). */
  readonly input?: string;
  /** Set besides the caller's environment, which is passed on without any BERTH_* setting. */
  readonly env?: Record<string, string>;
  /** Standard output goes to this file instead of `stdout` (large exports). */
  readonly stdoutFile?: string;
  readonly timeoutMs?: number;
}

/**
 * Runs `berth <args>` as a user would: bin/berth.js in a child process, with its own config folder and none of the
 * test process's BERTH_* settings, killed if it hangs.
 */
export function runBerthCli(args: readonly string[], options: CliOptions): Promise<CliRun> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('BERTH_') && value !== undefined) env[name] = value;
  const child = spawn(process.execPath, [cli, ...args], { env: { ...env, BERTH_CONFIG_DIR: options.configDir, ...options.env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  if (options.stdoutFile) child.stdout.pipe(createWriteStream(options.stdoutFile));
  else child.stdout.on('data', (data: Buffer) => { stdout += data.toString(); });
  child.stderr.on('data', (data: Buffer) => { stderr += data.toString(); });
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((done) => child.on('close', (code, signal) => {
    clearTimeout(timer);
    done({ code, signal, stdout, stderr, command: `berth ${args.join(' ')}` });
  }));
}
