import { projectOf } from '../../auth/roles.js';
import type { RegistryEvent } from '../../events/registry-event.js';

/** The content type of a CloudEvent in structured mode: the whole event, attributes and data, as one JSON body. */
export const cloudEventContentType = 'application/cloudevents+json; charset=utf-8';

/** A CloudEvents 1.0 event, as webhooks send it (JSON event format, structured mode). */
export interface CloudEvent {
  readonly specversion: '1.0';
  /** The outbox id of the event: the same on every retry and replay, so receivers can drop repeats. */
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: CloudEventData;
}

export interface CloudEventData {
  readonly project: string;
  readonly repository: string;
  readonly digest: string;
  /** The tag the event is about (a deleted tag, a pull by tag), when it names one. */
  readonly tag?: string;
  /** The tags a push set or a delete removed. */
  readonly tags?: readonly string[];
  readonly mediaType?: string;
  readonly size?: number;
  readonly artifactType?: string;
  /** The digest a moved tag named before. */
  readonly from?: string;
  /** Why an artifact was quarantined, or why its scan failed. */
  readonly reason?: string;
  /** A completed scan (scan.completed): the scanner, the distro's OSV ecosystem, packages read, findings by severity. */
  readonly scan?: { readonly scanner: string; readonly distro: string | null; readonly packages: number; readonly summary: Readonly<Record<string, number>> };
  /** The advisories a rescan found critical vulnerabilities of (vulnerability.found), and the image's critical count. */
  readonly advisories?: readonly string[];
  readonly critical?: number;
  /**
   * A signature pushed for the image (signature.verified, signature.rejected): the signature manifest's digest, each
   * check of it (valid with the signer, or the failure and why), and whether the image now verifies under the project's mode.
   */
  readonly signature?: {
    readonly digest: string;
    readonly mode: string;
    readonly verified: boolean;
    readonly checks: readonly Readonly<Record<string, unknown>>[];
  };
  readonly actor: { readonly name: string; readonly kind: string };
  /** The address the change came from, when it came from a client. */
  readonly address?: string;
}

/**
 * The CloudEvent for a registry event. `source` is the repository under the registry's external URL when one is
 * configured (`https://registry.example.com/team/app`), else `/berth/team/app`; `subject` names what changed as a
 * reference would, `repository[:tag]@digest`.
 */
export function toCloudEvent(event: RegistryEvent, externalUrl: string | undefined): CloudEvent {
  const extra = event.data ?? {};
  const tags = Array.isArray(extra.tags) ? (extra.tags as string[]) : undefined;
  const tag = event.tag ?? tags?.[0];
  const data: CloudEventData = {
    project: projectOf(event.repository),
    repository: event.repository,
    digest: event.digest,
    ...(event.tag !== undefined && tags === undefined && { tag: event.tag }),
    ...(tags !== undefined && { tags }),
    ...(typeof extra.mediaType === 'string' && { mediaType: extra.mediaType }),
    ...(typeof extra.size === 'number' && { size: extra.size }),
    ...(typeof extra.artifactType === 'string' && { artifactType: extra.artifactType }),
    ...(typeof extra.from === 'string' && { from: extra.from }),
    ...(typeof extra.reason === 'string' && { reason: extra.reason }),
    ...(event.type === 'scan.completed' && {
      scan: {
        scanner: String(extra.scanner), distro: typeof extra.distro === 'string' ? extra.distro : null, packages: Number(extra.packages ?? 0),
        summary: (extra.summary ?? {}) as Record<string, number>,
      },
    }),
    ...(Array.isArray(extra.advisories) && { advisories: extra.advisories as string[] }),
    ...(typeof extra.critical === 'number' && { critical: extra.critical }),
    ...((event.type === 'signature.verified' || event.type === 'signature.rejected') && {
      signature: {
        digest: String(extra.signature), mode: String(extra.mode), verified: extra.verified === true,
        checks: Array.isArray(extra.checks) ? (extra.checks as Record<string, unknown>[]) : [],
      },
    }),
    actor: { name: event.origin.actor, kind: event.origin.actorKind },
    ...(event.origin.address !== undefined && { address: event.origin.address }),
  };
  const base = externalUrl === undefined ? '/berth' : externalUrl.replace(/\/+$/, '');
  return {
    specversion: '1.0',
    id: String(event.id),
    source: `${base}/${event.repository}`,
    type: `io.berth.${event.type}`,
    subject: `${event.repository}${tag === undefined ? '' : `:${tag}`}@${event.digest}`,
    time: new Date(event.at).toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}
