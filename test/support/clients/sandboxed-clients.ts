import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { podmanStorageFlags } from './containers-storage.js';
import { CommandFailed, runCommand, type RunResult } from './run.js';
import { tool } from './tools.js';

/**
 * podman and skopeo with everything they read or write about credentials kept in one test folder: HOME,
 * XDG_CONFIG_HOME, DOCKER_CONFIG and REGISTRY_AUTH_FILE point inside it, and every command that talks to a registry
 * is given an explicit `--authfile`. Each identity (a user, a robot, nobody) gets an auth file of its own, so a test
 * says exactly who a command runs as, and the machine's own logins can never leak into a test.
 * Image stores are private too (podman's vfs driver under the folder), one per name.
 */
export class SandboxedClients {
  readonly env: Record<string, string>;
  readonly #dir: string;
  readonly #stores = new Map<string, number>();

  constructor(dir: string) {
    this.#dir = dir;
    const home = join(dir, 'home');
    const docker = join(dir, 'docker-config');
    for (const sub of [home, docker, join(dir, 'auth')]) mkdirSync(sub, { recursive: true });
    writeFileSync(join(docker, 'config.json'), '{}\n');
    this.env = {
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      DOCKER_CONFIG: docker,
      REGISTRY_AUTH_FILE: this.authFile('anonymous'),
    };
  }

  /** The auth file of one identity (created empty, i.e. anonymous, on first use). */
  authFile(identity: string): string {
    const path = join(this.#dir, 'auth', `${identity.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
    if (!existsSync(path)) writeFileSync(path, '{"auths":{}}\n');
    return path;
  }

  /**
   * Global flags for a private podman image store named `name`. Stores live in numbered folders: podman refuses a
   * runroot path longer than 50 characters.
   */
  storage(name: string): string[] {
    if (!this.#stores.has(name)) this.#stores.set(name, this.#stores.size);
    return podmanStorageFlags(join(this.#dir, 's', String(this.#stores.get(name))));
  }

  /** podman with a private store; any outcome (the caller checks `code`). */
  tryPodman(store: string, args: readonly string[], input?: string): Promise<RunResult> {
    return runCommand(tool('podman'), [...this.storage(store), ...args], { env: this.env, ...(input !== undefined && { input }) });
  }

  /** podman with a private store; must succeed. */
  async podman(store: string, args: readonly string[], input?: string): Promise<RunResult> {
    return mustSucceed(await this.tryPodman(store, args, input));
  }

  /** `podman login` over plain HTTP into the identity's auth file, password on standard input; any outcome. */
  tryLogin(registry: string, identity: string, username: string, password: string): Promise<RunResult> {
    return runCommand(tool('podman'), ['login', '--tls-verify=false', '--authfile', this.authFile(identity),
      '--username', username, '--password-stdin', registry], { env: this.env, input: `${password}\n` });
  }

  async login(registry: string, identity: string, username: string, password: string): Promise<RunResult> {
    return mustSucceed(await this.tryLogin(registry, identity, username, password));
  }

  /** skopeo (with --insecure-policy, so the machine's policy.json does not matter); any outcome. */
  trySkopeo(args: readonly string[]): Promise<RunResult> {
    return runCommand(tool('skopeo'), ['--insecure-policy', ...args], { env: this.env });
  }

  async skopeo(args: readonly string[]): Promise<RunResult> {
    return mustSucceed(await this.trySkopeo(args));
  }
}

function mustSucceed(result: RunResult): RunResult {
  if (result.code !== 0) throw new CommandFailed(result);
  return result;
}

/** A command's output, for assertion messages. */
export function outputOf(result: RunResult): string {
  return `${result.command}\nexit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout.trimEnd()}\n--- stderr ---\n${result.stderr.trimEnd()}`;
}
