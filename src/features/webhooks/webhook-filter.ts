import type { EventType, RegistryEvent } from '../../events/registry-event.js';
import type { Webhook } from '../../metadata/webhook-store.js';
import { globMatcher } from '../../registry/glob.js';

/** The pattern that matches everything: the default of both filters. */
export const matchAll = '**';

/**
 * Without --events, what a subscription receives: changes to artifacts and tags, and quarantines. Pulls are left to
 * those who ask (a busy registry pulls far more often than it changes), and so are blob and tag-move events, which
 * say less than the artifact events that go with them.
 */
export const defaultEventTypes: readonly EventType[] = [
  'artifact.pushed', 'tag.deleted', 'artifact.deleted', 'artifact.quarantined', 'artifact.released',
];

/** Whether a subscription wants an event, compiled once per subscription. */
export type WebhookFilter = (event: RegistryEvent) => boolean;

/**
 * A subscription's filter: one of its event types, a repository whose name below the project ("app/api" of
 * "team/app/api") matches its repository glob, and a tag matching its tag glob. With a tag glob other than `**`, an
 * event passes only when it names a matching tag (a push's tags, a deleted tag, a pull by tag); events that name no
 * tag (a quarantine, a pull by digest) pass only subscriptions without a tag filter.
 */
export function compileFilter(subscription: Pick<Webhook, 'eventTypes' | 'repositoryPattern' | 'tagPattern'>): WebhookFilter {
  const types = new Set(subscription.eventTypes);
  const repository = subscription.repositoryPattern === matchAll ? undefined : globMatcher(subscription.repositoryPattern);
  const tag = subscription.tagPattern === matchAll ? undefined : globMatcher(subscription.tagPattern);
  return (event) => {
    if (!types.has(event.type)) return false;
    if (repository && !repository(pathInProject(event.repository))) return false;
    if (tag && !tagsOf(event).some(tag)) return false;
    return true;
  };
}

/** The tags an event names: those a push set or a delete removed, else its one tag. */
export function tagsOf(event: RegistryEvent): string[] {
  const tags = event.data?.tags;
  if (Array.isArray(tags) && tags.length > 0) return tags as string[];
  return event.tag === undefined ? [] : [event.tag];
}

/** A repository's name below its project ("app/api" of "team/app/api"; "" for a repository named as its project). */
function pathInProject(repository: string): string {
  const slash = repository.indexOf('/');
  return slash === -1 ? '' : repository.slice(slash + 1);
}
