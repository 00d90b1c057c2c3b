import type { Logger } from 'pino';
import { projectOf } from '../../auth/roles.js';
import type { Principal } from '../../auth/principal.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import { VersionedCache } from '../../metadata/versioned-cache.js';
import type { Refusal, RegistryPolicy } from '../../registry/registry-policy.js';
import type { ProjectTrustCache } from './project-trust.js';
import type { SignatureDiscovery } from './signature-discovery.js';
import { type TrustVerdict, judgeTrust, trustRefusal } from './trust-verdict.js';

/** What the policy counted on this node, for /metrics. */
export interface TrustTally {
  /** Verdicts made (each cached until a signature, key or mode changes), by outcome. */
  verified: number;
  unverified: number;
  /** Pulls refused under enforce, and pulls let through under audit without a valid signature. */
  refused: number;
  audited: number;
}

/**
 * Refuses, under a project's `enforce` mode, pulls (GET and HEAD, by tag and by digest) of manifests without a valid
 * signature from a key the project trusts; under `audit` lets them through and records the verdict. The signature
 * and attestation artifacts themselves are always served, and so is a platform manifest of a signed index. Who may
 * push to the repository may read unsigned manifests (cosign reads the image it signs): decided by authorisation,
 * never by the client's name. Verdicts are cached per digest and change version; when the version moves, a verdict is
 * made again only if the project's keys, mode or policy changed or the signatures found for the digest did (a
 * signature pushed or deleted, an index listing it signed); a certificate's expiry ends a verdict too.
 */
export function trustPolicy(metadata: MetadataStore, discovery: SignatureDiscovery, trust: ProjectTrustCache,
  mayPush: (principal: Principal, repository: string) => Promise<boolean>, log: Logger): RegistryPolicy & { readonly tally: TrustTally } {
  const verdicts = new VersionedCache<TrustVerdict>(100_000, () => 1, 'trust_verdicts');
  const known = new KnownVerdicts(100_000);
  const tally: TrustTally = { verified: 0, unverified: 0, refused: 0, audited: 0 };
  return {
    name: 'trust',
    tally,
    async checkPull(context, pull): Promise<Refusal | undefined> {
      // Berth's own parts (an external scanner) read what they must.
      if (context.principal.kind === 'system') return undefined;
      const project = projectOf(pull.repository);
      const policy = await trust.policy(project, pull.version);
      if (policy === undefined || policy.mode === 'off') return undefined;
      const key = `${pull.repository}@${pull.digest}`;
      let verdict = verdicts.get(key, pull.version);
      if (verdict === undefined || verdict.until <= Date.now()) {
        // The version moved (any write anywhere does): the last verdict still holds when the project's trust is the
        // same object and the same signatures would be found, which costs a few indexed reads, not a verification.
        const trusted = await trust.of(project, pull.version);
        const signatureSet = await discovery.signatureSet(pull.repository, pull.digest, policy.perPlatform);
        verdict = known.holding(key, trusted.cosign, signatureSet);
        if (verdict === undefined) {
          verdict = await judgeTrust(metadata, discovery, trusted, pull.repository, pull.digest);
          known.remember(key, { verdict, trust: trusted.cosign, signatureSet });
          if (verdict.trusted) tally.verified++;
          else tally.unverified++;
          if (!verdict.trusted) log.info({ repository: pull.repository, digest: pull.digest, mode: policy.mode, signatures: verdict.signatures.length }, 'a pulled manifest has no valid signature from a trusted key');
        }
        verdicts.set(key, verdict, pull.version);
      }
      if (verdict.trusted) return undefined;
      if (policy.mode === 'audit') {
        tally.audited++;
        return undefined;
      }
      if (await mayPush(context.principal, pull.repository)) return undefined;
      tally.refused++;
      return trustRefusal(verdict, project, pull.repository, pull.digest, policy.perPlatform);
    },
  };
}

/**
 * The last verdict per manifest with what it rested on: the project's parsed trust (the same object while no key,
 * mode or policy changed) and the signatures that could be found. Bounded; the oldest entries go first.
 */
class KnownVerdicts {
  readonly #entries = new Map<string, { verdict: TrustVerdict; trust: object; signatureSet: string }>();

  constructor(private readonly max: number) {}

  /** The verdict still holding for `key` under this trust and these signatures, if one does. */
  holding(key: string, trust: object, signatureSet: string): TrustVerdict | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.trust !== trust || entry.signatureSet !== signatureSet || entry.verdict.until <= Date.now()) return undefined;
    return entry.verdict;
  }

  remember(key: string, entry: { verdict: TrustVerdict; trust: object; signatureSet: string }): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
