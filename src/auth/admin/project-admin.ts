import type { AccessStore, MemberRef, Project, ProjectMember } from '../../metadata/access-store.js';
import type { AccessPolicy } from '../access-policy.js';
import type { Principal } from '../principal.js';
import { capabilitiesOf, projectRoles, type Capability } from '../roles.js';
import {
  actorName, conflict, notFound, storeWrite, type AdminAction, type AdminActor, type AdminAudit,
} from './admin-actor.js';
import { pageInMemory, pageOf, type Page, type PageQuery } from './admin-paging.js';
import type { CreateProjectRequest, SetMemberRequest } from './admin-requests.js';

/** How many projects a non-administrator's listing reads per query while it keeps those they may see. */
const scanBatch = 200;
/** How many of a project's repositories a refused deletion names. */
const repositoriesNamed = 5;

/**
 * Projects and their members. System administrators create projects; within a project, its role ladder decides:
 * seeing it needs view-project, seeing its members view-members, giving roles manage-members, changing or deleting
 * it update-project. A private project the caller may not see is answered like one that does not exist.
 */
export class ProjectAdmin {
  readonly #store: AccessStore;
  readonly #policy: AccessPolicy;
  readonly #audit: AdminAudit;
  readonly #forgetProject: (name: string) => void;

  constructor(store: AccessStore, policy: AccessPolicy, audit: AdminAudit, forgetProject: (name: string) => void) {
    this.#store = store;
    this.#policy = policy;
    this.#audit = audit;
    this.#forgetProject = forgetProject;
  }

  /**
   * The projects a reader may see: all for system administrators (and for everyone with access control off, when
   * `everything`); else public ones and those they hold a role in. Anonymous readers see public projects.
   */
  async list(reader: { readonly principal: Principal }, query: string | undefined, page: PageQuery, everything = false): Promise<Page<Project>> {
    const search = query ? { query } : {};
    if (everything || (reader.principal.kind === 'user' && reader.principal.admin)) {
      const rows = await this.#store.listProjects({ after: page.after, limit: page.limit + 1, ...search });
      return pageOf(rows, page.limit, (project) => project.name);
    }
    // The store cannot ask the policy, so the listing reads projects in name order and keeps the visible ones.
    const visible: Project[] = [];
    let after = page.after;
    for (;;) {
      const batch = await this.#store.listProjects({ after, limit: scanBatch, ...search });
      for (const project of batch) {
        const decision = await this.#policy.project(reader.principal, project.name);
        if (decision.capabilities.has('view-project')) visible.push(project);
        if (visible.length > page.limit) return pageOf(visible, page.limit, (p) => p.name);
      }
      if (batch.length < scanBatch) return pageOf(visible, page.limit, (p) => p.name);
      after = batch[batch.length - 1]!.name;
    }
  }

  /** A project the reader may see (see `list`); NOT_FOUND otherwise, as a missing one. */
  async get(reader: { readonly principal: Principal }, name: string, everything = false): Promise<Project> {
    if (!everything) {
      const decision = await this.#policy.project(reader.principal, name);
      if (!decision.exists || !decision.capabilities.has('view-project')) throw notFound(`project "${name}" not found`);
    }
    const project = await this.#store.projectByName(name);
    if (!project) throw notFound(`project "${name}" not found`);
    return project;
  }

  /**
   * What the reader may do in a project, for pages that show only the actions that will succeed. With access control
   * off (`everything`), the registry actions anyone may take.
   */
  async capabilities(reader: { readonly principal: Principal }, name: string, everything = false): Promise<Capability[]> {
    if (everything) return ['pull', 'push', 'delete', 'view-project'];
    return [...(await this.#policy.project(reader.principal, name)).capabilities].sort();
  }

  async create(actor: AdminActor, request: CreateProjectRequest): Promise<Project> {
    this.#audit.requireSystemAdmin(actor, 'project.create', 'create projects', { target: request.name });
    const project = await storeWrite(() => this.#store.createProject({
      name: request.name, public: request.public ?? false, createdBy: actorName(actor), now: Date.now(),
    }));
    this.#audit.changed(actor, 'project.create', { target: project.name, public: project.public }, project.name);
    return project;
  }

  async update(actor: AdminActor, name: string, change: { public: boolean }): Promise<Project> {
    const project = await this.#project(actor, name, 'update-project', 'project.update', 'change');
    const updated = await this.#store.updateProject(project.id, { public: change.public });
    if (!updated) throw notFound(`project "${name}" not found`);
    this.#audit.changed(actor, 'project.update', { target: name, public: change.public }, name);
    return updated;
  }

  /** Deletes an empty project: one that still holds repositories is refused, naming the first of them. */
  async delete(actor: AdminActor, name: string): Promise<void> {
    const project = await this.#project(actor, name, 'update-project', 'project.delete', 'delete');
    const repositories = await this.#store.projectRepositories(name, repositoriesNamed + 1);
    if (repositories.length > 0) {
      const named = repositories.slice(0, repositoriesNamed).join(', ') + (repositories.length > repositoriesNamed ? ', …' : '');
      throw conflict(`project "${name}" still holds repositories (${named}): only a project without repositories can be deleted`);
    }
    if (!await this.#store.deleteProject(project.id)) throw notFound(`project "${name}" not found`);
    this.#forgetProject(name);
    this.#audit.changed(actor, 'project.delete', { target: name }, name);
  }

  async members(actor: AdminActor, name: string, page: PageQuery): Promise<Page<ProjectMember>> {
    const project = await this.#project(actor, name, 'view-members', undefined, 'see the members of');
    return pageInMemory(await this.#store.members(project.id), page, memberKey);
  }

  /** Gives a user or group a role in the project, replacing the one it held. */
  async setMember(actor: AdminActor, name: string, request: SetMemberRequest): Promise<ProjectMember> {
    const target = `${request.kind}:${request.name}`;
    const project = await this.#project(actor, name, 'manage-members', 'member.set', 'manage the members of', { target });
    const member = await this.#memberRef(request.kind, request.name);
    const now = Date.now();
    await this.#store.setMember(project.id, member, request.role, now);
    this.#audit.changed(actor, 'member.set', { target, project: name, kind: request.kind, name: request.name, role: request.role }, name);
    return { ...member, name: request.name, role: request.role, createdAt: now };
  }

  async removeMember(actor: AdminActor, name: string, kind: 'user' | 'group', memberName: string): Promise<void> {
    const target = `${kind}:${memberName}`;
    const project = await this.#project(actor, name, 'manage-members', 'member.remove', 'manage the members of', { target });
    const member = await this.#memberRef(kind, memberName);
    if (!await this.#store.removeMember(project.id, member)) {
      throw notFound(`the ${kind} "${memberName}" is not a member of project "${name}"`);
    }
    this.#audit.changed(actor, 'member.remove', { target, project: name, kind, name: memberName }, name);
  }

  /**
   * The project, once the caller may see it and holds `capability` there. A project the caller may not see is
   * NOT_FOUND, as a missing one; one they see but may not act on is DENIED, naming the role that would allow it.
   */
  async #project(actor: AdminActor, name: string, capability: Capability, action: AdminAction | undefined,
    verb: string, detail: Record<string, unknown> = {}): Promise<Project> {
    const decision = await this.#policy.project(actor.principal, name);
    if (!decision.exists || !decision.capabilities.has('view-project')) throw notFound(`project "${name}" not found`);
    if (!decision.capabilities.has(capability)) {
      this.#audit.refuse(actor, action, `${actorName(actor)} may not ${verb} project "${name}": that needs ${describeCapability(capability)}`,
        { target: name, ...detail }, name);
    }
    const project = await this.#store.projectByName(name);
    if (!project) throw notFound(`project "${name}" not found`);
    return project;
  }

  async #memberRef(kind: 'user' | 'group', name: string): Promise<MemberRef> {
    if (kind === 'user') {
      const user = await this.#store.userByName(name);
      if (!user) throw notFound(`no user named "${name}"`);
      return { kind, id: user.id };
    }
    const group = await this.#store.groupByName(name);
    if (!group) throw notFound(`no group named "${name}"`);
    return { kind, id: group.id };
  }
}

/** The key members are listed and paged by: kind, then name. */
export function memberKey(member: { kind: string; name: string }): string {
  return `${member.kind}:${member.name}`;
}

/** "the capability manage-members (project role admin)": what a refusal tells the caller to ask for. */
export function describeCapability(capability: Capability): string {
  const role = projectRoles.find((candidate) => capabilitiesOf([candidate]).has(capability));
  return `the capability ${capability}${role ? ` (project role ${role}${role === 'admin' ? '' : ' or higher'})` : ''}`;
}
