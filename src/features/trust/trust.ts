import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { AccessPolicy } from '../../auth/access-policy.js';
import type { AdminAudit } from '../../auth/admin/admin-actor.js';
import type { Principal } from '../../auth/principal.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { Feature } from '../feature.js';
import { ProjectTrustCache } from './project-trust.js';
import { SignatureDiscovery } from './signature-discovery.js';
import { signatureEvents } from './signature-events.js';
import { trustPolicy, type TrustTally } from './trust-policy.js';
import { TrustService } from './trust-service.js';

export interface TrustOptions {
  readonly readBlob: (digest: string) => Promise<Readable>;
  readonly mayRead: (principal: Principal, repository: string) => Promise<boolean>;
  readonly mayPush: (principal: Principal, repository: string) => Promise<boolean>;
  readonly access: AccessPolicy;
  readonly audit: AdminAudit;
  readonly log: Logger;
}

/**
 * Signature trust: a pull policy that verifies signatures against each project's keys, the events that tell of
 * signatures pushed, and the service the API and CLI use.
 */
export function trust(metadata: MetadataStore, options: TrustOptions): Feature & { readonly service: TrustService; readonly tally: TrustTally } {
  const discovery = new SignatureDiscovery(metadata, options.readBlob);
  const projects = new ProjectTrustCache(metadata);
  const policy = trustPolicy(metadata, discovery, projects, options.mayPush, options.log);
  return {
    name: 'trust', policies: [policy], tally: policy.tally, consumers: [signatureEvents(metadata, discovery, projects)],
    service: new TrustService(metadata, discovery, projects, options.access, options.audit, options.mayRead),
  };
}
