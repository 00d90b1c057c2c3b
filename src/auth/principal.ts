import type { RobotPermission, UserSource } from '../metadata/access-store.js';

/** Who is asking: nobody, a user (local or from a directory), or a robot account. */
export type Principal = AnonymousPrincipal | UserPrincipal | RobotPrincipal;

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

export const anonymous: AnonymousPrincipal = Object.freeze({ kind: 'anonymous' });

/** The name the audit log and tokens carry for a principal. */
export function principalName(principal: Principal): string {
  switch (principal.kind) {
    case 'anonymous': return 'anonymous';
    case 'user': return principal.username;
    case 'robot': return principal.name;
  }
}

/** A key that tells principals apart in caches: kind, id and what the decision depends on besides the store. */
export function principalKey(principal: Principal): string {
  switch (principal.kind) {
    case 'anonymous': return 'a';
    case 'user': return `u${principal.id}${principal.admin ? 'A' : ''}:${principal.groupIds.join(',')}`;
    case 'robot': return `r${principal.id}`;
  }
}
