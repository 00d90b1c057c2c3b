import type { AccessStore, Group, User } from '../../metadata/access-store.js';
import { conflict, notFound, storeWrite, type AdminActor, type AdminAudit } from './admin-actor.js';
import { pageInMemory, pageOf, type Page, type PageQuery } from './admin-paging.js';
import type { CreateGroupRequest } from './admin-requests.js';

/**
 * Groups, managed by system administrators. A local group lists its members here; an LDAP or OpenID Connect group
 * stands for a group of the identity provider (its DN, or a value of the groups claim), whose members the provider
 * names at each login, so they cannot be added or removed here.
 */
export class GroupAdmin {
  readonly #store: AccessStore;
  readonly #audit: AdminAudit;

  constructor(store: AccessStore, audit: AdminAudit) {
    this.#store = store;
    this.#audit = audit;
  }

  async list(actor: AdminActor, page: PageQuery): Promise<Page<Group>> {
    this.#audit.requireSystemAdmin(actor, undefined, 'list groups');
    const rows = await this.#store.listGroups({ after: page.after, limit: page.limit + 1 });
    return pageOf(rows, page.limit, (group) => group.name);
  }

  async get(actor: AdminActor, name: string): Promise<Group> {
    this.#audit.requireSystemAdmin(actor, undefined, 'see groups');
    return this.#find(name);
  }

  async create(actor: AdminActor, request: CreateGroupRequest): Promise<Group> {
    this.#audit.requireSystemAdmin(actor, 'group.create', 'create groups', { target: request.name });
    const group = await storeWrite(() => this.#store.createGroup({
      name: request.name, source: request.source, externalName: request.externalName, now: Date.now(),
    }));
    this.#audit.changed(actor, 'group.create', {
      target: group.name, source: group.source, ...(group.externalName !== undefined && { externalName: group.externalName }),
    });
    return group;
  }

  async delete(actor: AdminActor, name: string): Promise<void> {
    this.#audit.requireSystemAdmin(actor, 'group.delete', 'delete groups', { target: name });
    const group = await this.#find(name);
    if (!await this.#store.deleteGroup(group.id)) throw notFound(`no group named "${name}"`);
    this.#audit.changed(actor, 'group.delete', { target: name, source: group.source });
  }

  async members(actor: AdminActor, name: string, page: PageQuery): Promise<Page<User>> {
    this.#audit.requireSystemAdmin(actor, undefined, 'see group members');
    const group = await this.#find(name);
    return pageInMemory(await this.#store.groupMembers(group.id), page, (user) => user.username);
  }

  async addMember(actor: AdminActor, name: string, username: string): Promise<void> {
    const target = `${name}:${username}`;
    this.#audit.requireSystemAdmin(actor, 'group.member.add', 'change group members', { target });
    const { group, user } = await this.#localGroupAndUser(name, username);
    await this.#store.addGroupMember(group.id, user.id);
    this.#audit.changed(actor, 'group.member.add', { target, group: name, user: username });
  }

  async removeMember(actor: AdminActor, name: string, username: string): Promise<void> {
    const target = `${name}:${username}`;
    this.#audit.requireSystemAdmin(actor, 'group.member.remove', 'change group members', { target });
    const { group, user } = await this.#localGroupAndUser(name, username);
    if (!await this.#store.removeGroupMember(group.id, user.id)) throw notFound(`"${username}" is not a member of group "${name}"`);
    this.#audit.changed(actor, 'group.member.remove', { target, group: name, user: username });
  }

  async #localGroupAndUser(name: string, username: string): Promise<{ group: Group; user: User }> {
    const group = await this.#find(name);
    if (group.source !== 'local') {
      const provider = group.source === 'ldap' ? 'the LDAP directory' : 'the OpenID Connect provider';
      throw conflict(`group "${name}" is a group of ${provider}, which names its members at each login: change them there`);
    }
    const user = await this.#store.userByName(username);
    if (!user) throw notFound(`no user named "${username}"`);
    return { group, user };
  }

  async #find(name: string): Promise<Group> {
    const group = await this.#store.groupByName(name);
    if (!group) throw notFound(`no group named "${name}"`);
    return group;
  }
}
