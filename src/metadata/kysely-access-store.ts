import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { ConflictError } from '../errors/backend-errors.js';
import type {
  AccessStore, AuditEvent, AuditFilter, Group, GroupSource, MemberRef, NewAuditEvent, NewGroup, NewPersonalToken,
  NewProject, NewRobot, NewUser, PageRequest, PersonalToken, Project, ProjectAccess, ProjectMember, ProjectRole, Robot,
  RobotChange, RobotPermission, SigningKey, User, UserChange, UserSource,
} from './access-store.js';
import type { Database } from './database-schema.js';
import { usernameKey } from './username-key.js';

/** Runs a write as one transaction that moves the metadata store's change version (access caches depend on it). */
export type VersionedWrite = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

const auditBatch = 500;
/** Users are found by their case-folded name, the expression the unique index users_username_lower covers. */
const lowerUsername = sql<string>`lower(username)`;

/** The access store over Kysely, for every dialect; built by the metadata store, whose connection it shares. */
export class KyselyAccessStore implements AccessStore {
  readonly #db: Kysely<Database>;
  readonly #write: VersionedWrite;

  constructor(db: Kysely<Database>, write: VersionedWrite) {
    this.#db = db;
    this.#write = write;
  }

  async createUser(user: NewUser): Promise<User> {
    return this.#write(async (trx) => {
      const existing = await trx.selectFrom('users').select('username').where(lowerUsername, '=', usernameKey(user.username)).executeTakeFirst();
      if (existing) {
        const same = existing.username === user.username ? '' : ` (usernames are case-insensitive, so "${user.username}" names that user too)`;
        throw new ConflictError(`a user named "${existing.username}" exists${same}`);
      }
      const row = await trx.insertInto('users').values({
        username: user.username, email: user.email ?? null, display_name: user.displayName ?? null, source: user.source,
        external_id: user.externalId ?? null, password_hash: user.passwordHash ?? null, admin: user.admin ? 1 : 0, disabled: 0,
        created_at: user.now, updated_at: user.now, last_login_at: null,
      }).returningAll().executeTakeFirstOrThrow();
      return toUser(row);
    });
  }

  async userById(id: number): Promise<User | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  async userByName(username: string): Promise<User | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where(lowerUsername, '=', usernameKey(username)).executeTakeFirst();
    return row && toUser(row);
  }

  async userByExternalId(source: UserSource, externalId: string): Promise<User | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('source', '=', source).where('external_id', '=', externalId).executeTakeFirst();
    return row && toUser(row);
  }

  async listUsers(page: PageRequest & { query?: string }): Promise<User[]> {
    let query = this.#db.selectFrom('users').selectAll().orderBy('username').limit(page.limit);
    if (page.after !== undefined) query = query.where('username', '>', page.after);
    if (page.query) {
      const pattern = likePattern(page.query);
      query = query.where((eb) => eb.or([
        eb('username', 'like', pattern),
        eb('email', 'like', pattern),
      ]));
    }
    return (await query.execute()).map(toUser);
  }

  async updateUser(id: number, change: UserChange): Promise<User | undefined> {
    return this.#write(async (trx) => {
      const row = await trx.updateTable('users').set({
        ...(change.externalId !== undefined && { external_id: change.externalId }),
        ...(change.email !== undefined && { email: change.email }),
        ...(change.displayName !== undefined && { display_name: change.displayName }),
        ...(change.passwordHash !== undefined && { password_hash: change.passwordHash }),
        ...(change.admin !== undefined && { admin: change.admin ? 1 : 0 }),
        ...(change.disabled !== undefined && { disabled: change.disabled ? 1 : 0 }),
        updated_at: change.now,
      }).where('id', '=', id).returningAll().executeTakeFirst();
      return row && toUser(row);
    });
  }

  async deleteUser(id: number): Promise<boolean> {
    return this.#write(async (trx) => {
      await trx.deleteFrom('project_members').where('member_kind', '=', 'user').where('member_id', '=', id).execute();
      await trx.deleteFrom('group_members').where('user_id', '=', id).execute();
      await trx.deleteFrom('personal_tokens').where('user_id', '=', id).execute();
      const result = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async recordLogin(id: number, now: number): Promise<void> {
    // Not an access change: no version bump, so a login does not empty the caches.
    await this.#db.updateTable('users').set({ last_login_at: now }).where('id', '=', id).execute();
  }

  async createGroup(group: NewGroup): Promise<Group> {
    return this.#write(async (trx) => {
      const existing = await trx.selectFrom('groups').select('id').where('name', '=', group.name).executeTakeFirst();
      if (existing) throw new ConflictError(`a group named "${group.name}" exists`);
      if (group.externalName !== undefined) {
        const mapped = await trx.selectFrom('groups').select('name')
          .where('source', '=', group.source).where('external_name', '=', group.externalName).executeTakeFirst();
        if (mapped) throw new ConflictError(`the ${group.source} group "${group.externalName}" is already mapped by the group "${mapped.name}"`);
      }
      const row = await trx.insertInto('groups').values({
        name: group.name, source: group.source, external_name: group.externalName ?? null, created_at: group.now,
      }).returningAll().executeTakeFirstOrThrow();
      return toGroup(row);
    });
  }

  async groupById(id: number): Promise<Group | undefined> {
    const row = await this.#db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toGroup(row);
  }

  async groupByName(name: string): Promise<Group | undefined> {
    const row = await this.#db.selectFrom('groups').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toGroup(row);
  }

  async listGroups(page: PageRequest): Promise<Group[]> {
    let query = this.#db.selectFrom('groups').selectAll().orderBy('name').limit(page.limit);
    if (page.after !== undefined) query = query.where('name', '>', page.after);
    return (await query.execute()).map(toGroup);
  }

  async deleteGroup(id: number): Promise<boolean> {
    return this.#write(async (trx) => {
      await trx.deleteFrom('project_members').where('member_kind', '=', 'group').where('member_id', '=', id).execute();
      await trx.deleteFrom('group_members').where('group_id', '=', id).execute();
      const result = await trx.deleteFrom('groups').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async groupsByExternalName(source: GroupSource, externalNames: readonly string[]): Promise<Group[]> {
    if (externalNames.length === 0) return [];
    const rows = await this.#db.selectFrom('groups').selectAll()
      .where('source', '=', source).where('external_name', 'in', externalNames.slice(0, 1000)).execute();
    return rows.map(toGroup);
  }

  async addGroupMember(groupId: number, userId: number): Promise<void> {
    await this.#write(async (trx) => {
      await trx.insertInto('group_members').values({ group_id: groupId, user_id: userId })
        .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing()).execute();
    });
  }

  async removeGroupMember(groupId: number, userId: number): Promise<boolean> {
    return this.#write(async (trx) => {
      const result = await trx.deleteFrom('group_members').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async groupMembers(groupId: number): Promise<User[]> {
    const rows = await this.#db.selectFrom('group_members as gm').innerJoin('users as u', 'u.id', 'gm.user_id')
      .selectAll('u').where('gm.group_id', '=', groupId).orderBy('u.username').execute();
    return rows.map(toUser);
  }

  async groupIdsOf(userId: number): Promise<number[]> {
    const rows = await this.#db.selectFrom('group_members').select('group_id').where('user_id', '=', userId).orderBy('group_id').execute();
    return rows.map((row) => Number(row.group_id));
  }

  async setProviderGroups(userId: number, source: 'ldap' | 'oidc', groupIds: readonly number[]): Promise<void> {
    const current = await this.#db.selectFrom('group_members as gm').innerJoin('groups as g', 'g.id', 'gm.group_id')
      .select('gm.group_id').where('gm.user_id', '=', userId).where('g.source', '=', source).execute();
    const have = current.map((row) => Number(row.group_id)).sort((a, b) => a - b).join(',');
    const want = [...new Set(groupIds)].sort((a, b) => a - b);
    // Most logins change nothing: skip the write, which would empty every access cache.
    if (have === want.join(',')) return;
    await this.#write(async (trx) => {
      const ofSource = trx.selectFrom('groups').select('id').where('source', '=', source);
      await trx.deleteFrom('group_members').where('user_id', '=', userId).where('group_id', 'in', ofSource).execute();
      if (want.length > 0) {
        await trx.insertInto('group_members').values(want.map((groupId) => ({ group_id: groupId, user_id: userId })))
          .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing()).execute();
      }
    });
  }

  async createProject(project: NewProject): Promise<Project> {
    return this.#write(async (trx) => {
      const existing = await trx.selectFrom('projects').select('id').where('name', '=', project.name).executeTakeFirst();
      if (existing) throw new ConflictError(`a project named "${project.name}" exists`);
      return toProject(await insertProject(trx, project));
    });
  }

  async ensureProject(project: NewProject): Promise<Project> {
    const existing = await this.projectByName(project.name);
    if (existing) return existing;
    return this.#write(async (trx) => {
      await trx.insertInto('projects').values(projectRow(project)).onConflict((oc) => oc.column('name').doNothing()).execute();
      return toProject(await trx.selectFrom('projects').selectAll().where('name', '=', project.name).executeTakeFirstOrThrow());
    });
  }

  async projectById(id: number): Promise<Project | undefined> {
    const row = await this.#db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toProject(row);
  }

  async projectByName(name: string): Promise<Project | undefined> {
    const row = await this.#db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toProject(row);
  }

  async listProjects(page: PageRequest & { query?: string }): Promise<Project[]> {
    let query = this.#db.selectFrom('projects').selectAll().orderBy('name').limit(page.limit);
    if (page.after !== undefined) query = query.where('name', '>', page.after);
    if (page.query) query = query.where('name', 'like', likePattern(page.query));
    return (await query.execute()).map(toProject);
  }

  async updateProject(id: number, change: { public?: boolean }): Promise<Project | undefined> {
    return this.#write(async (trx) => {
      const row = await trx.updateTable('projects').set({
        ...(change.public !== undefined && { public: change.public ? 1 : 0 }),
        updated_at: Date.now(),
      }).where('id', '=', id).returningAll().executeTakeFirst();
      return row && toProject(row);
    });
  }

  async deleteProject(id: number): Promise<boolean> {
    return this.#write(async (trx) => {
      await trx.deleteFrom('project_members').where('project_id', '=', id).execute();
      const result = await trx.deleteFrom('projects').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async projectRepositories(name: string, limit: number): Promise<string[]> {
    // A range on the primary key ("<name>/" up to "<name>0", "0" following "/") instead of LIKE, whose wildcards
    // a name's "_" would be.
    const rows = await this.#db.selectFrom('repositories').select('name')
      .where((eb) => eb.or([eb('name', '=', name), eb.and([eb('name', '>', `${name}/`), eb('name', '<', `${name}0`)])]))
      .orderBy('name').limit(limit).execute();
    return rows.map((row) => row.name);
  }

  async setMember(projectId: number, member: MemberRef, role: ProjectRole, now: number): Promise<void> {
    await this.#write(async (trx) => {
      await trx.insertInto('project_members').values({
        project_id: projectId, member_kind: member.kind, member_id: member.id, role, created_at: now,
      }).onConflict((oc) => oc.columns(['project_id', 'member_kind', 'member_id']).doUpdateSet({ role })).execute();
    });
  }

  async removeMember(projectId: number, member: MemberRef): Promise<boolean> {
    return this.#write(async (trx) => {
      const result = await trx.deleteFrom('project_members').where('project_id', '=', projectId)
        .where('member_kind', '=', member.kind).where('member_id', '=', member.id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async members(projectId: number): Promise<ProjectMember[]> {
    const users = await this.#db.selectFrom('project_members as pm').innerJoin('users as u', 'u.id', 'pm.member_id')
      .select(['pm.member_id', 'pm.role', 'pm.created_at', 'u.username as name'])
      .where('pm.project_id', '=', projectId).where('pm.member_kind', '=', 'user').execute();
    const groups = await this.#db.selectFrom('project_members as pm').innerJoin('groups as g', 'g.id', 'pm.member_id')
      .select(['pm.member_id', 'pm.role', 'pm.created_at', 'g.name as name'])
      .where('pm.project_id', '=', projectId).where('pm.member_kind', '=', 'group').execute();
    const toMember = (kind: 'user' | 'group') => (row: { member_id: number; role: string; created_at: number; name: string }): ProjectMember => ({
      kind, id: Number(row.member_id), name: row.name, role: row.role as ProjectRole, createdAt: Number(row.created_at),
    });
    return [...users.map(toMember('user')), ...groups.map(toMember('group'))]
      .sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : 1) : a.kind === 'user' ? -1 : 1));
  }

  async projectAccess(projectName: string, userId: number | undefined, groupIds: readonly number[]): Promise<ProjectAccess> {
    const row = await this.#db.selectFrom('projects').selectAll().where('name', '=', projectName).executeTakeFirst();
    if (!row) return { project: undefined, roles: [] };
    const project = toProject(row);
    if (userId === undefined && groupIds.length === 0) return { project, roles: [] };
    const roles = await this.#db.selectFrom('project_members').select('role')
      .where('project_id', '=', project.id)
      .where((eb) => eb.or([
        ...(userId !== undefined ? [eb.and([eb('member_kind', '=', 'user'), eb('member_id', '=', userId)])] : []),
        ...(groupIds.length > 0 ? [eb.and([eb('member_kind', '=', 'group'), eb('member_id', 'in', groupIds.slice(0, 1000))])] : []),
      ]))
      .execute();
    return { project, roles: roles.map((r) => r.role as ProjectRole) };
  }

  async createRobot(robot: NewRobot): Promise<Robot> {
    return this.#write(async (trx) => {
      const existing = await trx.selectFrom('robots').select('id').where('name', '=', robot.name).executeTakeFirst();
      if (existing) throw new ConflictError(`a robot account named "${robot.name}" exists`);
      const row = await trx.insertInto('robots').values({
        name: robot.name, description: robot.description ?? null, secret_hash: robot.secretHash,
        permissions: JSON.stringify(robot.permissions), expires_at: robot.expiresAt ?? null, revoked_at: null,
        created_by: robot.createdBy, created_at: robot.now, last_used_at: null,
      }).returningAll().executeTakeFirstOrThrow();
      return toRobot(row);
    });
  }

  async robotById(id: number): Promise<Robot | undefined> {
    const row = await this.#db.selectFrom('robots').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRobot(row);
  }

  async robotByName(name: string): Promise<Robot | undefined> {
    const row = await this.#db.selectFrom('robots').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toRobot(row);
  }

  async listRobots(page: PageRequest & { project?: string }): Promise<Robot[]> {
    // Permissions are a small JSON list per robot; filtering by project happens here rather than in SQL, page by page.
    const robots: Robot[] = [];
    let after = page.after;
    for (;;) {
      let query = this.#db.selectFrom('robots').selectAll().orderBy('name').limit(page.limit);
      if (after !== undefined) query = query.where('name', '>', after);
      const rows = (await query.execute()).map(toRobot);
      for (const robot of rows) {
        if (page.project === undefined || robot.permissions.some((p) => p.project === page.project)) robots.push(robot);
        if (robots.length === page.limit) return robots;
      }
      if (rows.length < page.limit) return robots;
      after = rows.at(-1)!.name;
    }
  }

  async updateRobot(id: number, change: RobotChange): Promise<Robot | undefined> {
    return this.#write(async (trx) => {
      const row = await trx.updateTable('robots').set({
        ...(change.description !== undefined && { description: change.description }),
        ...(change.secretHash !== undefined && { secret_hash: change.secretHash }),
        ...(change.permissions !== undefined && { permissions: JSON.stringify(change.permissions) }),
        ...(change.expiresAt !== undefined && { expires_at: change.expiresAt }),
        ...(change.revokedAt !== undefined && { revoked_at: change.revokedAt }),
      }).where('id', '=', id).returningAll().executeTakeFirst();
      return row && toRobot(row);
    });
  }

  async deleteRobot(id: number): Promise<boolean> {
    return this.#write(async (trx) => {
      const result = await trx.deleteFrom('robots').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async touchRobot(id: number, now: number): Promise<void> {
    await this.#db.updateTable('robots').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  async createPersonalToken(token: NewPersonalToken): Promise<PersonalToken> {
    return this.#write(async (trx) => {
      const row = await trx.insertInto('personal_tokens').values({
        user_id: token.userId, name: token.name, secret_hash: token.secretHash, expires_at: token.expiresAt ?? null,
        revoked_at: null, created_at: token.now, last_used_at: null,
      }).returningAll().executeTakeFirstOrThrow();
      return toPersonalToken(row);
    });
  }

  async personalTokenBySecretHash(secretHash: string): Promise<PersonalToken | undefined> {
    const row = await this.#db.selectFrom('personal_tokens').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst();
    return row && toPersonalToken(row);
  }

  async personalTokensOf(userId: number): Promise<PersonalToken[]> {
    const rows = await this.#db.selectFrom('personal_tokens').selectAll().where('user_id', '=', userId).orderBy('id').execute();
    return rows.map(toPersonalToken);
  }

  async revokePersonalToken(userId: number, id: number, now: number): Promise<boolean> {
    return this.#write(async (trx) => {
      const result = await trx.updateTable('personal_tokens').set({ revoked_at: now })
        .where('id', '=', id).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  async touchPersonalToken(id: number, now: number): Promise<void> {
    await this.#db.updateTable('personal_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  async ensureSigningKey(candidate: SigningKey): Promise<SigningKey> {
    // Several nodes starting at once each offer a key; the oldest stored one wins for all of them.
    const existing = await this.signingKeys();
    if (existing.length > 0) return existing[0]!;
    await this.#db.insertInto('signing_keys')
      .values({ kid: candidate.kid, private_jwk: candidate.privateJwk, created_at: candidate.createdAt })
      .onConflict((oc) => oc.column('kid').doNothing()).execute();
    return (await this.signingKeys())[0]!;
  }

  async signingKeys(): Promise<SigningKey[]> {
    const rows = await this.#db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
    return rows.map((row) => ({ kid: row.kid, privateJwk: row.private_jwk, createdAt: Number(row.created_at) }));
  }

  async revokeSession(jti: string, expiresAt: number, now: number): Promise<void> {
    await this.#db.deleteFrom('revoked_sessions').where('expires_at', '<', now).execute();
    await this.#db.insertInto('revoked_sessions').values({ jti, expires_at: expiresAt })
      .onConflict((oc) => oc.column('jti').doNothing()).execute();
  }

  async sessionRevoked(jti: string): Promise<boolean> {
    return (await this.#db.selectFrom('revoked_sessions').select('jti').where('jti', '=', jti).executeTakeFirst()) !== undefined;
  }

  async recordLoginFailure(keys: readonly string[], now: number, windowMs: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    await this.#db.transaction().execute(async (trx) => {
      for (const key of keys) {
        // A window that has run out starts over at one; otherwise the count goes up.
        const row = await trx.insertInto('login_failures').values({ key, failures: 1, window_start: now })
          .onConflict((oc) => oc.column('key').doUpdateSet({
            failures: sql<number>`case when login_failures.window_start <= ${now - windowMs} then 1 else login_failures.failures + 1 end`,
            window_start: sql<number>`case when login_failures.window_start <= ${now - windowMs} then ${now} else login_failures.window_start end`,
          }))
          .returning('failures').executeTakeFirstOrThrow();
        counts.set(key, Number(row.failures));
      }
    });
    return counts;
  }

  async loginFailures(keys: readonly string[], now: number, windowMs: number): Promise<Map<string, number>> {
    const counts = new Map(keys.map((key) => [key, 0]));
    if (keys.length === 0) return counts;
    const rows = await this.#db.selectFrom('login_failures').selectAll()
      .where('key', 'in', keys).where('window_start', '>', now - windowMs).execute();
    for (const row of rows) counts.set(row.key, Number(row.failures));
    return counts;
  }

  async clearLoginFailures(key: string): Promise<void> {
    await this.#db.deleteFrom('login_failures').where('key', '=', key).execute();
  }

  async appendAudit(events: readonly NewAuditEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += auditBatch) {
      await this.#db.insertInto('audit_events').values(events.slice(i, i + auditBatch).map((event) => ({
        at: event.at, actor: event.actor, actor_kind: event.actorKind, action: event.action,
        repository: event.repository ?? null, digest: event.digest ?? null, tag: event.tag ?? null,
        address: event.address ?? null, outcome: event.outcome, detail: event.detail ? JSON.stringify(event.detail) : null,
      }))).execute();
    }
  }

  async queryAudit(filter: AuditFilter): Promise<AuditEvent[]> {
    let query = this.#db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(filter.limit);
    if (filter.before !== undefined) query = query.where('id', '<', filter.before);
    if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
    if (filter.action !== undefined) {
      // "login" matches "login" and "login.failed"; a dotted action matches itself alone.
      const action = filter.action;
      query = action.includes('.') ? query.where('action', '=', action)
        : query.where((eb) => eb.or([eb('action', '=', action), eb.and([eb('action', '>', `${action}.`), eb('action', '<', `${action}/`)])]));
    }
    if (filter.repository !== undefined) query = query.where('repository', '=', filter.repository);
    if (filter.project !== undefined) {
      // The same range as projectRepositories, not LIKE, whose wildcard a project name's "_" would be.
      const project = filter.project;
      query = query.where((eb) => eb.or([
        eb('repository', '=', project),
        eb.and([eb('repository', '>', `${project}/`), eb('repository', '<', `${project}0`)]),
      ]));
    }
    if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
    if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('at', '<', filter.until);
    return (await query.execute()).map(toAuditEvent);
  }

  async deleteAuditBefore(at: number, limit: number): Promise<number> {
    // By id, oldest first and a slice at a time: one bounded statement rather than a table-wide delete.
    const oldest = this.#db.selectFrom('audit_events').select('id').where('at', '<', at).orderBy('id').limit(limit);
    const result = await this.#db.deleteFrom('audit_events').where('id', 'in', oldest).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function projectRow(project: NewProject) {
  return {
    name: project.name, public: project.public ? 1 : 0, created_by: project.createdBy ?? null,
    created_at: project.now, updated_at: project.now,
  };
}

async function insertProject(trx: Transaction<Database>, project: NewProject) {
  return trx.insertInto('projects').values(projectRow(project)).returningAll().executeTakeFirstOrThrow();
}

/** A LIKE pattern matching `text` anywhere, its own wildcards escaped. */
function likePattern(text: string) {
  return sql<string>`${`%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`;
}

const optional = <T>(value: T | null): T | undefined => value ?? undefined;
const optionalNumber = (value: number | null): number | undefined => (value === null ? undefined : Number(value));

function toUser(row: Selectable<Database['users']>): User {
  return {
    id: Number(row.id), username: row.username, email: optional(row.email), displayName: optional(row.display_name),
    source: row.source as UserSource, externalId: optional(row.external_id), passwordHash: optional(row.password_hash), admin: Number(row.admin) === 1,
    disabled: Number(row.disabled) === 1, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at),
    lastLoginAt: optionalNumber(row.last_login_at),
  };
}

function toGroup(row: Selectable<Database['groups']>): Group {
  return {
    id: Number(row.id), name: row.name, source: row.source as GroupSource, externalName: optional(row.external_name),
    createdAt: Number(row.created_at),
  };
}

function toProject(row: Selectable<Database['projects']>): Project {
  return {
    id: Number(row.id), name: row.name, public: Number(row.public) === 1, createdBy: optional(row.created_by),
    createdAt: Number(row.created_at), updatedAt: Number(row.updated_at),
  };
}

function toRobot(row: Selectable<Database['robots']>): Robot {
  return {
    id: Number(row.id), name: row.name, description: optional(row.description), secretHash: row.secret_hash,
    permissions: JSON.parse(row.permissions) as RobotPermission[], expiresAt: optionalNumber(row.expires_at),
    revokedAt: optionalNumber(row.revoked_at), createdBy: row.created_by, createdAt: Number(row.created_at),
    lastUsedAt: optionalNumber(row.last_used_at),
  };
}

function toPersonalToken(row: Selectable<Database['personal_tokens']>): PersonalToken {
  return {
    id: Number(row.id), userId: Number(row.user_id), name: row.name, secretHash: row.secret_hash,
    expiresAt: optionalNumber(row.expires_at), revokedAt: optionalNumber(row.revoked_at),
    createdAt: Number(row.created_at), lastUsedAt: optionalNumber(row.last_used_at),
  };
}

function toAuditEvent(row: Selectable<Database['audit_events']>): AuditEvent {
  return {
    id: Number(row.id), at: Number(row.at), actor: row.actor, actorKind: row.actor_kind as AuditEvent['actorKind'],
    action: row.action, repository: optional(row.repository), digest: optional(row.digest), tag: optional(row.tag),
    address: optional(row.address), outcome: row.outcome as AuditEvent['outcome'],
    detail: row.detail ? JSON.parse(row.detail) as Record<string, unknown> : undefined,
  };
}
