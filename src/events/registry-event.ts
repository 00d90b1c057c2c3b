/**
 * What happened in the registry, as the outbox records it and its consumers (the audit log, webhooks, later
 * scanning and replication) read it. Pure definitions, no I/O: the metadata stores write these inside the
 * transaction of the change they describe, and both the SQLite fast path and the generic Kysely store build them
 * with the functions below, so the two can never describe a change differently.
 */

/** Event types, as webhooks subscribe to them and CloudEvents name them (`io.berth.<type>`). */
export const eventTypes = [
  'artifact.pushed',
  'tag.moved',
  'tag.deleted',
  'artifact.deleted',
  'blob.pushed',
  'blob.mounted',
  'blob.deleted',
  'artifact.pulled',
  'artifact.quarantined',
  'artifact.released',
  'scan.completed',
  'scan.failed',
  'vulnerability.found',
  'signature.verified',
  'signature.rejected',
] as const;

export type EventType = (typeof eventTypes)[number];

export type ActorKind = 'anonymous' | 'user' | 'robot' | 'system';

/** Who caused a change, and from where. */
export interface EventOrigin {
  readonly actor: string;
  readonly actorKind: ActorKind;
  readonly address?: string | undefined;
}

/** Berth itself (a sweep, a retention run): changes no person asked for in that request. */
export const systemOrigin: EventOrigin = Object.freeze({ actor: 'berth', actorKind: 'system' });

export interface NewRegistryEvent {
  readonly type: EventType;
  readonly repository: string;
  readonly digest: string;
  readonly tag?: string | undefined;
  readonly origin: EventOrigin;
  readonly at: number;
  /** What else a consumer needs without asking the store: tags, media type, size, a previous digest, a reason. */
  readonly data?: Readonly<Record<string, unknown>> | undefined;
}

export interface RegistryEvent extends NewRegistryEvent {
  /** The outbox position: events are read in this order. */
  readonly id: number;
}

/** What the outbox needs to know of a pushed manifest. */
export interface PushedManifestFacts {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType: string | undefined;
  readonly subjectDigest: string | undefined;
  readonly tags: readonly string[];
  readonly origin: EventOrigin;
  readonly now: number;
}

/**
 * A manifest push: one `artifact.pushed` carrying every tag it set, and a `tag.moved` for each tag that named
 * another digest before (`previous` maps such tags to the digest they named).
 */
export function manifestPushedEvents(manifest: PushedManifestFacts, previous: ReadonlyMap<string, string>): NewRegistryEvent[] {
  const { repository, digest, origin, now } = manifest;
  const events: NewRegistryEvent[] = [{
    type: 'artifact.pushed', repository, digest, tag: manifest.tags[0], origin, at: now,
    data: {
      tags: manifest.tags, mediaType: manifest.mediaType, size: manifest.size,
      ...(manifest.artifactType !== undefined && { artifactType: manifest.artifactType }),
      ...(manifest.subjectDigest !== undefined && { subject: manifest.subjectDigest }),
    },
  }];
  for (const tag of manifest.tags) {
    const from = previous.get(tag);
    if (from !== undefined && from !== digest) {
      events.push({ type: 'tag.moved', repository, digest, tag, origin, at: now, data: { from } });
    }
  }
  return events;
}

/** A manifest deleted by digest, with the tags that named it and went with it. */
export function manifestDeletedEvent(repository: string, digest: string, tags: readonly string[], origin: EventOrigin, now: number): NewRegistryEvent {
  return { type: 'artifact.deleted', repository, digest, tag: tags[0], origin, at: now, data: { tags } };
}

export function tagDeletedEvent(repository: string, tag: string, digest: string, origin: EventOrigin, now: number): NewRegistryEvent {
  return { type: 'tag.deleted', repository, digest, tag, origin, at: now };
}

/** A blob linked to a repository: pushed there, or mounted from another repository. */
export function blobLinkedEvent(repository: string, digest: string, size: number, how: 'pushed' | 'mounted',
  origin: EventOrigin, now: number, from?: string): NewRegistryEvent {
  return {
    type: how === 'pushed' ? 'blob.pushed' : 'blob.mounted', repository, digest, origin, at: now,
    data: { size, ...(from !== undefined && { from }) },
  };
}

export function blobUnlinkedEvent(repository: string, digest: string, origin: EventOrigin, now: number): NewRegistryEvent {
  return { type: 'blob.deleted', repository, digest, origin, at: now };
}

/** A manifest read by GET; `reference` is the tag or digest the client asked for. */
export function artifactPulledEvent(repository: string, digest: string, reference: string, mediaType: string,
  origin: EventOrigin, now: number): NewRegistryEvent {
  const byTag = !reference.includes(':');
  return { type: 'artifact.pulled', repository, digest, tag: byTag ? reference : undefined, origin, at: now, data: { mediaType } };
}

export function quarantineEvent(type: 'artifact.quarantined' | 'artifact.released', repository: string, digest: string,
  data: Readonly<Record<string, unknown>>, origin: EventOrigin, now: number): NewRegistryEvent {
  return { type, repository, digest, origin, at: now, data };
}

/** An image's scan ended with its findings counted by severity (`summary`), the distro and the packages read. */
export function scanCompletedEvent(repository: string, digest: string, data: Readonly<Record<string, unknown>>, now: number): NewRegistryEvent {
  return { type: 'scan.completed', repository, digest, origin: systemOrigin, at: now, data };
}

/** An image could not be scanned (`reason`), or is no image at all (`status: unsupported`). */
export function scanFailedEvent(repository: string, digest: string, data: Readonly<Record<string, unknown>>, now: number): NewRegistryEvent {
  return { type: 'scan.failed', repository, digest, origin: systemOrigin, at: now, data };
}

/** Advisories that changed in the feed now find critical vulnerabilities an earlier match did not (`advisories`). */
export function vulnerabilityFoundEvent(repository: string, digest: string, data: Readonly<Record<string, unknown>>, now: number): NewRegistryEvent {
  return { type: 'vulnerability.found', repository, digest, origin: systemOrigin, at: now, data };
}

/**
 * A signature pushed for `digest` (`signature`: the signature manifest) was checked against the project's trusted
 * keys: verified when it is valid from one of them, rejected otherwise (`reason`); `verified` says whether the image
 * may be pulled under enforce now, with all its signatures.
 */
export function signatureCheckedEvent(valid: boolean, repository: string, digest: string, origin: EventOrigin, data: Readonly<Record<string, unknown>>,
  now: number): NewRegistryEvent {
  return { type: valid ? 'signature.verified' : 'signature.rejected', repository, digest, origin, at: now, data };
}
