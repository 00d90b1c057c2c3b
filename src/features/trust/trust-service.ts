import type { AccessPolicy } from '../../auth/access-policy.js';
import { actorName, notFound, type AdminActor, type AdminAudit } from '../../auth/admin/admin-actor.js';
import { requireProjectCapability } from '../../auth/admin/project-guard.js';
import type { Principal } from '../../auth/principal.js';
import { projectOf } from '../../auth/roles.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { SignerIdentity, TrustKey, TrustKeyKind, TrustMode, TrustPolicy } from '../../metadata/trust-store.js';
import { isDigest } from '../../oci/digest.js';
import { parseTrustedKey } from '../../signatures/public-keys.js';
import { parseTrustAnchors } from '../../signatures/x509-chain.js';
import { checkNotationPolicy, checkNotationStoreName } from './notation-trust.js';
import type { ProjectTrustCache } from './project-trust.js';
import type { SignatureDiscovery } from './signature-discovery.js';
import { judgeTrust, type TrustVerdict } from './trust-verdict.js';

/** A project's trust as the API shows it. */
export interface ProjectTrustView {
  readonly project: string;
  readonly mode: TrustMode;
  readonly identities: readonly SignerIdentity[];
  readonly perPlatform: boolean;
  readonly notationPolicy: unknown;
  readonly updatedBy: string | undefined;
  readonly updatedAt: number | undefined;
  readonly keys: readonly TrustKey[];
}

/** What a change of a project's trust policy sets; what is absent stays. */
export interface PolicyChange {
  readonly mode?: TrustMode;
  readonly identities?: readonly SignerIdentity[];
  readonly perPlatform?: boolean;
  /** A Notary Project trust policy document, or null to stop checking notation signatures. */
  readonly notationPolicy?: unknown;
}

/** A manifest's signatures and whether its project's trust accepts it. */
export interface TrustStatus extends TrustVerdict {
  readonly repository: string;
  readonly digest: string;
  readonly mode: TrustMode;
}

/**
 * Signature trust per project: its mode and keys, managed by its maintainers (manage-policies) and seen by its
 * members; and any manifest's signatures, for whoever may pull it.
 */
export class TrustService {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly discovery: SignatureDiscovery,
    private readonly trust: ProjectTrustCache,
    private readonly access: AccessPolicy,
    private readonly audit: AdminAudit,
    private readonly mayRead: (principal: Principal, repository: string) => Promise<boolean>,
  ) {}

  async show(actor: AdminActor, project: string): Promise<ProjectTrustView> {
    await requireProjectCapability(this.access, this.audit, actor, project, 'view-project', undefined, 'see the trust policy');
    return this.#view(project);
  }

  /**
   * Changes the mode, the signer identities required of certificates, per-platform enforcement, the notation trust
   * policy (null removes it), or several at once; what is not given stays.
   */
  async setPolicy(actor: AdminActor, project: string, change: PolicyChange): Promise<ProjectTrustView> {
    if (change.notationPolicy !== undefined && change.notationPolicy !== null) {
      const checked = checkNotationPolicy(change.notationPolicy, project);
      if (!checked.ok) throw new RegistryError('INVALID_REQUEST', `notationPolicy: ${checked.errors.join('; ')}`);
    }
    const audited = { ...change, ...(change.notationPolicy !== undefined && { notationPolicy: change.notationPolicy === null ? null : 'set' }) };
    await requireProjectCapability(this.access, this.audit, actor, project, 'manage-policies', 'trust.policy', 'change the trust policy', audited);
    const current = (await this.metadata.trust().trustPolicies()).get(project);
    const policy: TrustPolicy = {
      project, mode: change.mode ?? current?.mode ?? 'off', identities: change.identities ?? current?.identities ?? [],
      perPlatform: change.perPlatform ?? current?.perPlatform ?? false,
      notationPolicy: change.notationPolicy === undefined ? current?.notationPolicy ?? null : change.notationPolicy,
      updatedBy: actorName(actor), updatedAt: Date.now(),
    };
    await this.metadata.trust().saveTrustPolicy(policy);
    this.audit.changed(actor, 'trust.policy', {
      mode: policy.mode, identities: policy.identities, perPlatform: policy.perPlatform, notationPolicy: policy.notationPolicy === null ? null : 'set',
    }, project);
    return this.#view(project);
  }

  async addKey(actor: AdminActor, project: string, name: string, pem: string): Promise<TrustKey> {
    const parsed = parseTrustedKey(name, pem);
    if (!parsed.ok) {
      throw new RegistryError('INVALID_REQUEST', `cosignKey: ${parsed.reason}; send the public key cosign generate-key-pair wrote (cosign.pub, a PEM PUBLIC KEY)`);
    }
    return this.#addTrusted(actor, project, name, 'cosign-key', pem, parsed.value.hint, 'add trusted keys');
  }

  /** Trusts CA certificates (PEM, one or more): cosign certificate signatures chaining to one of them are valid. */
  async addRoots(actor: AdminActor, project: string, name: string, pem: string): Promise<TrustKey> {
    const parsed = parseTrustAnchors(pem);
    if (!parsed.ok || parsed.value.length === 0) {
      throw new RegistryError('INVALID_REQUEST', `caCertificates: ${parsed.ok ? 'no certificate found' : parsed.reason}; send the CA's certificates as PEM (-----BEGIN CERTIFICATE-----)`);
    }
    const notCa = parsed.value.find((certificate) => !certificate.ca);
    if (notCa !== undefined) {
      throw new RegistryError('INVALID_REQUEST', `caCertificates: ${notCa.subject.replace(/\n/g, ', ')} is not a CA certificate (basicConstraints CA:TRUE); trust the CA that issues signing certificates, or the signer's key with cosignKey`);
    }
    return this.#addTrusted(actor, project, name, 'ca-roots', pem, parsed.value[0]!.fingerprint256, 'add trusted CA certificates');
  }

  /**
   * A notation trust store (PEM certificates), named `TYPE:NAME` as the project's notation trust policy names it in
   * `trustStores`: `ca:` roots for signing certificates, `tsa:` roots for timestamps, `signingAuthority:` roots for
   * signing authorities.
   */
  async addNotationStore(actor: AdminActor, project: string, name: string, pem: string): Promise<TrustKey> {
    const badName = checkNotationStoreName(name);
    if (badName !== undefined) throw new RegistryError('INVALID_REQUEST', `name: ${badName}`);
    const parsed = parseTrustAnchors(pem);
    if (!parsed.ok || parsed.value.length === 0) {
      throw new RegistryError('INVALID_REQUEST', `notationCertificates: ${parsed.ok ? 'no certificate found' : parsed.reason}; send the trust store's certificates as PEM (-----BEGIN CERTIFICATE-----)`);
    }
    return this.#addTrusted(actor, project, name, 'notation-store', pem, parsed.value[0]!.fingerprint256, 'add notation trust stores');
  }

  async #addTrusted(actor: AdminActor, project: string, name: string, kind: TrustKeyKind, pem: string, hint: string, what: string): Promise<TrustKey> {
    await requireProjectCapability(this.access, this.audit, actor, project, 'manage-policies', 'trust.key.add', what, { name });
    const key = await this.metadata.trust().addTrustKey({
      project, name, kind, pem: `${pem.trim()}\n`, hint, createdBy: actorName(actor), createdAt: Date.now(),
    });
    if (key === undefined) {
      throw new RegistryError('INVALID_REQUEST', `project ${project} already trusts something named "${name}": remove it first (berth trust remove-key ${project} ${name}) or choose another name`, { name });
    }
    this.audit.changed(actor, 'trust.key.add', { name, kind, hint: key.hint }, project);
    return key;
  }

  async removeKey(actor: AdminActor, project: string, name: string): Promise<void> {
    await requireProjectCapability(this.access, this.audit, actor, project, 'manage-policies', 'trust.key.remove', 'remove trusted keys', { name });
    if (!(await this.metadata.trust().removeTrustKey(project, name))) throw notFound(`project "${project}" trusts no key named "${name}"`);
    this.audit.changed(actor, 'trust.key.remove', { name }, project);
  }

  /** A manifest's signatures, each with its verdict, judged as a pull would be now. */
  async status(principal: Principal, repository: string, reference: string): Promise<TrustStatus> {
    if (!(await this.mayRead(principal, repository))) {
      throw new RegistryError('NAME_UNKNOWN', `there is no repository "${repository.slice(0, 255)}" you may see: check the name, or sign in`, { repository });
    }
    const byDigest = reference.includes(':');
    if (byDigest && !isDigest(reference)) throw new RegistryError('INVALID_REQUEST', `reference: "${reference.slice(0, 80)}" is neither a tag nor a digest`);
    const manifest = byDigest ? await this.metadata.manifestByDigest(repository, reference) : await this.metadata.manifestByTag(repository, reference);
    if (!manifest) throw new RegistryError('MANIFEST_UNKNOWN', `${repository} has no manifest ${reference.slice(0, 140)}`, { repository, reference });
    const version = this.metadata.changeVersion();
    const trusted = await this.trust.of(projectOf(repository), version);
    const verdict = await judgeTrust(this.metadata, this.discovery, trusted, repository, manifest.digest);
    return { ...verdict, repository, digest: manifest.digest, mode: trusted.policy?.mode ?? 'off' };
  }

  async #view(project: string): Promise<ProjectTrustView> {
    const policy = (await this.metadata.trust().trustPolicies()).get(project);
    return {
      project, mode: policy?.mode ?? 'off', identities: policy?.identities ?? [], perPlatform: policy?.perPlatform ?? false,
      notationPolicy: policy?.notationPolicy ?? null, updatedBy: policy?.updatedBy, updatedAt: policy?.updatedAt,
      keys: await this.metadata.trust().trustKeys(project),
    };
  }
}
