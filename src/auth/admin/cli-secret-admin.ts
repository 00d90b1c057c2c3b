import type { AccessStore, PersonalToken } from '../../metadata/access-store.js';
import { hashSecret, newSecret, personalTokenPrefix } from '../secrets.js';
import { conflict, notFound, type AdminAction, type AdminActor, type AdminAudit } from './admin-actor.js';
import { pageInMemory, type Page, type PageQuery } from './admin-paging.js';
import type { CreateCliSecretRequest } from './admin-requests.js';

const dayMs = 24 * 60 * 60 * 1000;
/** Live secrets a user may hold at once: enough for every machine they use, not an unbounded table. */
const maxLiveSecrets = 100;

/**
 * CLI secrets (personal tokens): what a user whose identity provider gives docker no password (OpenID Connect) logs
 * in with, as the password beside their username. Each user manages their own; a secret is shown once, at
 * creation, stored only as its hash, and always expires (after 90 days unless asked otherwise, at most 365).
 */
export class CliSecretAdmin {
  readonly #store: AccessStore;
  readonly #audit: AdminAudit;

  constructor(store: AccessStore, audit: AdminAudit) {
    this.#store = store;
    this.#audit = audit;
  }

  async list(actor: AdminActor, page: PageQuery): Promise<Page<PersonalToken>> {
    const userId = this.#userId(actor, undefined);
    return pageInMemory(await this.#store.personalTokensOf(userId), page, (token) => String(token.id), true);
  }

  async create(actor: AdminActor, request: CreateCliSecretRequest): Promise<{ token: PersonalToken; secret: string }> {
    const userId = this.#userId(actor, 'cli-secret.create');
    const now = Date.now();
    const live = (await this.#store.personalTokensOf(userId))
      .filter((token) => token.revokedAt === undefined && (token.expiresAt === undefined || token.expiresAt > now));
    if (live.length >= maxLiveSecrets) {
      throw conflict(`you hold ${live.length} live CLI secrets, the most allowed: revoke ones no longer used first`);
    }
    const secret = newSecret(personalTokenPrefix);
    const token = await this.#store.createPersonalToken({
      userId, name: request.name, secretHash: hashSecret(secret), expiresAt: now + request.expiresInDays * dayMs, now,
    });
    this.#audit.changed(actor, 'cli-secret.create', { target: request.name, id: token.id, expiresAt: token.expiresAt ?? null });
    return { token, secret };
  }

  /** Revokes one of the caller's secrets; revoking a revoked one changes nothing. */
  async revoke(actor: AdminActor, id: number): Promise<void> {
    const userId = this.#userId(actor, 'cli-secret.revoke');
    const token = (await this.#store.personalTokensOf(userId)).find((candidate) => candidate.id === id);
    if (!token) throw notFound(`you have no CLI secret with the id ${id}`);
    if (token.revokedAt !== undefined) return;
    await this.#store.revokePersonalToken(userId, id, Date.now());
    this.#audit.changed(actor, 'cli-secret.revoke', { target: token.name, id });
  }

  #userId(actor: AdminActor, action: AdminAction | undefined): number {
    if (actor.principal.kind === 'user') return actor.principal.id;
    return this.#audit.refuse(actor, action, 'robot accounts have no CLI secrets: they log in with their own secret');
  }
}
