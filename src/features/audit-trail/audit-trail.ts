import type { AuditLog } from '../../auth/audit-log.js';
import type { OutboxConsumer } from '../../events/outbox-consumer.js';
import type { EventType, RegistryEvent } from '../../events/registry-event.js';
import type { NewAuditEvent } from '../../metadata/access-store.js';
import type { Feature } from '../feature.js';

/** The audit log's action for each registry event it records. */
const actions: Partial<Record<EventType, string>> = {
  'artifact.pushed': 'push',
  'artifact.pulled': 'pull',
  'artifact.deleted': 'delete',
  'tag.deleted': 'delete',
  'blob.deleted': 'delete',
  'artifact.quarantined': 'quarantine',
  'artifact.released': 'release',
};

/** The outbox consumer's name: its cursor's key. */
export const auditTrailConsumer = 'audit';

/**
 * Writes the registry's pushes, pulls (manifest GETs), deletes, quarantines and releases to the audit log, as an
 * outbox consumer: each record says who (from the event's origin), what, which repository, digest and tag, when,
 * and from where. The outbox delivers at least once, so a record can repeat after a crash, never go missing.
 */
export function auditTrail(audit: AuditLog): Feature {
  const consumer: OutboxConsumer = {
    name: auditTrailConsumer,
    types: new Set(Object.keys(actions) as EventType[]),
    async handle(events) {
      for (const event of events) audit.record(toAuditEvent(event));
      await audit.flush();
    },
  };
  return { name: 'audit-trail', consumers: [consumer] };
}

function toAuditEvent(event: RegistryEvent): NewAuditEvent {
  const detail = auditDetail(event);
  return {
    at: event.at, actor: event.origin.actor, actorKind: event.origin.actorKind, action: actions[event.type]!,
    repository: event.repository, digest: event.digest, tag: event.tag, address: event.origin.address, outcome: 'ok',
    ...(detail && { detail }),
  };
}

/** What the audit record adds to the event's who/what/where: the tags a push set, a quarantine's reason. */
function auditDetail(event: RegistryEvent): Record<string, unknown> | undefined {
  const data = event.data ?? {};
  switch (event.type) {
    case 'artifact.pushed': {
      const tags = data.tags as string[] | undefined;
      return tags && tags.length > 1 ? { tags } : undefined;
    }
    case 'artifact.deleted': return (data.tags as string[] | undefined)?.length ? { tags: data.tags } : undefined;
    case 'blob.deleted': return { blob: true };
    case 'artifact.quarantined': return { reason: data.reason };
    default: return undefined;
  }
}
