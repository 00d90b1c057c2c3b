import type { ImmutableTagRule, Puller, Quarantine } from '../../metadata/policy-store.js';
import { iso } from './api-views.js';

/** The JSON of the registry's policies; openapi.ts describes each shape. */
export function immutableRuleView(rule: ImmutableTagRule) {
  return {
    id: rule.id, project: rule.project, tags: rule.tagPattern, repositories: rule.repositoryPattern,
    createdBy: rule.createdBy, createdAt: iso(rule.createdAt),
  };
}

export function quarantineView(quarantine: Quarantine) {
  return {
    repository: quarantine.repository, digest: quarantine.digest, via: quarantine.via ?? null, reason: quarantine.reason,
    createdBy: quarantine.createdBy, createdAt: iso(quarantine.createdAt),
  };
}

export function pullerView(puller: Puller) {
  return {
    actor: puller.actor, actorKind: puller.actorKind, count: puller.count,
    firstPull: iso(puller.firstPull), lastPull: iso(puller.lastPull), addresses: puller.addresses,
  };
}
