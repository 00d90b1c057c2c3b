import type { AccessStore } from '../metadata/access-store.js';
import { VersionedCache } from '../metadata/versioned-cache.js';
import type { Principal } from './principal.js';
import { principalKey } from './principal.js';
import { allCapabilities, capabilitiesOf, projectOf, type Action, type Capability } from './roles.js';

export interface ProjectDecision {
  readonly exists: boolean;
  readonly public: boolean;
  readonly capabilities: ReadonlySet<Capability>;
}

const none: ReadonlySet<Capability> = new Set();
const publicReader: ReadonlySet<Capability> = new Set(['pull', 'view-project']);

/**
 * The one place that decides what a principal may do in a project: system administrators everything; members what
 * their roles (held directly or through groups) allow; robots what their permissions name; everyone, anonymous
 * included, may pull from a public project. Decisions are cached for one change version of the metadata store, so a
 * role taken away applies to the very next request.
 */
export class AccessPolicy {
  readonly #store: AccessStore;
  readonly #changeVersion: () => number;
  readonly #createProjectsOnPush: boolean;
  readonly #cache = new VersionedCache<ProjectDecision>(20_000, () => 1, 'access_decisions');

  constructor(store: AccessStore, changeVersion: () => number, options: { createProjectsOnPush: boolean }) {
    this.#store = store;
    this.#changeVersion = changeVersion;
    this.#createProjectsOnPush = options.createProjectsOnPush;
  }

  /** Whether a system administrator's push to a project that does not exist creates it (private). */
  get createsProjectsOnPush(): boolean {
    return this.#createProjectsOnPush;
  }

  async project(principal: Principal, projectName: string): Promise<ProjectDecision> {
    return this.#cache.through(`${principalKey(principal)}|${projectName}`, this.#changeVersion(), () => this.#decide(principal, projectName));
  }

  /** The registry actions a principal may take on a repository. */
  async actions(principal: Principal, repository: string): Promise<Set<Action>> {
    const { capabilities } = await this.project(principal, projectOf(repository));
    const granted = new Set<Action>();
    for (const action of ['pull', 'push', 'delete'] as const) if (capabilities.has(action)) granted.add(action);
    return granted;
  }

  async #decide(principal: Principal, projectName: string): Promise<ProjectDecision> {
    const user = principal.kind === 'user' ? principal : undefined;
    const access = await this.#store.projectAccess(projectName, user?.id, user?.groupIds ?? []);
    const project = access.project;
    if (!project) {
      // Only an administrator may bring a project into being, by pushing to it; nobody learns more than "no".
      if (user?.admin) {
        const capabilities = new Set(allCapabilities);
        if (!this.#createProjectsOnPush) capabilities.delete('push');
        return { exists: false, public: false, capabilities };
      }
      return { exists: false, public: false, capabilities: none };
    }
    const base = project.public ? publicReader : none;
    switch (principal.kind) {
      case 'anonymous':
      // Berth's own parts hold no role: what one may do is what its token grants (AccessControl.decide).
      case 'system':
        return { exists: true, public: project.public, capabilities: base };
      case 'user': {
        if (principal.admin) return { exists: true, public: project.public, capabilities: allCapabilities };
        const capabilities = capabilitiesOf(access.roles);
        for (const capability of base) capabilities.add(capability);
        return { exists: true, public: project.public, capabilities };
      }
      case 'robot': {
        const capabilities = new Set<Capability>(base);
        for (const permission of principal.permissions) {
          if (permission.project !== '*' && permission.project !== project.name) continue;
          for (const action of permission.actions) capabilities.add(action);
          capabilities.add('view-project');
        }
        return { exists: true, public: project.public, capabilities };
      }
    }
  }
}
