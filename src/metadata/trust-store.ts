/**
 * What signature trust keeps (migrations 0011, 0012): each project's mode, options and notation trust policy, and the
 * keys and certificates it trusts. Every write moves the store's change version, so the pull policy's cached verdicts
 * drop with it on every node. Every implementation passes test/suites/trust-store.suite.ts.
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

export type TrustKeyKind = 'cosign-key' | 'ca-roots' | 'notation-store';

export const trustModes: readonly TrustMode[] = ['off', 'audit', 'enforce'];

export interface TrustPolicy {
  readonly project: string;
  readonly mode: TrustMode;
  /** Identities a certificate signer must have, one of them; empty: any certificate the project's roots vouch for. */
  readonly identities: readonly SignerIdentity[];
  /** Each platform of an index needs its own signature; otherwise a signed index vouches for the platforms it lists. */
  readonly perPlatform: boolean;
  /** The Notary Project trust policy document notation signatures are judged by (as given, JSON), or none. */
  readonly notationPolicy: unknown;
  readonly updatedBy: string;
  readonly updatedAt: number;
}

/** A certificate's subject alternative name (an e-mail address or a URI), and the OIDC issuer it must carry, if any. */
export interface SignerIdentity {
  readonly subject: string;
  readonly issuer?: string | undefined;
}

export interface NewTrustKey {
  readonly project: string;
  readonly name: string;
  /**
   * A cosign public key, CA certificates cosign certificate signatures must chain to, or a notation trust store
   * (named `ca:NAME`, `signingAuthority:NAME` or `tsa:NAME`, as a notation trust policy's trustStores name it).
   */
  readonly kind: TrustKeyKind;
  /** The public key (PEM SubjectPublicKeyInfo), or the certificates (PEM). */
  readonly pem: string;
  /** A key: base64 of the SHA-256 of its DER, as sigstore bundles name keys. Certificates: the first one's SHA-256 fingerprint. */
  readonly hint: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface TrustKey extends NewTrustKey {
  readonly id: number;
}
