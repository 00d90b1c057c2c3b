import type { Principal } from '../auth/principal.js';
import type { EventOrigin } from '../events/registry-event.js';

/** The registry actions a request can take on a repository (the token spec's names). */
export type RegistryAction = 'pull' | 'push' | 'delete';

/**
 * Who asks the registry for something, and from where: what the services need to record a change's actor, to let
 * policies decide by caller, and to check a mount's source. The HTTP layer builds it once per request from the
 * credentials access control has already checked.
 */
export interface RequestContext {
  /** The caller as the outbox and audit log name them, with their address. */
  readonly origin: EventOrigin;
  /** Who the caller is, for policies that decide by principal (project creation on first push). */
  readonly principal: Principal;
  readonly requestId: string | undefined;
  /** Whether the caller may take `action` on `repository`, as access control decides it now. */
  may(action: RegistryAction, repository: string): Promise<boolean>;
}
