import { RegistryError } from '../errors/registry-error.js';
import type { ManifestPull, ManifestPush, Refusal, RegistryPolicy, Removal } from './registry-policy.js';
import type { RequestContext } from './request-context.js';

/** What a refusal is about, for whoever records refusals (the audit log). */
export interface RefusalRecord {
  readonly context: RequestContext;
  readonly action: 'pull' | 'push' | 'delete';
  readonly repository: string;
  readonly digest: string | undefined;
  readonly tag: string | undefined;
  readonly refusal: Refusal;
}

/**
 * The one place registry policies are asked, after a reference has resolved to a digest, and the one error path
 * for their refusals: 403 DENIED, its message naming the rule, the digest and what to do, its detail carrying
 * `{ policy, rule, digest }`. The services call it; the policies never throw on their own.
 */
export class PolicyPoint {
  readonly #onRefusal: (record: RefusalRecord) => void;
  #policies: readonly RegistryPolicy[] = [];
  #pull: readonly RegistryPolicy[] = [];
  #blobPull: readonly RegistryPolicy[] = [];
  #push: readonly RegistryPolicy[] = [];
  #delete: readonly RegistryPolicy[] = [];
  #beforeWrite: readonly RegistryPolicy[] = [];

  constructor(policies: readonly RegistryPolicy[], onRefusal: (record: RefusalRecord) => void = () => {}) {
    this.#onRefusal = onRefusal;
    this.add(policies);
  }

  /**
   * Registers more policies, asked after those registered before: the composition root adds the features' policies
   * once the features exist (some of them need the services that need this point).
   */
  add(policies: readonly RegistryPolicy[]): void {
    const all = [...this.#policies, ...policies];
    this.#policies = all;
    // Split once, so that a pull pays only for the policies that look at pulls.
    this.#pull = all.filter((policy) => policy.checkPull);
    this.#blobPull = all.filter((policy) => policy.checkBlobPull);
    this.#push = all.filter((policy) => policy.checkPush);
    this.#delete = all.filter((policy) => policy.checkDelete);
    this.#beforeWrite = all.filter((policy) => policy.beforeWrite);
  }

  async beforeWrite(context: RequestContext, repository: string): Promise<void> {
    for (const policy of this.#beforeWrite) await policy.beforeWrite!(context, repository);
  }

  async checkPull(context: RequestContext, pull: ManifestPull): Promise<void> {
    for (const policy of this.#pull) {
      const refusal = await policy.checkPull!(context, pull);
      if (refusal) this.#refuse(policy, refusal, context, 'pull', pull.repository, pull.digest, pull.reference.includes(':') ? undefined : pull.reference);
    }
  }

  async checkBlobPull(context: RequestContext, repository: string, digest: string): Promise<void> {
    for (const policy of this.#blobPull) {
      const refusal = await policy.checkBlobPull!(context, repository, digest);
      if (refusal) this.#refuse(policy, refusal, context, 'pull', repository, digest, undefined);
    }
  }

  async checkPush(context: RequestContext, push: ManifestPush): Promise<void> {
    for (const policy of this.#push) {
      const refusal = await policy.checkPush!(context, push);
      if (refusal) this.#refuse(policy, refusal, context, 'push', push.repository, push.digest, push.tags[0]);
    }
  }

  async checkDelete(context: RequestContext, removal: Removal): Promise<void> {
    for (const policy of this.#delete) {
      const refusal = await policy.checkDelete!(context, removal);
      if (refusal) this.#refuse(policy, refusal, context, 'delete', removal.repository, removal.digest, removal.tag);
    }
  }

  #refuse(policy: RegistryPolicy, refusal: Refusal, context: RequestContext, action: RefusalRecord['action'],
    repository: string, digest: string | undefined, tag: string | undefined): never {
    this.#onRefusal({ context, action, repository, digest, tag, refusal });
    throw new RegistryError('DENIED', refusal.message, { policy: policy.name, rule: refusal.rule, digest, ...refusal.detail });
  }
}
