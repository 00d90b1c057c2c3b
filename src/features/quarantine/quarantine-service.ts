import type { AccessPolicy } from '../../auth/access-policy.js';
import { notFound, type AdminActor, type AdminAudit } from '../../auth/admin/admin-actor.js';
import { requireProjectCapability } from '../../auth/admin/project-guard.js';
import { principalName } from '../../auth/principal.js';
import { projectOf } from '../../auth/roles.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { EventOrigin } from '../../events/registry-event.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { Puller, Quarantine } from '../../metadata/policy-store.js';
import { assertName, requireDigest } from '../../registry/validate.js';

/**
 * Quarantine and recall, as the administration API and CLI offer them. A project's maintainers (manage-policies)
 * quarantine a digest of one of its repositories with a reason: from then on every pull of it, by tag or digest,
 * on any node, is refused with the reason, and so are its children when it is an index. They see who pulled it
 * before (recall), and release it. Each quarantine and release is an outbox event: audited, and sent to webhooks.
 */
export class QuarantineService {
  readonly #metadata: MetadataStore;
  readonly #policy: AccessPolicy;
  readonly #audit: AdminAudit;
  readonly #settleAudit: () => Promise<void>;

  /** `settleAudit` writes what the audit log has yet to: the pulls a recall lists come from it. */
  constructor(metadata: MetadataStore, policy: AccessPolicy, audit: AdminAudit, settleAudit: () => Promise<void>) {
    this.#metadata = metadata;
    this.#policy = policy;
    this.#audit = audit;
    this.#settleAudit = settleAudit;
  }

  async quarantine(actor: AdminActor, repository: string, digestValue: string, reason: string): Promise<Quarantine> {
    const digest = await this.#existing(actor, repository, digestValue, 'quarantine', 'quarantine images');
    const children = await this.#metadata.childManifests(digest);
    await this.#metadata.policies().quarantine({ repository, digest, children, reason, origin: origin(actor), now: Date.now() });
    const current = (await this.#metadata.policies().quarantinesIn(repository)).get(digest);
    if (!current) throw new RegistryError('CONFLICT', `${repository}@${digest} was released while it was being quarantined: try again`);
    return current;
  }

  async release(actor: AdminActor, repository: string, digestValue: string): Promise<void> {
    const digest = await this.#allowed(actor, repository, digestValue, 'release', 'release quarantined images');
    if (!(await this.#metadata.policies().release(repository, digest, origin(actor), Date.now()))) {
      throw notFound(`${repository}@${digest} is not quarantined itself (an index's child is released with its index)`);
    }
  }

  /** The quarantines of a project's repositories, or of all for a system administrator who names none. */
  async list(actor: AdminActor, project: string | undefined, limit: number): Promise<Quarantine[]> {
    if (project === undefined) {
      this.#audit.requireSystemAdmin(actor, undefined, 'list quarantines of every project: name one with project=<name>');
    } else {
      await requireProjectCapability(this.#policy, this.#audit, actor, project, 'view-project', undefined, 'see quarantines');
    }
    return this.#metadata.policies().listQuarantines(project, limit);
  }

  /** Who pulled a digest (recall): users and robots with their addresses, first and last pull, and counts. */
  async pullers(actor: AdminActor, repository: string, digestValue: string): Promise<Puller[]> {
    const digest = await this.#allowed(actor, repository, digestValue, undefined, 'see who pulled images');
    await this.#settleAudit();
    return this.#metadata.policies().pullers(repository, digest);
  }

  async #allowed(actor: AdminActor, repository: string, digestValue: string, action: 'quarantine' | 'release' | undefined, verb: string): Promise<string> {
    assertName(repository);
    const digest = requireDigest(digestValue).value;
    await requireProjectCapability(this.#policy, this.#audit, actor, projectOf(repository), 'manage-policies', action, verb, { repository, digest });
    return digest;
  }

  async #existing(actor: AdminActor, repository: string, digestValue: string, action: 'quarantine', verb: string): Promise<string> {
    const digest = await this.#allowed(actor, repository, digestValue, action, verb);
    if (!(await this.#metadata.manifestByDigest(repository, digest))) {
      throw new RegistryError('MANIFEST_UNKNOWN', `${repository} has no manifest ${digest}: check the repository and digest`, { repository, digest });
    }
    return digest;
  }
}

function origin(actor: AdminActor): EventOrigin {
  return { actor: principalName(actor.principal), actorKind: actor.principal.kind, address: actor.address };
}
