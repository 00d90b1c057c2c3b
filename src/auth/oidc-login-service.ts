import type { Logger } from 'pino';
import { ConflictError } from '../errors/backend-errors.js';
import type { AccessStore, User } from '../metadata/access-store.js';
import type { AuditLog } from './audit-log.js';
import type { OidcClient, OidcIdentity, OidcLoginExpectation } from './oidc-client.js';
import { IdentityProviderUnavailableError, OidcLoginError } from './oidc-errors.js';
import { InvalidTokenError, type TokenService } from './token-service.js';

/** Why a person the provider vouched for may still not sign in to Berth. */
export type OidcSignInRefusal = 'name_taken' | 'user_disabled';

/** The provider logged the person in, but Berth refuses them; the message says what an administrator must do. */
export class OidcSignInRefusedError extends Error {
  readonly reason: OidcSignInRefusal;
  constructor(reason: OidcSignInRefusal, message: string) {
    super(message);
    this.name = 'OidcSignInRefusedError';
    this.reason = reason;
  }
}

export interface OidcSignInStart {
  /** The provider's authorization URL to send the browser to. */
  readonly url: string;
  /** The sealed state to keep in the browser until the callback. */
  readonly stateToken: string;
  readonly stateTtlSeconds: number;
}

export interface OidcSignedIn {
  readonly user: User;
  /** Where the browser asked to go after signing in (a path on this registry). */
  readonly returnTo: string;
}

export interface OidcLoginServiceOptions {
  readonly client: OidcClient;
  readonly store: AccessStore;
  readonly tokens: TokenService;
  readonly audit: AuditLog;
  /** Members of this provider group are system administrators; unset, OIDC sign-ins never change who is one. */
  readonly adminGroup?: string | undefined;
  /** What the provider is called on sign-in links ("Sign in with <providerName>"). */
  readonly providerName: string;
  readonly log: Logger;
}

/** Ten minutes to sign in at the provider: long enough for a password manager and a second factor. */
const stateTtlSeconds = 10 * 60;

/**
 * Signing in to Berth through an OpenID Connect provider: starting the login, checking the callback against the
 * state sealed at the start, and turning the identity the provider vouches for into a Berth user (created on the
 * first sign-in, kept up to date with the provider's e-mail, name, groups and administrator group after that).
 * Every sign-in and every refusal is audited.
 *
 * Users are matched by username, the name `docker login` takes: a name already held by a local or LDAP user is
 * refused rather than merged, since the provider vouching for "alice" says nothing about who set up the local
 * "alice".
 */
export class OidcLoginService {
  readonly #options: OidcLoginServiceOptions;

  constructor(options: OidcLoginServiceOptions) {
    this.#options = options;
  }

  get providerName(): string {
    return this.#options.providerName;
  }

  /** Starts a login whose callback comes back to `redirectUri`, returning afterwards to `returnTo`. */
  async begin(redirectUri: string, returnTo: string): Promise<OidcSignInStart> {
    const { url, state, nonce, codeVerifier } = await this.#options.client.beginLogin(redirectUri);
    const stateToken = await this.#options.tokens.sealLoginState({ state, nonce, codeVerifier, redirectUri, returnTo }, stateTtlSeconds);
    return { url, stateToken, stateTtlSeconds };
  }

  /**
   * Finishes the login the provider redirected back with (`callbackUrl`, its path and query suffice), given the
   * state sealed by `begin` (undefined when the browser sent none). Throws OidcLoginError when the login cannot
   * complete, IdentityProviderUnavailableError when the provider cannot be reached, and OidcSignInRefusedError
   * when Berth refuses the person.
   */
  async complete(callbackUrl: string, stateToken: string | undefined, address: string | undefined): Promise<OidcSignedIn> {
    let identity: OidcIdentity;
    let returnTo: string;
    try {
      const state = await this.#openState(stateToken);
      returnTo = state.returnTo;
      identity = await this.#options.client.completeLogin(callbackUrl, state);
    } catch (error) {
      if (error instanceof OidcLoginError || error instanceof IdentityProviderUnavailableError) {
        this.#auditFailure(undefined, error instanceof OidcLoginError ? error.reason : 'provider_unavailable', address);
      }
      throw error;
    }
    return { user: await this.signIn(identity, address), returnTo };
  }

  /** The Berth user for an identity the provider vouched for, created or brought up to date; audited. */
  async signIn(identity: OidcIdentity, address: string | undefined, now = Date.now()): Promise<User> {
    const { store, adminGroup, log } = this.#options;
    const { username } = identity;
    const admin = adminGroup !== undefined ? identity.groups.includes(adminGroup) : undefined;

    // The provider's subject, not the name, says who this is: a rename at the provider keeps the Berth user, and a
    // name the provider later gives someone else does not take over the old account.
    const externalId = `${identity.issuer}#${identity.subject}`;
    let user = await store.userByExternalId('oidc', externalId);
    if (user === undefined) {
      const named = await store.userByName(username);
      if (named !== undefined && (named.source !== 'oidc' || (named.externalId !== undefined && named.externalId !== externalId))) {
        const holder = named.source === 'local' ? 'A local user' : named.source === 'ldap' ? 'An LDAP user' : 'Another OpenID Connect account';
        const message = `${holder} named "${username}" already exists in Berth, so this account cannot sign in as "${username}". `
          + 'An administrator must rename or remove that user first.';
        this.#auditFailure(username, 'name_taken', address, { existingSource: named.source });
        throw new OidcSignInRefusedError('name_taken', message);
      }
      if (named !== undefined) {
        // An account from before subjects were recorded: the first sign-in binds it to this subject.
        user = (await store.updateUser(named.id, { externalId, now })) ?? named;
      } else {
        try {
          user = await store.createUser({
            username, externalId, email: identity.email, displayName: identity.displayName, source: 'oidc', admin: admin ?? false, now,
          });
          log.info({ username, admin: user.admin }, 'user created by their first OpenID Connect sign-in');
        } catch (error) {
          // Another node handled this person's first sign-in at the same moment: use the user it created.
          if (!(error instanceof ConflictError)) throw error;
          user = await store.userByExternalId('oidc', externalId);
          if (user === undefined) throw error;
        }
      }
    } else if (user.username !== username) {
      log.info({ username: user.username, providerUsername: username }, 'the provider now names this user differently; the Berth user keeps its name');
    }

    if (user.disabled) {
      this.#auditFailure(username, 'user_disabled', address);
      throw new OidcSignInRefusedError('user_disabled', `The Berth account "${username}" is disabled. Ask an administrator to enable it.`);
    }

    // The provider is the source of truth for its users: what it no longer says (an e-mail removed) is cleared.
    const { email, displayName } = identity;
    if ((admin !== undefined && admin !== user.admin) || email !== user.email || displayName !== user.displayName) {
      user = (await store.updateUser(user.id, {
        ...(admin !== undefined && { admin }), email: email ?? null, displayName: displayName ?? null, now,
      })) ?? user;
    }

    const mapped = await store.groupsByExternalName('oidc', identity.groups);
    await store.setProviderGroups(user.id, 'oidc', mapped.map((group) => group.id));
    await store.recordLogin(user.id, now);
    this.#options.audit.record({
      at: now, actor: user.username, actorKind: 'user', action: 'login', address, outcome: 'ok', detail: { channel: 'oidc' },
    });
    return user;
  }

  /**
   * The user a browser session names, as they stand now: undefined when the session is not valid, the user is
   * gone or disabled, or the name no longer matches (the user was removed and the name reused).
   */
  async sessionUser(sessionToken: string | undefined): Promise<User | undefined> {
    if (sessionToken === undefined || sessionToken === '') return undefined;
    let session: { userId: number; username: string };
    try {
      session = await this.#options.tokens.verifySession(sessionToken);
    } catch (error) {
      if (error instanceof InvalidTokenError) return undefined;
      throw error;
    }
    const user = await this.#options.store.userById(session.userId);
    return user !== undefined && !user.disabled && user.username === session.username ? user : undefined;
  }

  async #openState(stateToken: string | undefined): Promise<OidcLoginExpectation & { returnTo: string }> {
    const startAgain = 'Start the login again from Berth (not from a bookmark of the provider\'s page).';
    if (stateToken === undefined || stateToken === '') {
      throw new OidcLoginError('state_mismatch', `This browser has no sign-in in progress (its sign-in cookie is missing or has expired). ${startAgain}`);
    }
    let claims: Record<string, string>;
    try {
      claims = await this.#options.tokens.openLoginState(stateToken);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new OidcLoginError('state_mismatch', `The sign-in cannot be checked: ${error.message}. ${startAgain}`);
      throw error;
    }
    const { state, nonce, codeVerifier, redirectUri, returnTo } = claims;
    if (state === undefined || nonce === undefined || codeVerifier === undefined || redirectUri === undefined || returnTo === undefined) {
      throw new OidcLoginError('state_mismatch', `The sign-in state is incomplete. ${startAgain}`);
    }
    return { state, nonce, codeVerifier, redirectUri, returnTo };
  }

  /** A failed sign-in, for the audit log and the operator; anonymous when it failed before anyone was named. */
  #auditFailure(username: string | undefined, reason: string, address: string | undefined, extra: Record<string, unknown> = {}): void {
    this.#options.audit.record({
      at: Date.now(), actor: username ?? 'anonymous', actorKind: username === undefined ? 'anonymous' : 'user',
      action: 'login.failed', address, outcome: 'failed', detail: { channel: 'oidc', reason, ...extra },
    });
    this.#options.log.warn({ username, address, reason }, 'OpenID Connect sign-in failed');
  }
}
