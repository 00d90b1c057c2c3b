import { ConflictError } from '../../errors/backend-errors.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { AuditLog } from '../audit-log.js';
import { principalName, type RobotPrincipal, type UserPrincipal } from '../principal.js';

/** Who asks the administration API for something, and from where (for the audit log). */
export interface AdminActor {
  readonly principal: UserPrincipal | RobotPrincipal;
  readonly address: string | undefined;
}

/** The changes the administration API makes, as the audit log names them. */
export type AdminAction =
  | 'user.create' | 'user.update' | 'user.delete'
  | 'project.create' | 'project.update' | 'project.delete'
  | 'member.set' | 'member.remove'
  | 'robot.create' | 'robot.update' | 'robot.revoke' | 'robot.rotate' | 'robot.delete'
  | 'group.create' | 'group.delete' | 'group.member.add' | 'group.member.remove'
  | 'cli-secret.create' | 'cli-secret.revoke'
  | 'immutable.add' | 'immutable.remove'
  | 'quarantine' | 'release'
  | 'vulnerability-policy.set' | 'vulnerability-allowlist.add' | 'vulnerability-allowlist.remove'
  | 'trust.policy' | 'trust.key.add' | 'trust.key.remove'
  | 'webhook.create' | 'webhook.update' | 'webhook.delete' | 'webhook.replay';

export function isSystemAdmin(actor: AdminActor): boolean {
  return actor.principal.kind === 'user' && actor.principal.admin;
}

export function actorName(actor: AdminActor): string {
  return principalName(actor.principal);
}

/**
 * Writes what the administration API changed, and what it refused to change, to the audit log. `detail` says what
 * was changed (never a secret or password); `project` files the event under a project, so that the project's
 * administrators see it when they ask for their project's events.
 */
export class AdminAudit {
  readonly #audit: AuditLog;

  constructor(audit: AuditLog) {
    this.#audit = audit;
  }

  changed(actor: AdminActor, action: AdminAction, detail: Record<string, unknown>, project?: string): void {
    this.#record(actor, action, 'ok', detail, project);
  }

  /** Records the refusal of a change (when `action` is given: refused reads are not audited) and throws DENIED. */
  refuse(actor: AdminActor, action: AdminAction | undefined, message: string, detail: Record<string, unknown> = {}, project?: string): never {
    if (action !== undefined) this.#record(actor, action, 'denied', { ...detail, reason: message }, project);
    throw new RegistryError('DENIED', message);
  }

  /** Only system administrators may go on; everyone else is refused with what they tried. */
  requireSystemAdmin(actor: AdminActor, action: AdminAction | undefined, what: string, detail: Record<string, unknown> = {}): void {
    if (isSystemAdmin(actor)) return;
    this.refuse(actor, action, `${actorName(actor)} may not ${what}: only system administrators may`, detail);
  }

  #record(actor: AdminActor, action: AdminAction, outcome: 'ok' | 'denied', detail: Record<string, unknown>, project: string | undefined): void {
    this.#audit.record({
      at: Date.now(), actor: actorName(actor), actorKind: actor.principal.kind, action, repository: project,
      address: actor.address, outcome, detail,
    });
  }
}

export function notFound(message: string): RegistryError {
  return new RegistryError('NOT_FOUND', message);
}

export function conflict(message: string): RegistryError {
  return new RegistryError('CONFLICT', message);
}

/** Runs a store write, answering CONFLICT with the store's reason when another writer holds the name. */
export async function storeWrite<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ConflictError) throw conflict(error.message);
    throw error;
  }
}
