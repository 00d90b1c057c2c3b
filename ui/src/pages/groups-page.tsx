import { useState, type FormEvent } from 'react';
import { change, enc } from '../api/client.js';
import type { Group, User } from '../api/types.js';
import { usePagedList } from '../api/use-api.js';
import { Empty, ErrorNote, Loading, LoadMore, Time, useAction } from '../components/common.js';
import { PageTitle } from '../components/layout.js';

/** Groups, for system administrators: local ones with their members, and LDAP or OIDC groups mapped by name. */
export function GroupsPage() {
  const list = usePagedList<Group>('/api/v1/groups?n=200');
  const action = useAction();
  const [open, setOpen] = useState<string | undefined>(undefined);
  const remove = (group: Group) => action.run(() => change('DELETE', `/api/v1/groups/${enc(group.name)}`)).then(() => list.reload());
  return (
    <>
      <PageTitle>Groups</PageTitle>
      <CreateGroup onCreated={list.reload} />
      <ErrorNote error={action.error} what="The change was refused" />
      <ErrorNote error={list.error} what="The groups could not be listed" />
      <div className="table-scroll">
        <table aria-label="Groups">
          <thead><tr><th scope="col">Name</th><th scope="col">Source</th><th scope="col">External name</th><th scope="col">Created</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {list.items.map((group) => (
              <tr key={group.name}>
                <th scope="row">
                  {group.name}
                  {open === group.name && <GroupMembers group={group.name} />}
                </th>
                <td>{group.source}</td>
                <td><code>{group.externalName ?? ''}</code></td>
                <td><Time iso={group.createdAt} /></td>
                <td className="actions-cell">
                  {group.source === 'local' && (
                    <button type="button" className="small" aria-expanded={open === group.name} onClick={() => setOpen(open === group.name ? undefined : group.name)}>
                      {open === group.name ? 'Hide members' : 'Members'}
                    </button>
                  )}
                  <button type="button" className="small danger" aria-label={`Delete group ${group.name}`} disabled={action.busy}
                    onClick={() => void remove(group)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.loading && <Loading what="Loading groups" />}
      {!list.loading && !list.error && list.items.length === 0 && <Empty>No groups yet.</Empty>}
      <LoadMore list={list} />
    </>
  );
}

function CreateGroup({ onCreated }: { readonly onCreated: () => void }) {
  const [name, setName] = useState('');
  const [source, setSource] = useState<'local' | 'ldap' | 'oidc'>('local');
  const [externalName, setExternalName] = useState('');
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = { name, source, ...(source !== 'local' && { externalName }) };
    if (await action.run(() => change('POST', '/api/v1/groups', body))) {
      setName('');
      setExternalName('');
      onCreated();
    }
  };
  return (
    <>
      <form className="inline-form" aria-label="New group" onSubmit={(event) => void submit(event)}>
        <label>Group name<input required value={name} onChange={(event) => setName(event.target.value)} /></label>
        <label>Source
          <select value={source} onChange={(event) => setSource(event.target.value as 'local' | 'ldap' | 'oidc')}>
            <option value="local">local</option>
            <option value="ldap">LDAP</option>
            <option value="oidc">OpenID Connect</option>
          </select>
        </label>
        {source !== 'local' && (
          <label>{source === 'ldap' ? 'LDAP group DN' : 'Groups claim value'}
            <input required value={externalName} onChange={(event) => setExternalName(event.target.value)} />
          </label>
        )}
        <button type="submit" className="primary" disabled={action.busy}>Create group</button>
      </form>
      <ErrorNote error={action.error} />
    </>
  );
}

function GroupMembers({ group }: { readonly group: string }) {
  const base = `/api/v1/groups/${enc(group)}/members`;
  const list = usePagedList<User>(`${base}?n=200`);
  const action = useAction();
  const [username, setUsername] = useState('');
  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run(() => change('PUT', `${base}/${enc(username)}`))) {
      setUsername('');
      list.reload();
    }
  };
  return (
    <div className="group-members">
      <ul aria-label={`Members of ${group}`}>
        {list.items.map((user) => (
          <li key={user.username}>
            {user.username}{' '}
            <button type="button" className="small" aria-label={`Remove ${user.username} from ${group}`}
              onClick={() => void action.run(() => change('DELETE', `${base}/${enc(user.username)}`)).then(() => list.reload())}>Remove</button>
          </li>
        ))}
      </ul>
      {list.loading && <Loading />}
      <form className="inline-form" onSubmit={(event) => void add(event)}>
        <label>Username<input required value={username} onChange={(event) => setUsername(event.target.value)} /></label>
        <button type="submit" className="small">Add to group</button>
      </form>
      <ErrorNote error={action.error ?? list.error} />
    </div>
  );
}
