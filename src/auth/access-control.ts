import type { Logger } from 'pino';
import type { AccessStore } from '../metadata/access-store.js';
import { VersionedCache } from '../metadata/versioned-cache.js';
import type { AccessPolicy } from './access-policy.js';
import type { AuditLog } from './audit-log.js';
import type { Authenticator } from './authenticator.js';
import { anonymous, type Principal } from './principal.js';
import { projectOf, type Action } from './roles.js';
import type { ResourceScope } from './scope.js';
import { InvalidTokenError, type GrantedAccess, type TokenService, type VerifiedToken } from './token-service.js';

/** Who sent a request, as far as its Authorization header tells. */
export type Caller =
  | { readonly via: 'none'; readonly principal: Principal }
  | { readonly via: 'basic'; readonly principal: Principal }
  | { readonly via: 'token'; readonly principal: Principal; readonly token: VerifiedToken };

/**
 * The answer to "may this caller do this?": yes; no, and logging in (or a token with more scope) might change that
 * (401 with a challenge); or no, and it will stay no for this caller (403).
 */
export type Decision = 'allow' | 'challenge' | 'insufficient-scope' | 'deny';

/**
 * The access decision point for registry requests, shared by every route: who the caller is, whether they may take
 * an action on a repository, what a token request is granted, and the projects an administrator's first push
 * brings into being. With access control off, `enabled` is false and every request is allowed.
 */
export class AccessControl {
  readonly enabled: boolean;
  readonly store: AccessStore;
  readonly policy: AccessPolicy;
  readonly authenticator: Authenticator;
  readonly tokens: TokenService;
  readonly audit: AuditLog;
  readonly #log: Logger;
  /**
   * The user or robot each token speaks for, as the store has them now (cached for one change version): so that a
   * disabled user's or revoked robot's token stops working at once, and its roles are the current ones.
   */
  readonly #principals = new VersionedCache<{ principal: Principal; expiresAt: number | undefined } | null>(10_000, () => 1, 'principals');
  /** Projects known to exist, so that a push does not ask the database each time; forgotten every minute. */
  #knownProjects = new Set<string>();
  readonly #forget: NodeJS.Timeout;

  readonly #changeVersion: () => number;

  constructor(parts: {
    enabled: boolean; store: AccessStore; policy: AccessPolicy; authenticator: Authenticator; tokens: TokenService;
    audit: AuditLog; log: Logger; changeVersion: () => number;
  }) {
    this.#changeVersion = parts.changeVersion;
    this.enabled = parts.enabled;
    this.store = parts.store;
    this.policy = parts.policy;
    this.authenticator = parts.authenticator;
    this.tokens = parts.tokens;
    this.audit = parts.audit;
    this.#log = parts.log;
    this.#forget = setInterval(() => { this.#knownProjects = new Set(); }, 60_000);
    this.#forget.unref();
  }

  /** The caller behind an Authorization header; throws UNAUTHORIZED for bad credentials or a token not ours. */
  async caller(authorization: string | undefined, address: string | undefined): Promise<Caller> {
    if (authorization === undefined || authorization === '') return { via: 'none', principal: anonymous };
    const space = authorization.indexOf(' ');
    const scheme = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space === -1 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer') {
      const token = await this.tokens.verify(value);
      return { via: 'token', principal: await this.#currentPrincipal(token), token };
    }
    if (scheme === 'basic') {
      const { username, password } = decodeBasic(value);
      return { via: 'basic', principal: await this.authenticator.login(username, password, address, 'basic') };
    }
    throw new BadAuthorizationError(`the Authorization scheme "${scheme.slice(0, 20)}" is not supported: use Bearer (from the token endpoint) or Basic`);
  }

  /**
   * With access control off, credentials are not checked, with one exception: a token Berth issued one of its own
   * parts (an external scanner's pull token), so that policies still know it is Berth reading. Anything else, even a
   * token that does not verify, is undefined: the caller is anonymous, as for every other open request.
   */
  async openCaller(authorization: string | undefined): Promise<Caller | undefined> {
    if (authorization === undefined || !/^bearer /i.test(authorization)) return undefined;
    try {
      const token = await this.tokens.verify(authorization.slice(7).trim());
      return token.kind === 'system' ? { via: 'token', principal: { kind: 'system', name: token.subject }, token } : undefined;
    } catch (error) {
      if (error instanceof InvalidTokenError) return undefined;
      throw error;
    }
  }

  async #currentPrincipal(token: VerifiedToken): Promise<Principal> {
    // Only Berth issues tokens naming a part of itself (the token endpoint issues them to those who sign in).
    if (token.kind === 'system') return { kind: 'system', name: token.subject };
    if (token.kind === 'anonymous' || token.id === undefined) return anonymous;
    const { kind, id } = token;
    const entry = await this.#principals.through(`${kind}:${id}`, this.#changeVersion(), () => this.#loadPrincipal(kind, id));
    if (entry === null || (entry.expiresAt !== undefined && entry.expiresAt <= Date.now())) {
      throw new InvalidTokenError('the account this token was issued to is disabled, revoked, expired or gone: log in again');
    }
    return entry.principal;
  }

  async #loadPrincipal(kind: 'user' | 'robot', id: number): Promise<{ principal: Principal; expiresAt: number | undefined } | null> {
    if (kind === 'user') {
      const user = await this.store.userById(id);
      return user && !user.disabled ? { principal: await this.authenticator.userPrincipal(user), expiresAt: undefined } : null;
    }
    const robot = await this.store.robotById(id);
    if (!robot || robot.revokedAt !== undefined) return null;
    return { principal: { kind: 'robot', id: robot.id, name: robot.name, permissions: robot.permissions }, expiresAt: robot.expiresAt };
  }

  /** May the caller take `action` on the repository? */
  async decide(caller: Caller, repository: string, action: Action): Promise<Decision> {
    if (!this.enabled) return 'allow';
    if (caller.via === 'token') {
      const granted = caller.token.repositories.get(repository);
      // Berth's own parts may do exactly what their token grants, nothing else: there is no role to lose, and no
      // token to fetch for more (they cannot sign in).
      if (caller.principal.kind === 'system') return granted?.has(action) ? 'allow' : 'deny';
      if (granted?.has(action)) {
        // What the token granted, as far as the principal may still do it: a role taken away or a project made
        // private since the token was issued applies at once, not when the token expires.
        if ((await this.policy.actions(caller.principal, repository)).has(action)) return 'allow';
        return caller.principal.kind === 'anonymous' ? 'insufficient-scope' : 'deny';
      }
      // A token issued for this repository that lacks the action was asked for it and refused: asking again will
      // not help. Otherwise the client may simply hold a token for something else, and should fetch one.
      if (granted !== undefined && caller.token.kind !== 'anonymous') return 'deny';
      return 'insufficient-scope';
    }
    const allowed = await this.policy.actions(caller.principal, repository);
    if (allowed.has(action)) return 'allow';
    return caller.principal.kind === 'anonymous' ? 'challenge' : 'deny';
  }

  /** May the caller list every repository (`_catalog`)? System administrators only, as in Harbor. */
  decideCatalog(caller: Caller): Decision {
    if (!this.enabled) return 'allow';
    if (caller.via === 'token') {
      if (caller.token.catalog && caller.principal.kind === 'user' && caller.principal.admin) return 'allow';
      return caller.token.kind === 'anonymous' ? 'insufficient-scope' : 'deny';
    }
    if (caller.principal.kind === 'user' && caller.principal.admin) return 'allow';
    return caller.principal.kind === 'anonymous' ? 'challenge' : 'deny';
  }

  /** `/v2/` answers 200 to any caller who presented valid credentials or a token, anonymous tokens included. */
  decideBase(caller: Caller): Decision {
    return !this.enabled || caller.via !== 'none' ? 'allow' : 'challenge';
  }

  /** What a token request is granted: for each scope, the subset of its actions the principal may take. */
  async grant(principal: Principal, scopes: readonly ResourceScope[]): Promise<GrantedAccess[]> {
    const granted: GrantedAccess[] = [];
    for (const scope of scopes) {
      if (scope.type === 'registry') {
        const admin = principal.kind === 'user' && principal.admin;
        granted.push({ type: 'registry', name: 'catalog', actions: admin ? ['*'] : [] });
        continue;
      }
      const allowed = this.enabled ? await this.policy.actions(principal, scope.name) : new Set(scope.actions);
      granted.push({ type: 'repository', name: scope.name, actions: scope.actions.filter((action) => allowed.has(action)) });
    }
    return granted;
  }

  /**
   * Called before a push is accepted: an administrator's (or, without access control, anyone's) first push to a
   * project that does not exist creates it, private.
   */
  async beforePush(principal: Principal, repository: string): Promise<void> {
    const project = projectOf(repository);
    if (this.#knownProjects.has(project)) return;
    const creator = principal.kind === 'user' ? principal.username : principal.kind === 'robot' ? principal.name : undefined;
    const mayCreate = !this.enabled || (principal.kind === 'user' && principal.admin && this.policy.createsProjectsOnPush);
    if (mayCreate) {
      const existing = await this.store.projectByName(project);
      if (!existing) {
        await this.store.ensureProject({ name: project, public: false, createdBy: creator, now: Date.now() });
        this.#log.info({ project, by: creator }, 'project created by its first push');
        this.audit.record({
          at: Date.now(), actor: creator ?? 'anonymous', actorKind: principal.kind, action: 'project.create',
          repository, outcome: 'ok', detail: { project, public: false, reason: 'first push' },
        });
      }
    }
    this.#knownProjects.add(project);
  }

  forgetProject(name: string): void {
    this.#knownProjects.delete(name);
  }

  async close(): Promise<void> {
    clearInterval(this.#forget);
    await this.audit.close();
  }
}

/** An Authorization header that cannot be read at all: 401, like a wrong password. */
export class BadAuthorizationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadAuthorizationError';
  }
}

/** Username and password from a Basic credential; the password may hold colons, the username may not. */
export function decodeBasic(value: string): { username: string; password: string } {
  if (value.length > 8192 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new BadAuthorizationError('the Basic credentials are not valid base64');
  }
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) throw new BadAuthorizationError('the Basic credentials lack the ":" between username and password');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
