/**
 * What signature trust keeps (migration 0011): each project's mode and the keys it trusts. Every write moves the
 * store's change version, so the pull policy's cached verdicts drop with it on every node. Every implementation
 * passes test/suites/trust-store.suite.ts.
 */
export interface TrustStore {
  /** Every project's trust policy (projects without one are off). */
  trustPolicies(): Promise<Map<string, TrustPolicy>>;
  saveTrustPolicy(policy: TrustPolicy): Promise<void>;
  /** A project's keys, by name. */
  trustKeys(project: string): Promise<TrustKey[]>;
  /** Adds a key; false when the project has a key of that name already (nothing is written). */
  addTrustKey(key: NewTrustKey): Promise<TrustKey | undefined>;
  /** Removes a key of the project; false when it has none of that name. */
  removeTrustKey(project: string, name: string): Promise<boolean>;
  /** The indexes of the repository that list `digest` as a platform: a signed index vouches for its platforms. */
  indexesHolding(repository: string, digest: string): Promise<string[]>;
}

export type TrustMode = 'off' | 'audit' | 'enforce';

export const trustModes: readonly TrustMode[] = ['off', 'audit', 'enforce'];

export interface TrustPolicy {
  readonly project: string;
  readonly mode: TrustMode;
  readonly updatedBy: string;
  readonly updatedAt: number;
}

export interface NewTrustKey {
  readonly project: string;
  readonly name: string;
  /** Only cosign public keys so far; notation trust stores come next. */
  readonly kind: 'cosign-key';
  /** The public key, PEM (SubjectPublicKeyInfo). */
  readonly pem: string;
  /** Base64 of the SHA-256 of the key's DER: how sigstore bundles and the UI name it. */
  readonly hint: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface TrustKey extends NewTrustKey {
  readonly id: number;
}
