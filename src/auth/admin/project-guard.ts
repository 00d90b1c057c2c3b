import type { AccessPolicy } from '../access-policy.js';
import type { Capability } from '../roles.js';
import { actorName, notFound, type AdminAction, type AdminActor, type AdminAudit } from './admin-actor.js';
import { describeCapability } from './project-admin.js';

/**
 * Lets a change to a project's policies go on only for callers holding `capability` in it. A project the caller may
 * not see is answered like one that does not exist (404); one they see but may not change is refused (403, audited
 * when `action` is given).
 */
export async function requireProjectCapability(policy: AccessPolicy, audit: AdminAudit, actor: AdminActor, project: string,
  capability: Capability, action: AdminAction | undefined, verb: string, detail: Record<string, unknown> = {}): Promise<void> {
  const decision = await policy.project(actor.principal, project);
  if (!decision.exists || !decision.capabilities.has('view-project')) throw notFound(`project "${project}" not found`);
  if (!decision.capabilities.has(capability)) {
    audit.refuse(actor, action, `${actorName(actor)} may not ${verb} in project "${project}": that needs ${describeCapability(capability)}`,
      { target: project, ...detail }, project);
  }
}
