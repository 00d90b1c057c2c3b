import { run, type RunResult } from './run.js';
import { tool } from './tools.js';

export interface SkopeoOptions {
  /** Global flags before the subcommand, e.g. `--override-arch arm64`. */
  readonly global?: readonly string[];
}

/**
 * Runs skopeo, which must succeed. `--insecure-policy` keeps the run independent of the machine's
 * /etc/containers/policy.json; TLS flags are the caller's (Berth serves plain HTTP in these tests).
 */
export function skopeo(args: readonly string[], options: SkopeoOptions = {}): Promise<RunResult> {
  return run(tool('skopeo'), ['--insecure-policy', ...(options.global ?? []), ...args]);
}

/** `skopeo copy` from an OCI layout (or any source) into Berth over plain HTTP. */
export function skopeoPush(source: string, destination: string, extra: readonly string[] = []): Promise<RunResult> {
  return skopeo(['copy', '--quiet', '--dest-tls-verify=false', ...extra, source, destination]);
}

/** `skopeo copy` from Berth over plain HTTP into an OCI layout (or any destination). */
export function skopeoPull(source: string, destination: string, extra: readonly string[] = [],
  options: SkopeoOptions = {}): Promise<RunResult> {
  return skopeo(['copy', '--quiet', '--src-tls-verify=false', ...extra, source, destination], options);
}

/** `skopeo inspect --raw`: the manifest's exact bytes as Berth served them. */
export async function skopeoInspectRaw(image: string): Promise<Buffer> {
  return Buffer.from((await skopeo(['inspect', '--raw', '--tls-verify=false', image])).stdout, 'utf8');
}
