import type { ProjectRole, RobotAction } from '../metadata/access-store.js';

/** What a registry request needs: to read, to write, or to delete. The names are the token spec's actions. */
export type Action = RobotAction;
export const actions: readonly Action[] = ['pull', 'push', 'delete'];

/**
 * What a role lets a member do in a project, beyond the registry actions: the administration API checks these.
 * The ladder follows Harbor's, which platform teams know: each role holds everything of the one below it.
 */
export type Capability =
  | Action
  | 'view-project' // see the project, its repositories and tags through the API
  | 'view-members' // see who else is a member, and the project's audit events
  | 'manage-policies' // tag immutability, retention and other project policies
  | 'manage-members' // give and take roles
  | 'manage-robots' // robot accounts scoped to the project
  | 'update-project'; // visibility, deletion

export const projectRoles: readonly ProjectRole[] = ['limited-guest', 'guest', 'developer', 'maintainer', 'admin'];

const roleCapabilities: Record<ProjectRole, readonly Capability[]> = {
  'limited-guest': ['pull', 'view-project'],
  guest: ['pull', 'view-project', 'view-members'],
  developer: ['pull', 'push', 'view-project', 'view-members'],
  maintainer: ['pull', 'push', 'delete', 'view-project', 'view-members', 'manage-policies'],
  admin: ['pull', 'push', 'delete', 'view-project', 'view-members', 'manage-policies', 'manage-members', 'manage-robots', 'update-project'],
};

/** Everything the roles together allow. */
export function capabilitiesOf(roles: readonly ProjectRole[]): Set<Capability> {
  const granted = new Set<Capability>();
  for (const role of roles) for (const capability of roleCapabilities[role]) granted.add(capability);
  return granted;
}

/** Every capability there is: what a system administrator holds in every project. */
export const allCapabilities: ReadonlySet<Capability> = capabilitiesOf(['admin']);

/** The project a repository belongs to: the first component of its name. */
export function projectOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash === -1 ? repository : repository.slice(0, slash);
}
