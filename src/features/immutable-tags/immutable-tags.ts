import type { AccessPolicy } from '../../auth/access-policy.js';
import type { AdminAudit } from '../../auth/admin/admin-actor.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { Feature } from '../feature.js';
import { immutableTagPolicy } from './immutable-tag-policy.js';
import { ImmutableTagService } from './immutable-tag-service.js';

/** Immutable tags: a push and delete policy, and the service the API and CLI use. */
export function immutableTags(metadata: MetadataStore, policy: AccessPolicy, audit: AdminAudit): Feature & { readonly service: ImmutableTagService } {
  return { name: 'immutable-tags', policies: [immutableTagPolicy(metadata)], service: new ImmutableTagService(metadata, policy, audit) };
}
