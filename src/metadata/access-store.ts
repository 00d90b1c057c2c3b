/**
 * The metadata store's identity and access part: who exists, which projects exist, who holds which role where,
 * robot accounts and personal tokens, the token signing key, failed-login counters and the audit log. The rules
 * (which role may do what) live in `auth/`; this only stores and answers. Every implementation passes
 * test/suites/access-store.suite.ts. Writes that change who may do what move the metadata store's change version,
 * so caches of access decisions drop with them.
 */
export interface AccessStore {
  createUser(user: NewUser): Promise<User>;
  userById(id: number): Promise<User | undefined>;
  userByName(username: string): Promise<User | undefined>;
  /** The user an identity provider knows by `externalId` (for OIDC: "<issuer>#<subject>"). */
  userByExternalId(source: UserSource, externalId: string): Promise<User | undefined>;
  /** Users in name order after `after`, at most `limit`; `query` matches part of the name or e-mail. */
  listUsers(page: PageRequest & { query?: string }): Promise<User[]>;
  updateUser(id: number, change: UserChange): Promise<User | undefined>;
  deleteUser(id: number): Promise<boolean>;
  recordLogin(id: number, now: number): Promise<void>;

  createGroup(group: NewGroup): Promise<Group>;
  groupById(id: number): Promise<Group | undefined>;
  groupByName(name: string): Promise<Group | undefined>;
  listGroups(page: PageRequest): Promise<Group[]>;
  deleteGroup(id: number): Promise<boolean>;
  /** Groups of a provider whose external names are among `externalNames` (the groups a directory says a user is in). */
  groupsByExternalName(source: GroupSource, externalNames: readonly string[]): Promise<Group[]>;
  addGroupMember(groupId: number, userId: number): Promise<void>;
  removeGroupMember(groupId: number, userId: number): Promise<boolean>;
  groupMembers(groupId: number): Promise<User[]>;
  /** Ids of the groups a user is in: listed locally, or told by their identity provider at their last login. */
  groupIdsOf(userId: number): Promise<number[]>;
  /** Replaces a user's memberships in the provider's groups with `groupIds` (what the provider said at login). */
  setProviderGroups(userId: number, source: 'ldap' | 'oidc', groupIds: readonly number[]): Promise<void>;

  /** Creates a project; ConflictError when the name is taken. */
  createProject(project: NewProject): Promise<Project>;
  /** Creates a project unless one of that name exists; answers the project either way. */
  ensureProject(project: NewProject): Promise<Project>;
  projectById(id: number): Promise<Project | undefined>;
  projectByName(name: string): Promise<Project | undefined>;
  listProjects(page: PageRequest & { query?: string }): Promise<Project[]>;
  updateProject(id: number, change: { public?: boolean }): Promise<Project | undefined>;
  /** Deletes a project and its memberships; the caller makes sure it holds no repositories. */
  deleteProject(id: number): Promise<boolean>;
  /** Repositories of a project (its name, or names under "<project>/"), at most `limit`. */
  projectRepositories(name: string, limit: number): Promise<string[]>;

  /** Gives a user or group a role in a project, replacing the role it had. */
  setMember(projectId: number, member: MemberRef, role: ProjectRole, now: number): Promise<void>;
  removeMember(projectId: number, member: MemberRef): Promise<boolean>;
  members(projectId: number): Promise<ProjectMember[]>;
  /**
   * What an access decision about one project needs, in one call: whether it exists, whether it is public, and the
   * roles the user holds there directly or through the groups given.
   */
  projectAccess(projectName: string, userId: number | undefined, groupIds: readonly number[]): Promise<ProjectAccess>;

  createRobot(robot: NewRobot): Promise<Robot>;
  robotById(id: number): Promise<Robot | undefined>;
  robotByName(name: string): Promise<Robot | undefined>;
  /** Robots in name order; with `project`, those holding a permission on it. */
  listRobots(page: PageRequest & { project?: string }): Promise<Robot[]>;
  updateRobot(id: number, change: RobotChange): Promise<Robot | undefined>;
  deleteRobot(id: number): Promise<boolean>;
  touchRobot(id: number, now: number): Promise<void>;

  createPersonalToken(token: NewPersonalToken): Promise<PersonalToken>;
  personalTokenBySecretHash(secretHash: string): Promise<PersonalToken | undefined>;
  personalTokensOf(userId: number): Promise<PersonalToken[]>;
  revokePersonalToken(userId: number, id: number, now: number): Promise<boolean>;
  touchPersonalToken(id: number, now: number): Promise<void>;

  /** Stores `candidate` unless a signing key exists; answers the oldest key, which every node then signs with. */
  ensureSigningKey(candidate: SigningKey): Promise<SigningKey>;
  signingKeys(): Promise<SigningKey[]>;

  /** Ends a browser session before its expiry (sign-out); rows of sessions expired by `now` are dropped meanwhile. */
  revokeSession(jti: string, expiresAt: number, now: number): Promise<void>;
  sessionRevoked(jti: string): Promise<boolean>;

  /**
   * Counts a failed login against each key, in windows of `windowMs` (a window older than that starts over);
   * answers the counts after this failure.
   */
  recordLoginFailure(keys: readonly string[], now: number, windowMs: number): Promise<Map<string, number>>;
  /** Current counts of the keys within their windows (0 for none). */
  loginFailures(keys: readonly string[], now: number, windowMs: number): Promise<Map<string, number>>;
  clearLoginFailures(key: string): Promise<void>;

  appendAudit(events: readonly NewAuditEvent[]): Promise<void>;
  /** Audit events newest first, before the event id `before` when given, at most `limit`. */
  queryAudit(filter: AuditFilter): Promise<AuditEvent[]>;
  /** Deletes up to `limit` of the oldest events recorded before `at`; answers how many went. */
  deleteAuditBefore(at: number, limit: number): Promise<number>;
}

export interface PageRequest {
  readonly after?: string | undefined;
  readonly limit: number;
}

export type UserSource = 'local' | 'ldap' | 'oidc';
export type GroupSource = UserSource;
export type ProjectRole = 'limited-guest' | 'guest' | 'developer' | 'maintainer' | 'admin';
export type RobotAction = 'pull' | 'push' | 'delete';

export interface User {
  readonly id: number;
  readonly username: string;
  readonly email: string | undefined;
  readonly displayName: string | undefined;
  readonly source: UserSource;
  readonly externalId: string | undefined;
  readonly passwordHash: string | undefined;
  readonly admin: boolean;
  readonly disabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastLoginAt: number | undefined;
}

export interface NewUser {
  readonly username: string;
  readonly email?: string | undefined;
  readonly displayName?: string | undefined;
  readonly source: UserSource;
  readonly externalId?: string | undefined;
  readonly passwordHash?: string | undefined;
  readonly admin: boolean;
  readonly now: number;
}

export interface UserChange {
  readonly externalId?: string;
  readonly email?: string | null;
  readonly displayName?: string | null;
  readonly passwordHash?: string;
  readonly admin?: boolean;
  readonly disabled?: boolean;
  readonly now: number;
}

export interface Group {
  readonly id: number;
  readonly name: string;
  readonly source: GroupSource;
  readonly externalName: string | undefined;
  readonly createdAt: number;
}

export interface NewGroup {
  readonly name: string;
  readonly source: GroupSource;
  readonly externalName?: string | undefined;
  readonly now: number;
}

export interface Project {
  readonly id: number;
  readonly name: string;
  readonly public: boolean;
  readonly createdBy: string | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewProject {
  readonly name: string;
  readonly public: boolean;
  readonly createdBy?: string | undefined;
  readonly now: number;
}

export interface MemberRef {
  readonly kind: 'user' | 'group';
  readonly id: number;
}

export interface ProjectMember extends MemberRef {
  readonly name: string;
  readonly role: ProjectRole;
  readonly createdAt: number;
}

export interface ProjectAccess {
  readonly project: Project | undefined;
  readonly roles: readonly ProjectRole[];
}

export interface RobotPermission {
  /** A project name, or "*" for every project. */
  readonly project: string;
  readonly actions: readonly RobotAction[];
}

export interface Robot {
  readonly id: number;
  readonly name: string;
  readonly description: string | undefined;
  readonly secretHash: string;
  readonly permissions: readonly RobotPermission[];
  readonly expiresAt: number | undefined;
  readonly revokedAt: number | undefined;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | undefined;
}

export interface NewRobot {
  readonly name: string;
  readonly description?: string | undefined;
  readonly secretHash: string;
  readonly permissions: readonly RobotPermission[];
  readonly expiresAt?: number | undefined;
  readonly createdBy: string;
  readonly now: number;
}

export interface RobotChange {
  readonly description?: string | null;
  readonly secretHash?: string;
  readonly permissions?: readonly RobotPermission[];
  readonly expiresAt?: number | null;
  readonly revokedAt?: number | null;
}

export interface PersonalToken {
  readonly id: number;
  readonly userId: number;
  readonly name: string;
  readonly secretHash: string;
  readonly expiresAt: number | undefined;
  readonly revokedAt: number | undefined;
  readonly createdAt: number;
  readonly lastUsedAt: number | undefined;
}

export interface NewPersonalToken {
  readonly userId: number;
  readonly name: string;
  readonly secretHash: string;
  readonly expiresAt?: number | undefined;
  readonly now: number;
}

export interface SigningKey {
  readonly kid: string;
  readonly privateJwk: string;
  readonly createdAt: number;
}

export type ActorKind = 'user' | 'robot' | 'anonymous' | 'system';
export type AuditOutcome = 'ok' | 'denied' | 'failed';

export interface NewAuditEvent {
  readonly at: number;
  readonly actor: string;
  readonly actorKind: ActorKind;
  readonly action: string;
  readonly repository?: string | undefined;
  readonly digest?: string | undefined;
  readonly tag?: string | undefined;
  readonly address?: string | undefined;
  readonly outcome: AuditOutcome;
  readonly detail?: Record<string, unknown> | undefined;
}

export interface AuditEvent extends NewAuditEvent {
  readonly id: number;
}

export interface AuditFilter {
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  readonly repository?: string | undefined;
  /** Events of a project: its repositories (the project's name, or names under "<project>/") and its own changes. */
  readonly project?: string | undefined;
  readonly outcome?: AuditOutcome | undefined;
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly before?: number | undefined;
  readonly limit: number;
}
