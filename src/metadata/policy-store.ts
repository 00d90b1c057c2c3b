import type { EventOrigin } from '../events/registry-event.js';

/**
 * What the registry's own policies keep: immutable-tag rules per project, and quarantined digests per repository
 * with who pulled them (from the audit log). Quarantine and release write their outbox events in the same
 * transaction, and every write moves the store's change version, so policy caches on every node drop at once.
 */
export interface PolicyStore {
  /** Every immutable-tag rule of a project, oldest first. */
  immutableRules(project: string): Promise<ImmutableTagRule[]>;
  addImmutableRule(rule: NewImmutableTagRule): Promise<ImmutableTagRule>;
  /** Removes a rule of the project; false when it has no rule with that id. */
  deleteImmutableRule(project: string, id: number): Promise<boolean>;

  /**
   * Quarantines digests of a repository with one reason: `digest` itself and, for an index, its children (`children`,
   * recorded as quarantined via the index). Writes one `artifact.quarantined` event. Answers false when `digest` was
   * already quarantined itself (nothing changes then).
   */
  quarantine(entry: NewQuarantine): Promise<boolean>;
  /** Lifts a quarantine and those of children quarantined with it; writes `artifact.released`. False when none. */
  release(repository: string, digest: string, origin: EventOrigin, now: number): Promise<boolean>;
  /** Quarantines in force in a repository, by digest (a digest quarantined twice keeps its own reason first). */
  quarantinesIn(repository: string): Promise<Map<string, Quarantine>>;
  /** The manifests of a repository that reference a blob (for a blob pull of a quarantined image). */
  manifestsUsing(repository: string, blobDigest: string): Promise<string[]>;
  /** Quarantines of a project's repositories (or every one when `project` is undefined), newest first. */
  listQuarantines(project: string | undefined, limit: number): Promise<Quarantine[]>;

  /** Who pulled a digest from a repository, from the audit log: one entry per user or robot, most pulls first. */
  pullers(repository: string, digest: string): Promise<Puller[]>;
}

export interface ImmutableTagRule {
  readonly id: number;
  readonly project: string;
  /** A glob over the repository's name below the project (`*` one component, `**` any, `?` one character). */
  readonly repositoryPattern: string;
  readonly tagPattern: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

export type NewImmutableTagRule = Omit<ImmutableTagRule, 'id'>;

export interface NewQuarantine {
  readonly repository: string;
  readonly digest: string;
  readonly children: readonly string[];
  readonly reason: string;
  readonly origin: EventOrigin;
  readonly now: number;
}

export interface Quarantine {
  readonly repository: string;
  readonly digest: string;
  /** The index this digest was quarantined with, when it was not quarantined itself. */
  readonly via: string | undefined;
  readonly reason: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface Puller {
  readonly actor: string;
  readonly actorKind: string;
  readonly count: number;
  readonly firstPull: number;
  readonly lastPull: number;
  /** Every address the actor pulled from, most recent first. */
  readonly addresses: readonly string[];
}
