import { RegistryError } from '../../errors/registry-error.js';
import type { AccessControl } from '../access-control.js';
import type { UserPrincipal } from '../principal.js';
import { InvalidTokenError } from '../token-service.js';
import { AdminAudit } from './admin-actor.js';
import { AuditAdmin } from './audit-admin.js';
import { CliSecretAdmin } from './cli-secret-admin.js';
import { GroupAdmin } from './group-admin.js';
import { ProjectAdmin } from './project-admin.js';
import { RobotAdmin } from './robot-admin.js';
import { UserAdmin } from './user-admin.js';

/**
 * The administration API's rules, one part per kind of thing managed. Each method takes the actor (who asks, from
 * where), decides whether they may, validates against the current state, makes the store calls and writes the
 * audit record. It knows nothing of HTTP.
 */
export class AdminService {
  readonly users: UserAdmin;
  readonly projects: ProjectAdmin;
  readonly robots: RobotAdmin;
  readonly groups: GroupAdmin;
  readonly cliSecrets: CliSecretAdmin;
  readonly audit: AuditAdmin;
  readonly #access: AccessControl;

  constructor(access: AccessControl) {
    this.#access = access;
    const { store, policy } = access;
    const audit = new AdminAudit(access.audit);
    this.users = new UserAdmin(store, audit);
    this.projects = new ProjectAdmin(store, policy, audit, (name) => access.forgetProject(name));
    this.robots = new RobotAdmin(store, policy, audit);
    this.groups = new GroupAdmin(store, audit);
    this.cliSecrets = new CliSecretAdmin(store, audit);
    this.audit = new AuditAdmin(access.audit, policy, audit);
  }

  /**
   * The user a browser session names, as they stand now: the session carries only their id, so a user disabled or
   * deleted since it was issued is refused at once (401: signing in again is what could help).
   */
  async sessionPrincipal(session: string): Promise<UserPrincipal> {
    let userId: number;
    try {
      ({ userId } = await this.#access.tokens.verifySession(session));
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new RegistryError('UNAUTHORIZED', error.message);
      throw error;
    }
    const user = await this.#access.store.userById(userId);
    if (!user) throw new RegistryError('UNAUTHORIZED', 'the user of this session no longer exists: sign in again');
    if (user.disabled) throw new RegistryError('UNAUTHORIZED', 'this account is disabled: ask an administrator');
    return this.#access.authenticator.userPrincipal(user);
  }
}
