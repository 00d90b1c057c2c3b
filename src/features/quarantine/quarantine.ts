import type { AccessPolicy } from '../../auth/access-policy.js';
import type { AdminAudit } from '../../auth/admin/admin-actor.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { Feature } from '../feature.js';
import { quarantinePolicy } from './quarantine-policy.js';
import { QuarantineService } from './quarantine-service.js';

/** Quarantine and recall: a pull policy, and the service the API and CLI use. */
export function quarantine(metadata: MetadataStore, policy: AccessPolicy, audit: AdminAudit,
  settleAudit: () => Promise<void>): Feature & { readonly service: QuarantineService } {
  return { name: 'quarantine', policies: [quarantinePolicy(metadata)], service: new QuarantineService(metadata, policy, audit, settleAudit) };
}
