import type { RobotPermission, UserSource } from '../metadata/access-store.js';

/** Who is asking: nobody, a user (local or from a directory), a robot account, or a part of Berth itself. */
export type Principal = AnonymousPrincipal | UserPrincipal | RobotPrincipal | SystemPrincipal;

export interface AnonymousPrincipal {
  readonly kind: 'anonymous';
}

export interface UserPrincipal {
  readonly kind: 'user';
  readonly id: number;
  readonly username: string;
  readonly source: UserSource;
  readonly admin: boolean;
  /** Local groups the user is listed in, and directory groups (LDAP, OIDC) mapped to Berth groups at login. */
  readonly groupIds: readonly number[];
}

export interface RobotPrincipal {
  readonly kind: 'robot';
  readonly id: number;
  readonly name: string;
  readonly permissions: readonly RobotPermission[];
}

/**
 * A part of Berth acting on its own behalf through the registry's API: an external scanner pulling the image Berth
 * asked it to scan (`scanner:<name>`). It holds no role and can never sign in: it exists only in a token Berth
 * issued itself, and may do exactly what that token grants, until it expires.
 */
export interface SystemPrincipal {
  readonly kind: 'system';
  readonly name: string;
}

export const anonymous: AnonymousPrincipal = Object.freeze({ kind: 'anonymous' });

/** The name the audit log and tokens carry for a principal. */
export function principalName(principal: Principal): string {
  switch (principal.kind) {
    case 'anonymous': return 'anonymous';
    case 'user': return principal.username;
    case 'robot': return principal.name;
    case 'system': return principal.name;
  }
}

/** A key that tells principals apart in caches: kind, id and what the decision depends on besides the store. */
export function principalKey(principal: Principal): string {
  switch (principal.kind) {
    case 'anonymous': return 'a';
    case 'user': return `u${principal.id}${principal.admin ? 'A' : ''}:${principal.groupIds.join(',')}`;
    case 'robot': return `r${principal.id}`;
    case 'system': return `s${principal.name}`;
  }
}
