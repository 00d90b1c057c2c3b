import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { RegistryError } from '../errors/registry-error.js';
import type { AccessStore, Robot, User } from '../metadata/access-store.js';
import { sameUsername } from '../metadata/username-key.js';
import type { AuditLog } from './audit-log.js';
import type { LoginThrottle } from './login-throttle.js';
import { verifyNoPassword, verifyPassword } from './passwords.js';
import type { Principal, RobotPrincipal, UserPrincipal } from './principal.js';
import { hashSecret, personalTokenPrefix, sameHash } from './secrets.js';

/** A directory that checks passwords (LDAP, Active Directory). */
export interface PasswordDirectory {
  authenticate(username: string, password: string): Promise<DirectoryAccount | undefined>;
}

export interface DirectoryAccount {
  readonly username: string;
  readonly email?: string | undefined;
  readonly displayName?: string | undefined;
  readonly groups: readonly { readonly dn: string; readonly name: string }[];
}

export interface AuthenticatorOptions {
  readonly directory?: PasswordDirectory | undefined;
  /** Members of this directory group (its DN) are system administrators. */
  readonly directoryAdminGroup?: string | undefined;
  readonly audit: AuditLog;
  readonly throttle: LoginThrottle;
  readonly changeVersion: () => number;
  readonly log: Logger;
}

/** How the credentials arrived: the token endpoint and the API count as logins; Basic on every request does not. */
export type LoginChannel = 'token' | 'basic' | 'api';

const robotPrefix = 'robot$';
const cacheMs = 60_000;
const maxCached = 5_000;

/**
 * Turns a username and password into a principal: robot accounts (`robot$<name>` and their secret), personal tokens
 * (a user's CLI secret, for users whose identity provider has no password to give docker), local users (argon2id),
 * and directory users (LDAP), who appear on their first login. Every failure counts towards brute-force limits and
 * is audited; every answer for bad credentials is the same, and every password login costs one argon2 verification
 * (against a dummy hash when there is no local one), so neither the answer nor its time tells which part was wrong
 * or which usernames exist. Usernames are case-insensitive (`metadata/username-key.ts`).
 *
 * Clients that use Basic auth send the password with every request; a good one is remembered for a minute (keyed
 * by a hash of the credentials), and rechecked against the store whenever the store has changed since, so that
 * revoking, disabling or a new password takes effect on the next request.
 */
export class Authenticator {
  readonly #store: AccessStore;
  readonly #options: AuthenticatorOptions;
  readonly #remembered = new Map<string, { principal: Principal; fingerprint: string; via: string | undefined; version: number; until: number }>();

  constructor(store: AccessStore, options: AuthenticatorOptions) {
    this.#store = store;
    this.#options = options;
  }

  async login(username: string, password: string, address: string | undefined, channel: LoginChannel): Promise<Principal> {
    const now = Date.now();
    const { throttle, audit } = this.#options;
    // Limits apply to every attempt, remembered or not: a locked account stays locked for the right password too.
    await throttle.check(username, address, now).catch((error: unknown) => {
      audit.record({ at: now, actor: actorName(username), actorKind: actorKind(username), action: 'login.failed', address, outcome: 'denied', detail: { reason: 'rate-limited', channel } });
      throw error;
    });

    const key = createHash('sha256').update(username).update('\0').update(password).digest('base64');
    const remembered = this.#remembered.get(key);
    let principal: Principal;
    let via: string | undefined;
    if (remembered && remembered.until > now && await this.#stillValid(remembered, now)) {
      principal = remembered.principal;
      via = remembered.via;
    } else {
      this.#remembered.delete(key);
      const outcome = await this.#check(username, password, now);
      if (!outcome.principal) {
        await throttle.failed(username, address, now);
        audit.record({ at: now, actor: actorName(username), actorKind: actorKind(username), action: 'login.failed', address, outcome: 'failed', detail: { reason: outcome.reason, channel } });
        this.#options.log.warn({ username: actorName(username), address, reason: outcome.reason, channel }, 'login failed');
        throw new RegistryError('UNAUTHORIZED', outcome.message ?? badCredentials);
      }
      principal = outcome.principal;
      via = outcome.via;
      await throttle.succeeded(username);
      if (this.#remembered.size >= maxCached) this.#remembered.delete(this.#remembered.keys().next().value!);
      this.#remembered.set(key, { principal, fingerprint: outcome.fingerprint ?? '', via, version: this.#options.changeVersion(), until: now + cacheMs });
    }
    // A login is what someone does at the token endpoint or the API's sign-in; Basic on each request is not one.
    if (channel !== 'basic') {
      audit.record({ at: now, actor: actorName(username, principal), actorKind: principal.kind, action: 'login', address, outcome: 'ok', detail: { channel, via } });
    }
    return principal;
  }

  /**
   * The principal for a user as they stand now: their groups are those listed locally and those their identity
   * provider named at their last login.
   */
  async userPrincipal(user: User): Promise<UserPrincipal> {
    return {
      kind: 'user', id: user.id, username: user.username, source: user.source, admin: user.admin,
      groupIds: await this.#store.groupIdsOf(user.id),
    };
  }

  async #check(username: string, password: string, now: number): Promise<CheckOutcome> {
    if (username.length === 0 || password.length === 0) return { reason: 'empty username or password' };
    if (username.length > 256 || password.length > 4096 || /[\u0000-\u001f\u007f]/.test(username)) {
      return { reason: 'malformed credentials' };
    }
    if (username.startsWith(robotPrefix)) return this.#checkRobot(username, password, now);
    if (password.startsWith(personalTokenPrefix)) {
      const token = await this.#checkPersonalToken(username, password, now);
      if (token.principal || token.reason !== 'unknown personal token') return token;
      // Not a token after all: someone's password may start with the prefix.
    }
    const user = await this.#store.userByName(username);
    if (user && user.source === 'local') {
      // Checked before anything else is said: only someone who knows the password learns that the account is disabled.
      const matches = user.passwordHash ? await verifyPassword(user.passwordHash, password) : await verifyNoPassword(password);
      if (!matches) return { reason: 'wrong password' };
      if (user.disabled) return { reason: 'user disabled', message: disabledMessage };
      await this.#store.recordLogin(user.id, now);
      return { principal: await this.userPrincipal(user), fingerprint: user.passwordHash, via: 'password' };
    }
    if (user && user.source === 'oidc') {
      await verifyNoPassword(password);
      return {
        reason: 'password login for an OpenID Connect user',
        message: `"${user.username}" signs in through OpenID Connect and has no password here: sign in at /auth/oidc/login, create a CLI secret, and log in with that secret as the password`,
      };
    }
    // Unknown here, or the directory's: the same argon2 work is spent as for a local user (alongside the directory's
    // check, so a directory login waits no longer), so the time a failure takes does not tell which names exist.
    const [outcome] = await Promise.all([this.#checkDirectory(username, password, user, now), verifyNoPassword(password)]);
    return outcome;
  }

  async #checkRobot(username: string, secret: string, now: number): Promise<CheckOutcome> {
    // Hashed before the lookup, so an unknown robot costs what a known one does.
    const presented = hashSecret(secret);
    const robot = await this.#store.robotByName(username);
    if (!robot || !sameHash(robot.secretHash, presented)) return { reason: 'wrong robot secret' };
    const problem = robotProblem(robot, now);
    if (problem) return { reason: problem, message: `robot account "${robot.name}" ${problem}: ask a project administrator for a new one` };
    await this.#store.touchRobot(robot.id, now);
    const principal: RobotPrincipal = { kind: 'robot', id: robot.id, name: robot.name, permissions: robot.permissions };
    return { principal, fingerprint: robot.secretHash, via: 'robot secret' };
  }

  async #checkPersonalToken(username: string, secret: string, now: number): Promise<CheckOutcome> {
    const token = await this.#store.personalTokenBySecretHash(hashSecret(secret));
    if (!token) return { reason: 'unknown personal token' };
    const user = await this.#store.userById(token.userId);
    if (!user || !sameUsername(user.username, username)) return { reason: 'personal token of another user' };
    if (token.revokedAt !== undefined) return { reason: 'personal token revoked', message: 'this CLI secret was revoked: create a new one' };
    if (token.expiresAt !== undefined && token.expiresAt <= now) return { reason: 'personal token expired', message: 'this CLI secret has expired: create a new one' };
    if (user.disabled) return { reason: 'user disabled', message: disabledMessage };
    await this.#store.touchPersonalToken(token.id, now);
    await this.#store.recordLogin(user.id, now);
    return { principal: await this.userPrincipal(user), fingerprint: `${token.id}:${user.updatedAt}`, via: 'cli secret' };
  }

  async #checkDirectory(username: string, password: string, existing: User | undefined, now: number): Promise<CheckOutcome> {
    const { directory, directoryAdminGroup } = this.#options;
    if (!directory) return { reason: existing ? 'wrong password' : 'unknown user' };
    let account: DirectoryAccount | undefined;
    try {
      account = await directory.authenticate(username, password);
    } catch (error) {
      this.#options.log.error({ err: error }, 'LDAP directory unavailable');
      throw new RegistryError('UNAVAILABLE', `the LDAP directory could not check the password: ${(error as Error).message}`);
    }
    if (!account) return { reason: existing ? 'wrong password' : 'unknown user' };
    const groupDns = account.groups.map((group) => group.dn);
    const admin = directoryAdminGroup !== undefined
      ? groupDns.some((dn) => dn.toLowerCase() === directoryAdminGroup.toLowerCase()) : undefined;
    const found = await this.#store.userByName(account.username);
    if (found && found.source !== 'ldap') {
      return { reason: 'directory user shadowed by a local user', message: `a local user named "${account.username}" exists: an administrator must rename or remove it before the directory user can sign in` };
    }
    let user: User;
    if (!found) {
      // Two nodes may see a first login at once: the loser of the race reads the winner's row.
      user = await this.#store.createUser({
        username: account.username, email: account.email, displayName: account.displayName, source: 'ldap', admin: admin ?? false, now,
      }).catch(async (error: unknown) => (await this.#store.userByName(account.username)) ?? Promise.reject(error));
    } else if ((admin !== undefined && admin !== found.admin) || account.email !== found.email || account.displayName !== found.displayName) {
      user = (await this.#store.updateUser(found.id, {
        ...(admin !== undefined && { admin }), email: account.email ?? null, displayName: account.displayName ?? null, now,
      })) ?? found;
    } else {
      user = found;
    }
    if (user.disabled) return { reason: 'user disabled', message: disabledMessage };
    const mapped = await this.#store.groupsByExternalName('ldap', groupDns);
    await this.#store.setProviderGroups(user.id, 'ldap', mapped.map((group) => group.id));
    await this.#store.recordLogin(user.id, now);
    return { principal: await this.userPrincipal(user), fingerprint: `ldap:${user.updatedAt}`, via: 'ldap' };
  }

  /** A remembered login still holds when nothing changed, or when its user or robot is as it was. */
  async #stillValid(remembered: { principal: Principal; fingerprint: string; version: number }, now: number): Promise<boolean> {
    const version = this.#options.changeVersion();
    if (remembered.version === version) return true;
    const { principal } = remembered;
    let valid = false;
    if (principal.kind === 'robot') {
      const robot = await this.#store.robotById(principal.id);
      valid = robot !== undefined && robot.secretHash === remembered.fingerprint && robotProblem(robot, now) === undefined
        && JSON.stringify(robot.permissions) === JSON.stringify(principal.permissions);
    } else if (principal.kind === 'user') {
      const user = await this.#store.userById(principal.id);
      valid = user !== undefined && !user.disabled && user.admin === principal.admin
        && (user.source !== 'local' || user.passwordHash === remembered.fingerprint)
        && (user.source === 'local' || remembered.fingerprint.endsWith(`:${user.updatedAt}`));
      if (valid && user) valid = (await this.#store.groupIdsOf(user.id)).join(',') === principal.groupIds.join(',');
    }
    if (valid) remembered.version = version;
    return valid;
  }
}

interface CheckOutcome {
  readonly principal?: Principal;
  readonly fingerprint?: string;
  readonly via?: string;
  readonly reason?: string;
  readonly message?: string;
}

const badCredentials = 'invalid username or password: check them (a robot account logs in as robot$<name> with its secret)';
const disabledMessage = 'this account is disabled: ask an administrator';

export function robotProblem(robot: Robot, now: number): string | undefined {
  if (robot.revokedAt !== undefined) return 'was revoked';
  if (robot.expiresAt !== undefined && robot.expiresAt <= now) return 'has expired';
  return undefined;
}

/** The name audited for a login attempt: what was typed, cut short and stripped of control characters. */
function actorName(username: string, principal?: Principal): string {
  if (principal && principal.kind === 'user') return principal.username;
  if (principal && principal.kind === 'robot') return principal.name;
  return username.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 256) || '(empty)';
}

function actorKind(username: string): 'user' | 'robot' {
  return username.startsWith(robotPrefix) ? 'robot' : 'user';
}
