import type { AccessStore } from '../metadata/access-store.js';
import { RegistryError } from '../errors/registry-error.js';

export interface ThrottleOptions {
  readonly maxFailuresPerAccount: number;
  readonly maxFailuresPerAddress: number;
  readonly windowSeconds: number;
}

/**
 * Brute-force protection: failed logins are counted per account and per client address in the metadata store (so
 * every node of a cluster counts together), and once either count reaches its limit within the window, logins for
 * that account or from that address are refused with TOOMANYREQUESTS until the window ends, without checking the
 * password at all (a guess made then cannot succeed, so it teaches nothing). A good login clears the account's
 * count.
 */
export class LoginThrottle {
  readonly #store: AccessStore;
  readonly #options: ThrottleOptions;

  constructor(store: AccessStore, options: ThrottleOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Throws TOOMANYREQUESTS when the account or the address has failed too often lately. */
  async check(username: string, address: string | undefined, now = Date.now()): Promise<void> {
    const keys = keysOf(username, address);
    const counts = await this.#store.loginFailures(keys, now, this.#windowMs);
    this.#refuseIfOver(counts, username);
  }

  async failed(username: string, address: string | undefined, now = Date.now()): Promise<void> {
    await this.#store.recordLoginFailure(keysOf(username, address), now, this.#windowMs);
  }

  async succeeded(username: string): Promise<void> {
    await this.#store.clearLoginFailures(accountKey(username));
  }

  get #windowMs(): number {
    return this.#options.windowSeconds * 1000;
  }

  #refuseIfOver(counts: Map<string, number>, username: string): void {
    const account = counts.get(accountKey(username)) ?? 0;
    const byAddress = [...counts].find(([key]) => key.startsWith('address:'))?.[1] ?? 0;
    const retryAfterSeconds = this.#options.windowSeconds;
    if (account >= this.#options.maxFailuresPerAccount) {
      throw new RegistryError('TOOMANYREQUESTS',
        `too many failed logins for this account: wait up to ${this.#options.windowSeconds} seconds before trying again, or ask an administrator to check the account`,
        { reason: 'account' }, { retryAfterSeconds });
    }
    if (byAddress >= this.#options.maxFailuresPerAddress) {
      throw new RegistryError('TOOMANYREQUESTS',
        `too many failed logins from this address: wait up to ${this.#options.windowSeconds} seconds before trying again`,
        { reason: 'address' }, { retryAfterSeconds });
    }
  }
}

const accountKey = (username: string): string => `user:${username.toLowerCase().slice(0, 300)}`;

function keysOf(username: string, address: string | undefined): string[] {
  return address ? [accountKey(username), `address:${address}`] : [accountKey(username)];
}
