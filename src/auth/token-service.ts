import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify, errors as joseErrors, type CryptoKey, type JWK } from 'jose';
import type { AccessStore } from '../metadata/access-store.js';
import type { Principal } from './principal.js';
import { principalName } from './principal.js';
import type { Action } from './roles.js';

/** What a token says its bearer may do, per repository, and who the bearer is. */
export interface VerifiedToken {
  readonly subject: string;
  readonly kind: Principal['kind'];
  /** The user's or robot's id; undefined for anonymous. */
  readonly id: number | undefined;
  readonly admin: boolean;
  /** Repository name to the actions granted on it; a repository listed with no actions was asked for and refused. */
  readonly repositories: ReadonlyMap<string, ReadonlySet<Action>>;
  readonly catalog: boolean;
  readonly expiresAt: number;
}

export interface GrantedAccess {
  readonly type: 'repository' | 'registry';
  readonly name: string;
  readonly actions: readonly string[];
}

/** A token Berth did not issue, or one past its time; the caller answers 401. */
export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

const algorithm = 'ES256';
const maxCachedTokens = 10_000;

/**
 * Issues and checks the short-lived bearer tokens of the Docker token specification: ES256 JWTs whose `access`
 * claim lists what was granted. The signing key lives in the metadata store, so every node of a cluster signs and
 * verifies with the same one. A verified token is remembered until it expires: clients send the same token with
 * every request of a push or pull, and checking a signature each time would cost more than the request itself.
 */
export class TokenService {
  readonly #issuer: string;
  readonly #service: string;
  readonly #ttlSeconds: number;
  readonly #store: AccessStore;
  #keys: Promise<SigningKeys> | undefined;
  readonly #verified = new Map<string, VerifiedToken>();

  private constructor(store: AccessStore, options: TokenOptions) {
    this.#issuer = options.issuer;
    this.#service = options.service;
    this.#ttlSeconds = options.ttlSeconds;
    this.#store = store;
  }

  /**
   * The service over the cluster's signing key, which is loaded (and on the first start of the first node, created)
   * when a token is first issued or checked: a registry without access control never needs it.
   */
  static open(store: AccessStore, options: TokenOptions): TokenService {
    return new TokenService(store, options);
  }

  #load(): Promise<SigningKeys> {
    this.#keys ??= loadSigningKeys(this.#store).catch((error: unknown) => {
      this.#keys = undefined;
      throw error;
    });
    return this.#keys;
  }

  get service(): string {
    return this.#service;
  }

  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  /**
   * A registry token for `principal` granting `access`. `ttlSeconds` shortens or lengthens its life from the
   * configured one: a token Berth hands an external scanner lives about as long as the scan may take.
   */
  async issue(principal: Principal, access: readonly GrantedAccess[], now = Date.now(), ttlSeconds = this.#ttlSeconds): Promise<{ token: string; expiresIn: number; issuedAt: string }> {
    const keys = await this.#load();
    const issuedAt = Math.floor(now / 1000);
    const token = await new SignJWT({
      access,
      berth: {
        kind: principal.kind,
        ...((principal.kind === 'user' || principal.kind === 'robot') && { id: principal.id }),
        ...(principal.kind === 'user' && principal.admin && { admin: true }),
      },
    })
      .setProtectedHeader({ alg: algorithm, kid: keys.kid, typ: 'JWT' })
      .setIssuer(this.#issuer)
      .setAudience(this.#service)
      .setSubject(principal.kind === 'anonymous' ? '' : principalName(principal))
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt - 1)
      .setExpirationTime(issuedAt + ttlSeconds)
      .setJti(randomUUID())
      .sign(keys.privateKey);
    return { token, expiresIn: ttlSeconds, issuedAt: new Date(issuedAt * 1000).toISOString() };
  }

  /**
   * A browser session after a sign-in (OpenID Connect, or a password through the API): a JWT for the session
   * cookie, whose audience differs from registry tokens so that neither can stand in for the other. It names the
   * user only; each request looks the user up again, so a disabled user's session ends at once, and a signed-out
   * session is refused by its id (`revokeSession`).
   */
  async issueSession(user: { id: number; username: string }, ttlSeconds = 12 * 3600, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const keys = await this.#load();
    const issuedAt = Math.floor(now / 1000);
    const token = await new SignJWT({ uid: user.id })
      .setProtectedHeader({ alg: algorithm, kid: keys.kid, typ: 'JWT' })
      .setIssuer(this.#issuer)
      .setAudience(`${this.#service}:session`)
      .setSubject(user.username)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds)
      .setJti(randomUUID())
      .sign(keys.privateKey);
    return { token, expiresAt: (issuedAt + ttlSeconds) * 1000 };
  }

  /** The user a session cookie names; throws InvalidTokenError when it is not a valid session of this registry. */
  async verifySession(token: string, now = Date.now()): Promise<{ userId: number; username: string; expiresAt: number; id: string }> {
    if (token.length > 16_384) throw new InvalidTokenError('the session is too long to be one of this registry\'s');
    const { publicKey } = await this.#load();
    let session: { userId: number; username: string; expiresAt: number; id: string };
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        algorithms: [algorithm], issuer: this.#issuer, audience: `${this.#service}:session`, clockTolerance: 30,
        currentDate: new Date(now), requiredClaims: ['exp', 'sub'],
      });
      if (typeof payload.uid !== 'number' || typeof payload.jti !== 'string') throw new InvalidTokenError('the session names no user: sign in again');
      session = { userId: payload.uid, username: String(payload.sub), expiresAt: Number(payload.exp) * 1000, id: payload.jti };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      throw new InvalidTokenError(`the session is not valid (${describeJoseError(error)}): sign in again`);
    }
    // Checked in the store, so a sign-out on one node ends the session on every node.
    if (await this.#store.sessionRevoked(session.id)) throw new InvalidTokenError('this session was signed out: sign in again');
    return session;
  }

  /** Ends a session before its time (sign-out), on every node; a session that is not valid needs no ending. */
  async revokeSession(token: string, now = Date.now()): Promise<void> {
    let session: { id: string; expiresAt: number };
    try {
      session = await this.verifySession(token, now);
    } catch (error) {
      if (error instanceof InvalidTokenError) return;
      throw error;
    }
    await this.#store.revokeSession(session.id, session.expiresAt, now);
  }

  /**
   * The state of a sign-in in progress (OpenID Connect: state, nonce, PKCE verifier, where to return), sealed for a
   * cookie so that whichever node receives the provider's callback can check it without any memory of the start.
   * Signed, not encrypted: it stays in the browser that started the sign-in. Its audience is its own, so it can
   * never pass as a registry token or a session, nor either of those as it.
   */
  async sealLoginState(claims: Readonly<Record<string, string>>, ttlSeconds: number, now = Date.now()): Promise<string> {
    const keys = await this.#load();
    const issuedAt = Math.floor(now / 1000);
    return new SignJWT({ login: { ...claims } })
      .setProtectedHeader({ alg: algorithm, kid: keys.kid, typ: 'JWT' })
      .setIssuer(this.#issuer)
      .setAudience(`${this.#service}:oidc-state`)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds)
      .sign(keys.privateKey);
  }

  /** The claims sealed by sealLoginState; throws InvalidTokenError when tampered with, foreign or expired. */
  async openLoginState(token: string, now = Date.now()): Promise<Record<string, string>> {
    if (token.length > 16_384) throw new InvalidTokenError('the sign-in state is too long to be one of this registry\'s');
    let payload: Record<string, unknown>;
    const { publicKey } = await this.#load();
    try {
      // No clock tolerance: the state was made by this cluster moments ago, and its lifetime is the limit.
      ({ payload } = await jwtVerify(token, publicKey, {
        algorithms: [algorithm], issuer: this.#issuer, audience: `${this.#service}:oidc-state`, currentDate: new Date(now),
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw new InvalidTokenError(error instanceof joseErrors.JWTExpired
        ? 'the sign-in took too long and its state has expired'
        : 'the sign-in state was not issued by this registry or has been altered');
    }
    const login = payload.login;
    if (typeof login !== 'object' || login === null) throw new InvalidTokenError('the sign-in state is empty');
    const claims: Record<string, string> = {};
    for (const [key, value] of Object.entries(login)) if (typeof value === 'string') claims[key] = value;
    return claims;
  }

  /** The token's grants; throws InvalidTokenError for anything not issued by this registry or no longer valid. */
  async verify(token: string, now = Date.now()): Promise<VerifiedToken> {
    const cached = this.#verified.get(token);
    if (cached) {
      if (cached.expiresAt > now) return cached;
      this.#verified.delete(token);
    }
    if (token.length > 8192) throw new InvalidTokenError('the bearer token is too long to be one of this registry\'s');
    let payload: Record<string, unknown>;
    const { publicKey } = await this.#load();
    try {
      ({ payload } = await jwtVerify(token, publicKey, {
        algorithms: [algorithm], issuer: this.#issuer, audience: this.#service, clockTolerance: 30, currentDate: new Date(now),
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (error) {
      throw new InvalidTokenError(describeJoseError(error));
    }
    const verified = toVerified(payload);
    if (this.#verified.size >= maxCachedTokens) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, verified);
    return verified;
  }
}

export interface TokenOptions {
  /** The `iss` of every token: which registry issued it. */
  readonly issuer: string;
  /** The `service` of challenges and the `aud` of tokens. */
  readonly service: string;
  readonly ttlSeconds: number;
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the bearer token has expired: request a new one from the token endpoint';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the bearer token was not signed by this registry';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the bearer token is not valid here (${error.claim} claim): request a new one from the token endpoint`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the bearer token is signed with an algorithm this registry does not accept';
  return 'the bearer token is malformed: request a new one from the token endpoint';
}

function toVerified(payload: Record<string, unknown>): VerifiedToken {
  const berth = (typeof payload.berth === 'object' && payload.berth !== null ? payload.berth : {}) as Record<string, unknown>;
  const kind = berth.kind === 'user' || berth.kind === 'robot' || berth.kind === 'system' ? berth.kind : 'anonymous';
  const repositories = new Map<string, Set<Action>>();
  let catalog = false;
  for (const entry of Array.isArray(payload.access) ? payload.access as GrantedAccess[] : []) {
    if (entry.type === 'repository' && typeof entry.name === 'string' && Array.isArray(entry.actions)) {
      const granted = repositories.get(entry.name) ?? new Set<Action>();
      for (const action of entry.actions) if (action === 'pull' || action === 'push' || action === 'delete') granted.add(action);
      repositories.set(entry.name, granted);
    } else if (entry.type === 'registry' && entry.name === 'catalog' && Array.isArray(entry.actions) && entry.actions.includes('*')) {
      catalog = true;
    }
  }
  return {
    subject: String(payload.sub ?? ''),
    kind,
    id: typeof berth.id === 'number' ? berth.id : undefined,
    admin: berth.admin === true,
    repositories,
    catalog,
    expiresAt: Number(payload.exp) * 1000,
  };
}

interface SigningKeys {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

/** The cluster's signing key: the oldest stored, or a new one stored now when there is none yet. */
async function loadSigningKeys(store: AccessStore): Promise<SigningKeys> {
  let [key] = await store.signingKeys();
  if (!key) {
    const { privateKey } = await generateKeyPair(algorithm, { extractable: true });
    key = await store.ensureSigningKey({ kid: randomUUID(), privateJwk: JSON.stringify(await exportJWK(privateKey)), createdAt: Date.now() });
  }
  const jwk = JSON.parse(key.privateJwk) as JWK;
  const { d: _private, ...publicJwk } = jwk;
  return {
    kid: key.kid,
    privateKey: await importJWK({ ...jwk, alg: algorithm }, algorithm) as CryptoKey,
    publicKey: await importJWK({ ...publicJwk, alg: algorithm }, algorithm) as CryptoKey,
  };
}
