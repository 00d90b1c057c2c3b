import type { AccessPolicy } from '../../auth/access-policy.js';
import { actorName, notFound, type AdminActor, type AdminAudit } from '../../auth/admin/admin-actor.js';
import { requireProjectCapability } from '../../auth/admin/project-guard.js';
import type { Principal } from '../../auth/principal.js';
import { projectOf } from '../../auth/roles.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { SignerIdentity, TrustKey, TrustMode, TrustPolicy } from '../../metadata/trust-store.js';
import { isDigest } from '../../oci/digest.js';
import { parseTrustedKey } from '../../signatures/public-keys.js';
import { parseTrustAnchors } from '../../signatures/x509-chain.js';
import type { ProjectTrustCache } from './project-trust.js';
import type { SignatureDiscovery } from './signature-discovery.js';
import { judgeTrust, type TrustVerdict } from './trust-verdict.js';

/** A project's trust as the API shows it. */
export interface ProjectTrustView {
  readonly project: string;
  readonly mode: TrustMode;
  readonly identities: readonly SignerIdentity[];
  readonly updatedBy: string | undefined;
  readonly updatedAt: number | undefined;
  readonly keys: readonly TrustKey[];
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

  /** Changes the mode, the signer identities required of certificates, or both; what is not given stays. */
  async setPolicy(actor: AdminActor, project: string, change: { mode?: TrustMode; identities?: readonly SignerIdentity[] }): Promise<ProjectTrustView> {
    await requireProjectCapability(this.access, this.audit, actor, project, 'manage-policies', 'trust.policy', 'change the trust policy', { ...change });
    const current = (await this.metadata.trust().trustPolicies()).get(project);
    const policy: TrustPolicy = {
      project, mode: change.mode ?? current?.mode ?? 'off', identities: change.identities ?? current?.identities ?? [],
      updatedBy: actorName(actor), updatedAt: Date.now(),
    };
    await this.metadata.trust().saveTrustPolicy(policy);
    this.audit.changed(actor, 'trust.policy', { mode: policy.mode, identities: policy.identities }, project);
    return this.#view(project);
  }

  async addKey(actor: AdminActor, project: string, name: string, pem: string): Promise<TrustKey> {
    const parsed = parseTrustedKey(name, pem);
    if (!parsed.ok) {
      throw new RegistryError('INVALID_REQUEST', `cosignKey: ${parsed.reason}; send the public key cosign generate-key-pair wrote (cosign.pub, a PEM PUBLIC KEY)`);
    }
    await requireProjectCapability(this.access, this.audit, actor, project, 'manage-policies', 'trust.key.add', 'add trusted keys', { name });
    const key = await this.metadata.trust().addTrustKey({
      project, name, kind: 'cosign-key', pem: pem.trim().concat('\n'), hint: parsed.value.hint, createdBy: actorName(actor), createdAt: Date.now(),
    });
    if (key === undefined) {
      throw new RegistryError('INVALID_REQUEST', `project ${project} already trusts something named "${name}": remove it first (berth trust remove-key ${project} ${name}) or choose another name`, { name });
    }
    this.audit.changed(actor, 'trust.key.add', { name, hint: key.hint }, project);
    return key;
  }

  /** Trusts CA certificates (PEM, one or more): certificate signatures chaining to one of them are valid. */
  async addRoots(actor: AdminActor, project: string, name: string, pem: string): Promise<TrustKey> {
    const parsed = parseTrustAnchors(pem);
    if (!parsed.ok || parsed.value.length === 0) {
      throw new RegistryError('INVALID_REQUEST', `caCertificates: ${parsed.ok ? 'no certificate found' : parsed.reason}; send the CA's certificates as PEM (-----BEGIN CERTIFICATE-----)`);
    }
    const notCa = parsed.value.find((certificate) => !certificate.ca);
    if (notCa !== undefined) {
      throw new RegistryError('INVALID_REQUEST', `caCertificates: ${notCa.subject.replace(/\n/g, ', ')} is not a CA certificate (basicConstraints CA:TRUE); trust the CA that issues signing certificates, or the signer's key with cosignKey`);
    }
    await requireProjectCapability(this.access, this.audit, actor, project, 'manage-policies', 'trust.key.add', 'add trusted CA certificates', { name });
    const key = await this.metadata.trust().addTrustKey({
      project, name, kind: 'ca-roots', pem: `${pem.trim()}\n`, hint: parsed.value[0]!.fingerprint256, createdBy: actorName(actor), createdAt: Date.now(),
    });
    if (key === undefined) {
      throw new RegistryError('INVALID_REQUEST', `project ${project} already trusts something named "${name}": remove it first (berth trust remove-key ${project} ${name}) or choose another name`, { name });
    }
    this.audit.changed(actor, 'trust.key.add', { name, kind: 'ca-roots', fingerprint: key.hint }, project);
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
    const { policy, cosign } = await this.trust.of(projectOf(repository), version);
    const verdict = await judgeTrust(this.metadata, this.discovery, cosign, repository, manifest.digest);
    return { ...verdict, repository, digest: manifest.digest, mode: policy?.mode ?? 'off' };
  }

  async #view(project: string): Promise<ProjectTrustView> {
    const policy = (await this.metadata.trust().trustPolicies()).get(project);
    return {
      project, mode: policy?.mode ?? 'off', identities: policy?.identities ?? [], updatedBy: policy?.updatedBy, updatedAt: policy?.updatedAt,
      keys: await this.metadata.trust().trustKeys(project),
    };
  }
}
