import type { RequestContext } from './request-context.js';

/**
 * A rule the registry applies once it knows what a request acts on: the digest a tag resolves to, the tags a push
 * would move, the tags a delete would take away. Access control decides who may act on a repository before the
 * request reaches the registry; a policy decides about the content itself (a quarantined digest, an immutable tag,
 * later a vulnerable or unsigned image). Policies are plain modules handed to the PolicyPoint at start-up. Each
 * check answers undefined to let the request go on, or a Refusal, which the PolicyPoint turns into 403 DENIED.
 */
export interface RegistryPolicy {
  /** Names the policy in refusals and logs. */
  readonly name: string;
  /** Before the first write to a repository (upload, mount, manifest push); may create what the write needs. */
  beforeWrite?(context: RequestContext, repository: string): Promise<void>;
  /** A manifest about to be served (GET or HEAD), by tag or by digest, once the digest is known. */
  checkPull?(context: RequestContext, pull: ManifestPull): PolicyVerdict;
  /** A blob about to be served (GET). */
  checkBlobPull?(context: RequestContext, repository: string, digest: string): PolicyVerdict;
  /** A manifest push, with the tags it points at the digest. */
  checkPush?(context: RequestContext, push: ManifestPush): PolicyVerdict;
  /** A delete: one tag, or a manifest by digest with every tag that names it. */
  checkDelete?(context: RequestContext, removal: Removal): PolicyVerdict;
}

export type PolicyVerdict = Refusal | undefined | Promise<Refusal | undefined>;

/** Why a policy refuses: the message says what happened and what to do; `rule` names the rule that applied. */
export interface Refusal {
  readonly rule: string;
  readonly message: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface ManifestPull {
  readonly repository: string;
  /** The tag or digest the client asked for. */
  readonly reference: string;
  readonly digest: string;
  readonly mediaType: string;
  /**
   * The metadata store's change version the manifest was read under: a policy caching per version uses it rather
   * than reading the version again (a read the pull path would pay twice).
   */
  readonly version: number;
}

export interface ManifestPush {
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  /** The digest a tag names now, or undefined when the tag is new; looked up only when a policy asks. */
  currentDigest(tag: string): Promise<string | undefined>;
  /**
   * Asks that `tag` not move within the push's own transaction either: if another push sets it to another digest
   * between this check and the write, this push is refused instead of moving it.
   */
  keep(tag: string): void;
}

export interface Removal {
  readonly repository: string;
  readonly digest: string;
  /** The tag asked for, when the delete names a tag; undefined for a delete by digest. */
  readonly tag: string | undefined;
  /** The tags the delete takes away, looked up only when a policy asks. */
  tags(): Promise<readonly string[]>;
}
