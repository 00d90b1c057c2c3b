import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunOptions {
  readonly cwd?: string;
  /** Added to (and overriding) the test process's environment. */
  readonly env?: Record<string, string>;
  /** Written to the command's standard input, which is closed otherwise. */
  readonly input?: string | Buffer;
  /** The command is killed (SIGKILL) after this long; 100 s unless told. */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The command line, for messages. */
  readonly command: string;
}

/** A client command that did not exit 0: the message carries its command line, exit status and both outputs. */
export class CommandFailed extends Error {
  constructor(readonly result: RunResult) {
    super(`command failed (${result.signal ?? `exit ${result.code}`}): ${result.command}\n` +
      `--- stdout ---\n${result.stdout.trimEnd()}\n--- stderr ---\n${result.stderr.trimEnd()}`);
    this.name = 'CommandFailed';
  }
}

/** Runs a command to its end and captures its output, whatever its exit status. */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const command = [file, ...args].map(quoteForDisplay).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    if (options.input !== undefined) child.stdin!.end(options.input);
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, options.timeoutMs ?? 100_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        command,
      });
    });
  });
}

/** Runs a command that must succeed; throws {@link CommandFailed} with both outputs otherwise. */
export async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await runCommand(file, args, options);
  if (result.code !== 0) throw new CommandFailed(result);
  return result;
}

/** A fresh temporary folder under the system's temporary directory. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `berth-e2e-${prefix}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function quoteForDisplay(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
