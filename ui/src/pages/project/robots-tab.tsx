import { useState, type FormEvent } from 'react';
import { change, enc } from '../../api/client.js';
import type { Robot } from '../../api/types.js';
import { usePagedList } from '../../api/use-api.js';
import { Badge, CopyButton, Dialog, Empty, ErrorNote, Loading, LoadMore, Time, useAction } from '../../components/common.js';

const robotActions = ['pull', 'push', 'delete'] as const;

/** Robot accounts of the project: created with a secret shown once, rotated, revoked. */
export function RobotsTab({ project }: { readonly project: string }) {
  const list = usePagedList<Robot>(`/api/v1/robots?project=${enc(project)}&n=200`);
  const action = useAction();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ name: string; secret: string } | undefined>(undefined);

  const rotate = (robot: Robot) => action.run(async () => {
    const { secret: fresh } = await change<{ secret: string }>('POST', `/api/v1/robots/${enc(robot.name)}/secret`);
    setSecret({ name: robot.name, secret: fresh });
  });
  const revoke = (robot: Robot) => action.run(() => change('POST', `/api/v1/robots/${enc(robot.name)}/revoke`)).then(() => list.reload());

  return (
    <>
      <div className="toolbar">
        <button type="button" className="primary" onClick={() => setCreating(true)}>New robot account</button>
      </div>
      <ErrorNote error={action.error} what="The change was refused" />
      <ErrorNote error={list.error} what="The robot accounts could not be listed" />
      <div className="table-scroll">
        <table aria-label="Robot accounts">
          <thead>
            <tr>
              <th scope="col">Name</th><th scope="col">Permissions</th><th scope="col">Expires</th><th scope="col">Last used</th>
              <th scope="col">State</th><th scope="col"><span className="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((robot) => (
              <tr key={robot.name}>
                <th scope="row">{robot.name}{robot.description && <div className="muted small-text">{robot.description}</div>}</th>
                <td>{robot.permissions.map((permission) => `${permission.project}: ${permission.actions.join(', ')}`).join('; ')}</td>
                <td>{robot.expiresAt ? <Time iso={robot.expiresAt} /> : 'never'}</td>
                <td><Time iso={robot.lastUsedAt} /></td>
                <td>{robot.revokedAt ? <Badge tone="bad">revoked</Badge> : <Badge tone="good">active</Badge>}</td>
                <td className="actions-cell">
                  {!robot.revokedAt && (
                    <>
                      <button type="button" className="small" aria-label={`Rotate the secret of ${robot.name}`} disabled={action.busy}
                        onClick={() => void rotate(robot)}>Rotate secret</button>
                      <button type="button" className="small danger" aria-label={`Revoke ${robot.name}`} disabled={action.busy}
                        onClick={() => void revoke(robot)}>Revoke</button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.loading && <Loading what="Loading robot accounts" />}
      {!list.loading && !list.error && list.items.length === 0 && <Empty>No robot accounts: create one for a CI pipeline.</Empty>}
      <LoadMore list={list} />
      {creating && (
        <CreateRobotDialog project={project} onClose={() => setCreating(false)} onCreated={(created) => {
          setCreating(false);
          setSecret(created);
          list.reload();
        }} />
      )}
      {secret && <SecretDialog title="Robot account secret" name={secret.name} secret={secret.secret} onClose={() => setSecret(undefined)} />}
    </>
  );
}

function CreateRobotDialog({ project, onClose, onCreated }: {
  readonly project: string;
  readonly onClose: () => void;
  readonly onCreated: (created: { name: string; secret: string }) => void;
}) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [granted, setGranted] = useState<Set<string>>(new Set(['pull']));
  const [days, setDays] = useState('');
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await action.run(async () => {
      const created = await change<Robot & { secret: string }>('POST', '/api/v1/robots', {
        name: name.trim(),
        ...(description.trim() !== '' && { description: description.trim() }),
        permissions: [{ project, actions: robotActions.filter((value) => granted.has(value)) }],
        ...(days !== '' && { expiresInDays: Number(days) }),
      });
      onCreated({ name: created.name, secret: created.secret });
    });
  };
  const toggle = (value: string, on: boolean) => setGranted((current) => {
    const next = new Set(current);
    if (on) next.add(value);
    else next.delete(value);
    return next;
  });
  return (
    <Dialog title="New robot account" onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <label>Robot name<input required value={name} onChange={(event) => setName(event.target.value)} placeholder="ci" /></label>
        <label>Description<input value={description} onChange={(event) => setDescription(event.target.value)} /></label>
        <fieldset>
          <legend>May, in {project}</legend>
          {robotActions.map((value) => (
            <label key={value} className="check">
              <input type="checkbox" checked={granted.has(value)} onChange={(event) => toggle(value, event.target.checked)} /> {value}
            </label>
          ))}
        </fieldset>
        <label>Expires after (days, empty for never)<input type="number" min={1} max={3650} value={days} onChange={(event) => setDays(event.target.value)} /></label>
        <ErrorNote error={action.error} />
        <div className="buttons">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={action.busy}>Create robot</button>
        </div>
      </form>
    </Dialog>
  );
}

/** A secret, shown this once: it is kept nowhere, so closing the dialog loses it for good. */
export function SecretDialog({ title, name, secret, onClose }: {
  readonly title: string;
  readonly name: string;
  readonly secret: string;
  readonly onClose: () => void;
}) {
  return (
    <Dialog title={title} onClose={onClose}>
      <p>The secret of <strong>{name}</strong>, shown only this once: copy it now. Berth keeps only a hash of it.</p>
      <div className="command">
        <code className="secret">{secret}</code>
        <CopyButton text={secret} label="Copy secret" />
      </div>
      <div className="buttons">
        <button type="button" className="primary" onClick={onClose}>Close</button>
      </div>
    </Dialog>
  );
}
