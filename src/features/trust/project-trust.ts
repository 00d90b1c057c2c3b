import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { TrustPolicy } from '../../metadata/trust-store.js';
import { VersionedCache } from '../../metadata/versioned-cache.js';
import type { CosignTrust } from '../../signatures/cosign-signer.js';
import { parseTrustedKey } from '../../signatures/public-keys.js';
import { parseTrustAnchors } from '../../signatures/x509-chain.js';
import { type NotationTrust, notationTrustOf } from './notation-trust.js';

/** What signatures are checked against: cosign's keys, roots and identities, and notation's policy and stores. */
export interface SignatureTrust {
  readonly cosign: CosignTrust;
  /** Undefined when the project has no notation trust policy: its notation signatures are answered "no policy". */
  readonly notation: NotationTrust | undefined;
}

/** A project's trust as checks use it: its mode and options, and what it trusts, parsed. */
export interface ProjectTrust extends SignatureTrust {
  readonly policy: TrustPolicy | undefined;
}

/**
 * Every project's trust, read once per change version (a key or mode change moves it on every node): a pull in a
 * project without a policy costs a map lookup, and keys are parsed once, not per pull.
 */
export class ProjectTrustCache {
  readonly #metadata: MetadataStore;
  readonly #policies = new VersionedCache<Map<string, TrustPolicy>>(4, () => 1, 'trust_policies');
  readonly #keys = new VersionedCache<SignatureTrust>(1_000, () => 1, 'trust_keys');
  /** Each project's last parsed trust, by what it was made from: the policy's last change and the keys' ids. */
  readonly #last = new Map<string, { fingerprint: string; trusted: SignatureTrust }>();

  constructor(metadata: MetadataStore) {
    this.#metadata = metadata;
  }

  async policy(project: string, version: number): Promise<TrustPolicy | undefined> {
    return (await this.#policies.through('all', version, () => this.#metadata.trust().trustPolicies())).get(project);
  }

  async of(project: string, version: number): Promise<ProjectTrust> {
    const policy = await this.policy(project, version);
    const trusted = await this.#keys.through(project, version, async () => {
      const stored = await this.#metadata.trust().trustKeys(project);
      // Unchanged since the last version (a write elsewhere moved it): the same object, so that verdicts made under
      // it can be recognised as still holding (trust-policy.ts).
      const fingerprint = `${policy?.updatedAt ?? 0}/${stored.map((key) => key.id).join(',')}`;
      const last = this.#last.get(project);
      if (last !== undefined && last.fingerprint === fingerprint) return last.trusted;
      // What the API took was checked then: what no longer parses (a key type dropped since) is left out, not fatal.
      const cosign: CosignTrust = {
        keys: stored.filter((one) => one.kind === 'cosign-key').flatMap((one) => {
          const parsed = parseTrustedKey(one.name, one.pem);
          return parsed.ok ? [parsed.value] : [];
        }),
        roots: stored.filter((one) => one.kind === 'ca-roots').flatMap((one) => {
          const parsed = parseTrustAnchors(one.pem);
          return parsed.ok ? parsed.value : [];
        }),
        identities: policy?.identities ?? [],
      };
      const parsed: SignatureTrust = { cosign, notation: notationTrustOf(policy?.notationPolicy, project, stored) };
      if (this.#last.size >= 1_000) this.#last.clear();
      this.#last.set(project, { fingerprint, trusted: parsed });
      return parsed;
    });
    return { policy, ...trusted };
  }
}
