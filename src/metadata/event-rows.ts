import type { Selectable } from 'kysely';
import type { ActorKind, EventType, NewRegistryEvent, RegistryEvent } from '../events/registry-event.js';
import type { Database } from './database-schema.js';

export type EventRow = Omit<Selectable<Database['events']>, 'id'>;

/** An event as the `events` table holds it; the one mapping both stores write through. */
export function toEventRow(event: NewRegistryEvent): EventRow {
  return {
    type: event.type,
    repository: event.repository,
    digest: event.digest,
    tag: event.tag ?? null,
    created_at: event.at,
    actor: event.origin.actor,
    actor_kind: event.origin.actorKind,
    address: event.origin.address ?? null,
    data: event.data === undefined ? null : JSON.stringify(event.data),
  };
}

export function fromEventRow(row: Selectable<Database['events']>): RegistryEvent {
  return {
    id: Number(row.id),
    type: row.type as EventType,
    repository: row.repository,
    digest: row.digest,
    tag: row.tag ?? undefined,
    at: Number(row.created_at),
    origin: { actor: row.actor ?? 'berth', actorKind: (row.actor_kind ?? 'system') as ActorKind, address: row.address ?? undefined },
    data: row.data === null ? undefined : JSON.parse(row.data) as Record<string, unknown>,
  };
}
