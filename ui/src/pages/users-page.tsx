import { useCallback, useState, type FormEvent } from 'react';
import { change, enc, withQuery } from '../api/client.js';
import type { User } from '../api/types.js';
import { usePagedList } from '../api/use-api.js';
import { Badge, Dialog, Empty, ErrorNote, Loading, LoadMore, Time, useAction } from '../components/common.js';
import { PageTitle } from '../components/layout.js';
import { SearchBox } from '../components/search-box.js';

/** Users, for system administrators: create local users, disable, grant or take administration, delete. */
export function UsersPage() {
  const [q, setQ] = useState('');
  const list = usePagedList<User>(withQuery('/api/v1/users', { q, n: 100 }));
  const action = useAction();
  const [creating, setCreating] = useState(false);
  const update = (user: User, patch: Partial<Pick<User, 'disabled' | 'admin'>>) =>
    action.run(() => change('PATCH', `/api/v1/users/${enc(user.username)}`, patch)).then(() => list.reload());
  const remove = (user: User) => action.run(() => change('DELETE', `/api/v1/users/${enc(user.username)}`)).then(() => list.reload());
  const search = useCallback((value: string) => setQ(value), []);
  return (
    <>
      <PageTitle actions={<button type="button" className="primary" onClick={() => setCreating(true)}>New user</button>}>Users</PageTitle>
      <div className="toolbar"><SearchBox label="Search users" placeholder="Search users" value={q} onChange={search} /></div>
      <ErrorNote error={action.error} what="The change was refused" />
      <ErrorNote error={list.error} what="The users could not be listed" />
      <div className="table-scroll">
        <table aria-label="Users">
          <thead>
            <tr><th scope="col">Username</th><th scope="col">Source</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">Last sign-in</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {list.items.map((user) => (
              <tr key={user.username}>
                <th scope="row">{user.username}{user.displayName && <div className="muted small-text">{user.displayName}</div>}</th>
                <td>{user.source}</td>
                <td>{user.admin ? <Badge tone="warn">administrator</Badge> : 'user'}</td>
                <td>{user.disabled ? <Badge tone="bad">disabled</Badge> : <Badge tone="good">active</Badge>}</td>
                <td><Time iso={user.lastLoginAt} /></td>
                <td className="actions-cell">
                  <button type="button" className="small" disabled={action.busy} aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${user.username}`}
                    onClick={() => void update(user, { disabled: !user.disabled })}>{user.disabled ? 'Enable' : 'Disable'}</button>
                  <button type="button" className="small" disabled={action.busy} aria-label={`${user.admin ? 'Remove administration from' : 'Make administrator:'} ${user.username}`}
                    onClick={() => void update(user, { admin: !user.admin })}>{user.admin ? 'Revoke admin' : 'Make admin'}</button>
                  <button type="button" className="small danger" disabled={action.busy} aria-label={`Delete ${user.username}`}
                    onClick={() => void remove(user)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.loading && <Loading what="Loading users" />}
      {!list.loading && !list.error && list.items.length === 0 && <Empty>No users match.</Empty>}
      <LoadMore list={list} />
      {creating && <CreateUserDialog onClose={() => setCreating(false)} onCreated={() => { setCreating(false); list.reload(); }} />}
    </>
  );
}

function CreateUserDialog({ onClose, onCreated }: { readonly onClose: () => void; readonly onCreated: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [email, setEmail] = useState('');
  const [admin, setAdmin] = useState(false);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run(() => change('POST', '/api/v1/users', { username, password, ...(email && { email }), admin }))) onCreated();
  };
  return (
    <Dialog title="New user" onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <label>Username<input required value={username} onChange={(event) => setUsername(event.target.value)} autoComplete="off" /></label>
        <label>Password<input required type="password" value={password} onChange={(event) => setPassword(event.target.value)} autoComplete="new-password" /></label>
        <label>E-mail<input type="email" value={email} onChange={(event) => setEmail(event.target.value)} /></label>
        <label className="check"><input type="checkbox" checked={admin} onChange={(event) => setAdmin(event.target.checked)} /> System administrator</label>
        <ErrorNote error={action.error} />
        <div className="buttons">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={action.busy}>Create user</button>
        </div>
      </form>
    </Dialog>
  );
}
