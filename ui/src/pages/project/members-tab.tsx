import { useState, type FormEvent } from 'react';
import { change, enc } from '../../api/client.js';
import { roles, type Member, type Role } from '../../api/types.js';
import { usePagedList } from '../../api/use-api.js';
import { Empty, ErrorNote, Loading, LoadMore, useAction } from '../../components/common.js';

/** Who holds which role in the project; project administrators add, change and remove members. */
export function MembersTab({ project, canManage }: { readonly project: string; readonly canManage: boolean }) {
  const base = `/api/v1/projects/${enc(project)}/members`;
  const list = usePagedList<Member>(`${base}?n=200`);
  const action = useAction();
  const setRole = (member: { kind: string; name: string }, role: Role) =>
    action.run(() => change('PUT', base, { kind: member.kind, name: member.name, role })).then((done) => done && list.reload());
  const remove = (member: Member) =>
    action.run(() => change('DELETE', `${base}/${member.kind}/${enc(member.name)}`)).then((done) => done && list.reload());

  return (
    <>
      {canManage && <AddMember onAdd={(member) => setRole(member, member.role)} busy={action.busy} />}
      <ErrorNote error={action.error} what="The change was refused" />
      <ErrorNote error={list.error} what="The members could not be listed" />
      <div className="table-scroll">
        <table aria-label="Members">
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Role</th>{canManage && <th scope="col"><span className="visually-hidden">Actions</span></th>}</tr>
          </thead>
          <tbody>
            {list.items.map((member) => (
              <tr key={`${member.kind}:${member.name}`}>
                <th scope="row">{member.name}</th>
                <td>{member.kind}</td>
                <td>
                  {canManage ? (
                    <select aria-label={`Role of ${member.name}`} value={member.role} disabled={action.busy}
                      onChange={(event) => void setRole(member, event.target.value as Role)}>
                      {roles.map((role) => <option key={role} value={role}>{role}</option>)}
                    </select>
                  ) : member.role}
                </td>
                {canManage && (
                  <td className="actions-cell">
                    <button type="button" className="small danger" aria-label={`Remove ${member.name}`} disabled={action.busy}
                      onClick={() => void remove(member)}>Remove</button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.loading && <Loading what="Loading members" />}
      {!list.loading && !list.error && list.items.length === 0 && <Empty>No members yet.</Empty>}
      <LoadMore list={list} />
    </>
  );
}

function AddMember({ onAdd, busy }: { readonly onAdd: (member: Member) => Promise<unknown>; readonly busy: boolean }) {
  const [kind, setKind] = useState<'user' | 'group'>('user');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await onAdd({ kind, name: name.trim(), role });
    setName('');
  };
  return (
    <form className="inline-form" aria-label="Add a member" onSubmit={(event) => void submit(event)}>
      <label>Kind
        <select value={kind} onChange={(event) => setKind(event.target.value as 'user' | 'group')}>
          <option value="user">user</option>
          <option value="group">group</option>
        </select>
      </label>
      <label>Member name<input required value={name} onChange={(event) => setName(event.target.value)} placeholder={kind === 'user' ? 'alice' : 'developers'} /></label>
      <label>New member's role
        <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
          {roles.map((value) => <option key={value} value={value}>{value}</option>)}
        </select>
      </label>
      <button type="submit" className="primary" disabled={busy}>Add member</button>
    </form>
  );
}
