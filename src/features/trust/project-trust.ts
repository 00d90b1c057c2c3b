import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { TrustPolicy } from '../../metadata/trust-store.js';
import { VersionedCache } from '../../metadata/versioned-cache.js';
import type { CosignTrust } from '../../signatures/cosign-signer.js';
import { parseTrustedKey } from '../../signatures/public-keys.js';

/** A project's trust as checks use it: its mode and the keys it trusts, parsed. */
export interface ProjectTrust {
  readonly policy: TrustPolicy | undefined;
  readonly cosign: CosignTrust;
}

/**
 * Every project's trust, read once per change version (a key or mode change moves it on every node): a pull in a
 * project without a policy costs a map lookup, and keys are parsed once, not per pull.
 */
export class ProjectTrustCache {
  readonly #metadata: MetadataStore;
  readonly #policies = new VersionedCache<Map<string, TrustPolicy>>(4, () => 1, 'trust_policies');
  readonly #keys = new VersionedCache<CosignTrust>(1_000, () => 1, 'trust_keys');

  constructor(metadata: MetadataStore) {
    this.#metadata = metadata;
  }

  async policy(project: string, version: number): Promise<TrustPolicy | undefined> {
    return (await this.#policies.through('all', version, () => this.#metadata.trust().trustPolicies())).get(project);
  }

  async of(project: string, version: number): Promise<ProjectTrust> {
    const cosign = await this.#keys.through(project, version, async () => ({
      keys: (await this.#metadata.trust().trustKeys(project)).flatMap((stored) => {
        const parsed = parseTrustedKey(stored.name, stored.pem);
        return parsed.ok ? [parsed.value] : [];
      }),
      roots: [],
    }));
    return { policy: await this.policy(project, version), cosign };
  }
}
