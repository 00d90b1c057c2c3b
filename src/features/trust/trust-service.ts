import type { AccessPolicy } from '../../auth/access-policy.js';
import { actorName, notFound, type AdminActor, type AdminAudit } from '../../auth/admin/admin-actor.js';
import { requireProjectCapability } from '../../auth/admin/project-guard.js';
import type { Principal } from '../../auth/principal.js';
import { projectOf } from '../../auth/roles.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { TrustKey, TrustMode, TrustPolicy } from '../../metadata/trust-store.js';
import { isDigest } from '../../oci/digest.js';
import { parseTrustedKey } from '../../signatures/public-keys.js';
import type { ProjectTrustCache } from './project-trust.js';
import type { SignatureDiscovery } from './signature-discovery.js';
import { judgeTrust, type TrustVerdict } from './trust-verdict.js';

/** A project's trust as the API shows it. */
export interface ProjectTrustView {
  readonly project: string;
  readonly mode: TrustMode;
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

  async setMode(actor: AdminActor, project: string, mode: TrustMode): Promise<ProjectTrustView> {
    await requireProjectCapability(this.access, this.audit, actor, project, 'manage-policies', 'trust.mode', 'change the trust mode', { mode });
    const policy: TrustPolicy = { project, mode, updatedBy: actorName(actor), updatedAt: Date.now() };
    await this.metadata.trust().saveTrustPolicy(policy);
    this.audit.changed(actor, 'trust.mode', { mode }, project);
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
      throw new RegistryError('INVALID_REQUEST', `project ${project} already trusts a key named "${name}": remove it first (berth trust remove-key ${project} ${name}) or choose another name`, { name });
    }
    this.audit.changed(actor, 'trust.key.add', { name, hint: key.hint }, project);
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
      project, mode: policy?.mode ?? 'off', updatedBy: policy?.updatedBy, updatedAt: policy?.updatedAt,
      keys: await this.metadata.trust().trustKeys(project),
    };
  }
}
