import { useEffect, useState } from 'react';
import { enc, getJson, getPage } from '../../api/client.js';
import type { Member, Project, Role } from '../../api/types.js';
import { useSession, type SessionState } from '../../session.js';

/**
 * What the user may do in a project, to show only the buttons that would work (the server decides anyway). The
 * project's own `capabilities`, when the API sends them; otherwise the ladder of roles (as src/auth/roles.ts has
 * it) applied to the user's membership, directly or through a group.
 */
export type Capability = 'pull' | 'push' | 'delete' | 'view-members' | 'manage-policies' | 'manage-members' | 'manage-robots' | 'update-project';

const ladder: Record<Role, readonly Capability[]> = {
  'limited-guest': ['pull'],
  guest: ['pull', 'view-members'],
  developer: ['pull', 'push', 'view-members'],
  maintainer: ['pull', 'push', 'delete', 'view-members', 'manage-policies'],
  admin: ['pull', 'push', 'delete', 'view-members', 'manage-policies', 'manage-members', 'manage-robots', 'update-project'],
};

const everything = new Set<Capability>(ladder.admin);

export async function capabilitiesIn(project: Project, session: SessionState): Promise<Set<Capability>> {
  // Without access control the administration API refuses every change: there is nothing to offer but pulling.
  if (session.status === 'open') return new Set(['pull']);
  if (session.status !== 'signed-in') return new Set(project.public ? ['pull'] : []);
  if (session.me.admin) return everything;
  if (project.capabilities) return new Set(project.capabilities as Capability[]);
  const username = (session.me.username ?? '').toLowerCase();
  const groups = new Set(session.me.groups.map((group) => group.toLowerCase()));
  const granted = new Set<Capability>(project.public ? ['pull'] : []);
  try {
    let next: string | undefined = `/api/v1/projects/${enc(project.name)}/members?n=1000`;
    for (let pages = 0; next !== undefined && pages < 20; pages++) {
      const page: { items: Member[]; next: string | undefined } = await getPage<Member>(next);
      for (const member of page.items) {
        const mine = member.kind === 'user' ? member.name.toLowerCase() === username : groups.has(member.name.toLowerCase());
        if (mine) for (const capability of ladder[member.role] ?? []) granted.add(capability);
      }
      next = page.next;
    }
  } catch {
    // Members hidden from this user (a limited guest): no more than pulling, which needs no button.
  }
  return granted;
}

/** The user's capabilities in a project, once known (empty until then, and when the project cannot be read). */
export function useProjectCapabilities(project: string): Set<Capability> {
  const { session } = useSession();
  const [can, setCan] = useState<Set<Capability>>(new Set());
  useEffect(() => {
    let current = true;
    getJson<Project>(`/api/v1/projects/${enc(project)}`)
      .then((found) => capabilitiesIn(found, session))
      .then((granted) => { if (current) setCan(granted); }, () => { if (current) setCan(new Set()); });
    return () => { current = false; };
  }, [project, session]);
  return can;
}
