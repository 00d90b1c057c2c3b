import type { AccessStore, Group, Robot, User, UserChange } from '../../metadata/access-store.js';
import { sameUsername } from '../../metadata/username-key.js';
import { hashPassword, verifyPassword } from '../passwords.js';
import {
  actorName, conflict, isSystemAdmin, notFound, storeWrite, type AdminActor, type AdminAudit,
} from './admin-actor.js';
import { pageOf, type Page, type PageQuery } from './admin-paging.js';
import type { CreateUserRequest, UpdateUserRequest } from './admin-requests.js';

/** The caller as `GET /me` describes them: the user or robot record, and for users the groups they are in. */
export type Me =
  | { readonly kind: 'user'; readonly user: User; readonly groups: readonly Group[] }
  | { readonly kind: 'robot'; readonly robot: Robot };

/**
 * Users: system administrators create, change and delete them; every user may change their own password (with the
 * current one), e-mail and display name. An administrator can neither demote nor disable themselves, nor delete
 * themselves, so the registry is never left without one by a slip.
 */
export class UserAdmin {
  readonly #store: AccessStore;
  readonly #audit: AdminAudit;

  constructor(store: AccessStore, audit: AdminAudit) {
    this.#store = store;
    this.#audit = audit;
  }

  async me(actor: AdminActor): Promise<Me> {
    const { principal } = actor;
    if (principal.kind === 'robot') {
      const robot = await this.#store.robotById(principal.id);
      if (!robot) throw notFound(`the robot account "${principal.name}" no longer exists`);
      return { kind: 'robot', robot };
    }
    const user = await this.#store.userById(principal.id);
    if (!user) throw notFound(`the user "${principal.username}" no longer exists`);
    const groups = await Promise.all((await this.#store.groupIdsOf(user.id)).map((id) => this.#store.groupById(id)));
    return { kind: 'user', user, groups: groups.filter((group): group is Group => group !== undefined) };
  }

  async list(actor: AdminActor, query: string | undefined, page: PageQuery): Promise<Page<User>> {
    this.#audit.requireSystemAdmin(actor, undefined, 'list users');
    const rows = await this.#store.listUsers({ after: page.after, limit: page.limit + 1, ...(query ? { query } : {}) });
    return pageOf(rows, page.limit, (user) => user.username);
  }

  /** A user's record: system administrators see anyone's, a user their own. */
  async get(actor: AdminActor, username: string): Promise<User> {
    if (!isSystemAdmin(actor) && !isSelf(actor, username)) {
      this.#audit.refuse(actor, undefined, `${actorName(actor)} may not see other users: only system administrators may`);
    }
    return this.#find(username);
  }

  async create(actor: AdminActor, request: CreateUserRequest): Promise<User> {
    const target = request.username;
    this.#audit.requireSystemAdmin(actor, 'user.create', 'create users', { target });
    const passwordHash = await hashPassword(request.password);
    const user = await storeWrite(() => this.#store.createUser({
      username: target, email: request.email, displayName: request.displayName, source: 'local', passwordHash,
      admin: request.admin ?? false, now: Date.now(),
    }));
    this.#audit.changed(actor, 'user.create', {
      target, admin: user.admin, ...(user.email !== undefined && { email: user.email }),
      ...(user.displayName !== undefined && { displayName: user.displayName }),
    });
    return user;
  }

  async update(actor: AdminActor, username: string, request: UpdateUserRequest): Promise<User> {
    const admin = isSystemAdmin(actor);
    const self = isSelf(actor, username);
    const detail = { target: username };
    if (!admin && !self) {
      this.#audit.refuse(actor, 'user.update', `${actorName(actor)} may change only their own password, e-mail and display name: changing other users needs a system administrator`, detail);
    }
    if (!admin && (request.admin !== undefined || request.disabled !== undefined)) {
      this.#audit.refuse(actor, 'user.update', `${actorName(actor)} may not change "admin" or "disabled": only system administrators may`, detail);
    }
    const user = await this.#find(username);
    if (self && request.admin === false && user.admin) {
      throw conflict('you cannot remove your own administrator flag: ask another system administrator, so that the registry is never left without one');
    }
    if (self && request.disabled === true) {
      throw conflict('you cannot disable yourself: ask another system administrator');
    }
    let passwordHash: string | undefined;
    if (request.password !== undefined) {
      if (user.source !== 'local') {
        throw conflict(`"${user.username}" signs in through ${user.source === 'ldap' ? 'LDAP' : 'OpenID Connect'}: their password is managed there, not here`);
      }
      if (self) await this.#checkCurrentPassword(actor, user, request.currentPassword);
      passwordHash = await hashPassword(request.password);
    }
    const change: UserChange = {
      ...(request.email !== undefined && { email: request.email }),
      ...(request.displayName !== undefined && { displayName: request.displayName }),
      ...(passwordHash !== undefined && { passwordHash }),
      ...(request.admin !== undefined && { admin: request.admin }),
      ...(request.disabled !== undefined && { disabled: request.disabled }),
      now: Date.now(),
    };
    if (Object.keys(change).length === 1) return user;
    const updated = await this.#store.updateUser(user.id, change);
    if (!updated) throw notFound(`no user named "${username}"`);
    this.#audit.changed(actor, 'user.update', {
      target: username,
      ...(request.email !== undefined && { email: request.email }),
      ...(request.displayName !== undefined && { displayName: request.displayName }),
      ...(passwordHash !== undefined && { passwordChanged: true }),
      ...(request.admin !== undefined && { admin: request.admin }),
      ...(request.disabled !== undefined && { disabled: request.disabled }),
    });
    return updated;
  }

  async delete(actor: AdminActor, username: string): Promise<void> {
    this.#audit.requireSystemAdmin(actor, 'user.delete', 'delete users', { target: username });
    if (isSelf(actor, username)) throw conflict('you cannot delete yourself: ask another system administrator');
    const user = await this.#find(username);
    if (!await this.#store.deleteUser(user.id)) throw notFound(`no user named "${username}"`);
    this.#audit.changed(actor, 'user.delete', { target: username, source: user.source });
  }

  /** A user changing their own password proves they know the current one: a borrowed session is not enough. */
  async #checkCurrentPassword(actor: AdminActor, user: User, currentPassword: string | undefined): Promise<void> {
    const detail = { target: user.username, passwordChanged: false };
    if (currentPassword === undefined) {
      this.#audit.refuse(actor, 'user.update', 'to change your own password, send your current one as "currentPassword" too', detail);
    }
    if (!user.passwordHash || !await verifyPassword(user.passwordHash, currentPassword)) {
      this.#audit.refuse(actor, 'user.update', 'the current password is wrong: send your current password as "currentPassword"', detail);
    }
  }

  async #find(username: string): Promise<User> {
    const user = await this.#store.userByName(username);
    if (!user) throw notFound(`no user named "${username}"`);
    return user;
  }
}

function isSelf(actor: AdminActor, username: string): boolean {
  return actor.principal.kind === 'user' && sameUsername(actor.principal.username, username);
}
