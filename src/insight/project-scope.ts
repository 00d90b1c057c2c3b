import type { AccessControl } from '../auth/access-control.js';
import { principalKey, type Principal } from '../auth/principal.js';
import type { ProjectScope } from '../metadata/insight-store.js';
import { VersionedCache } from '../metadata/versioned-cache.js';

/** Projects read per query while the scope is worked out. */
const batch = 500;

/**
 * Which projects a caller's queries range over: every project with access control off and for system
 * administrators; else those the caller may pull from (public ones, those they hold a role in, a robot's). The
 * same rule as /v2/ pulls, decided by the access policy; cached per caller for one change version, so a role given
 * or a project made private applies to the very next query.
 */
export class ProjectScopes {
  readonly #cache = new VersionedCache<ProjectScope>(10_000, (scope) => (scope === 'all' ? 1 : 1 + scope.length), 'project_scopes');

  constructor(private readonly access: AccessControl, private readonly changeVersion: () => number) {}

  async of(principal: Principal): Promise<ProjectScope> {
    if (!this.access.enabled || (principal.kind === 'user' && principal.admin)) return 'all';
    return this.#cache.through(principalKey(principal), this.changeVersion(), () => this.#visible(principal));
  }

  /** Whether the caller may read a repository (pull from it). */
  async mayRead(principal: Principal, repository: string): Promise<boolean> {
    if (!this.access.enabled) return true;
    return (await this.access.policy.actions(principal, repository)).has('pull');
  }

  /** Whether a project of that name exists. */
  async projectExists(name: string): Promise<boolean> {
    return (await this.access.store.projectByName(name)) !== undefined;
  }

  async #visible(principal: Principal): Promise<string[]> {
    const visible: string[] = [];
    let after: string | undefined;
    for (;;) {
      const projects = await this.access.store.listProjects({ after, limit: batch });
      for (const project of projects) {
        if ((await this.access.policy.project(principal, project.name)).capabilities.has('pull')) visible.push(project.name);
      }
      if (projects.length < batch) return visible;
      after = projects[projects.length - 1]!.name;
    }
  }
}
