import type { AccessPolicy } from '../../auth/access-policy.js';
import { actorName, notFound, type AdminActor, type AdminAudit } from '../../auth/admin/admin-actor.js';
import { requireProjectCapability } from '../../auth/admin/project-guard.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { ImmutableTagRule } from '../../metadata/policy-store.js';
import { isValidGlob } from '../../registry/glob.js';

/** A project's immutable-tag rules, managed by its maintainers (manage-policies) and seen by its members. */
export class ImmutableTagService {
  readonly #metadata: MetadataStore;
  readonly #policy: AccessPolicy;
  readonly #audit: AdminAudit;

  constructor(metadata: MetadataStore, policy: AccessPolicy, audit: AdminAudit) {
    this.#metadata = metadata;
    this.#policy = policy;
    this.#audit = audit;
  }

  async list(actor: AdminActor, project: string): Promise<ImmutableTagRule[]> {
    await requireProjectCapability(this.#policy, this.#audit, actor, project, 'view-project', undefined, 'see immutable-tag rules');
    return this.#metadata.policies().immutableRules(project);
  }

  async add(actor: AdminActor, project: string, tagPattern: string, repositoryPattern = '**'): Promise<ImmutableTagRule> {
    for (const [name, pattern] of [['tags', tagPattern], ['repositories', repositoryPattern]] as const) {
      if (!isValidGlob(pattern)) {
        throw new RegistryError('INVALID_REQUEST', `the ${name} pattern must be 1 to 256 printable characters (globs: *, **, ?)`, { [name]: pattern });
      }
    }
    await requireProjectCapability(this.#policy, this.#audit, actor, project, 'manage-policies', 'immutable.add', 'add immutable-tag rules',
      { tags: tagPattern, repositories: repositoryPattern });
    const rule = await this.#metadata.policies().addImmutableRule({
      project, tagPattern, repositoryPattern, createdBy: actorName(actor), createdAt: Date.now(),
    });
    this.#audit.changed(actor, 'immutable.add', { id: rule.id, tags: tagPattern, repositories: repositoryPattern }, project);
    return rule;
  }

  async remove(actor: AdminActor, project: string, id: number): Promise<void> {
    await requireProjectCapability(this.#policy, this.#audit, actor, project, 'manage-policies', 'immutable.remove', 'remove immutable-tag rules', { id });
    if (!(await this.#metadata.policies().deleteImmutableRule(project, id))) throw notFound(`project "${project}" has no immutable-tag rule ${id}`);
    this.#audit.changed(actor, 'immutable.remove', { id }, project);
  }
}
