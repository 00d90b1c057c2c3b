import type { Me } from '../../auth/admin/user-admin.js';
import type {
  AuditEvent, Group, PersonalToken, Project, ProjectMember, Robot, User,
} from '../../metadata/access-store.js';

/**
 * The JSON the administration API answers with: times as ISO 8601 strings, absent values as null, and never a
 * password hash or secret hash. openapi.ts describes each of these shapes.
 */
export function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

export function userView(user: User) {
  return {
    id: user.id, username: user.username, email: user.email ?? null, displayName: user.displayName ?? null,
    source: user.source, admin: user.admin, disabled: user.disabled, createdAt: iso(user.createdAt),
    lastLoginAt: iso(user.lastLoginAt),
  };
}

export function meView(me: Me) {
  if (me.kind === 'robot') {
    const { robot } = me;
    return {
      kind: 'robot' as const, name: robot.name, admin: false, source: null, email: null, displayName: null, groups: [],
      permissions: robot.permissions, expiresAt: iso(robot.expiresAt),
    };
  }
  const { user } = me;
  return {
    kind: 'user' as const, username: user.username, admin: user.admin, source: user.source, email: user.email ?? null,
    displayName: user.displayName ?? null, groups: me.groups.map((group) => group.name).sort(),
  };
}

export function projectView(project: Project) {
  return {
    id: project.id, name: project.name, public: project.public, createdBy: project.createdBy ?? null,
    createdAt: iso(project.createdAt),
  };
}

export function memberView(member: ProjectMember) {
  return { kind: member.kind, name: member.name, role: member.role };
}

export function robotView(robot: Robot) {
  return {
    id: robot.id, name: robot.name, description: robot.description ?? null, permissions: robot.permissions,
    expiresAt: iso(robot.expiresAt), revokedAt: iso(robot.revokedAt), createdBy: robot.createdBy,
    createdAt: iso(robot.createdAt), lastUsedAt: iso(robot.lastUsedAt),
  };
}

export function groupView(group: Group) {
  return { id: group.id, name: group.name, source: group.source, externalName: group.externalName ?? null, createdAt: iso(group.createdAt) };
}

export function cliSecretView(token: PersonalToken) {
  return {
    id: token.id, name: token.name, createdAt: iso(token.createdAt), expiresAt: iso(token.expiresAt),
    revokedAt: iso(token.revokedAt), lastUsedAt: iso(token.lastUsedAt),
  };
}

export function auditEventView(event: AuditEvent) {
  return {
    id: event.id, at: iso(event.at), actor: event.actor, actorKind: event.actorKind, action: event.action,
    repository: event.repository ?? null, digest: event.digest ?? null, tag: event.tag ?? null,
    address: event.address ?? null, outcome: event.outcome, detail: event.detail ?? null,
  };
}
