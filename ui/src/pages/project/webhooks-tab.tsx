import { useState, type FormEvent } from 'react';
import { change, enc } from '../../api/client.js';
import type { Delivery, Webhook } from '../../api/types.js';
import { usePagedList } from '../../api/use-api.js';
import { Badge, Dialog, Empty, ErrorNote, Loading, LoadMore, Time, useAction } from '../../components/common.js';
import { shortDigest } from '../../format.js';
import { SecretDialog } from './robots-tab.js';

const eventTypes = ['artifact.pushed', 'tag.moved', 'tag.deleted', 'artifact.deleted', 'artifact.quarantined', 'artifact.released'];

/** The project's webhooks, each with its delivery log; the signing secret is shown once, at creation. */
export function WebhooksTab({ project }: { readonly project: string }) {
  const base = `/api/v1/projects/${enc(project)}/webhooks`;
  const list = usePagedList<Webhook>(`${base}?n=100`);
  const action = useAction();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ name: string; secret: string } | undefined>(undefined);
  const [open, setOpen] = useState<string | undefined>(undefined);

  const setEnabled = (webhook: Webhook, enabled: boolean) =>
    action.run(() => change('PATCH', `${base}/${enc(webhook.id)}`, { enabled })).then(() => list.reload());
  const remove = (webhook: Webhook) => action.run(() => change('DELETE', `${base}/${enc(webhook.id)}`)).then(() => list.reload());

  return (
    <>
      <div className="toolbar">
        <button type="button" className="primary" onClick={() => setCreating(true)}>New webhook</button>
      </div>
      <ErrorNote error={action.error} what="The change was refused" />
      <ErrorNote error={list.error} what="The webhooks could not be listed" />
      {list.items.map((webhook) => (
        <article key={webhook.id} className="card" aria-label={`Webhook ${webhook.url}`}>
          <div className="title-row">
            <h3 className="url">{webhook.url}</h3>
            <div className="actions">
              {webhook.enabled ? <Badge tone="good">enabled</Badge> : <Badge>disabled</Badge>}
              <button type="button" className="small" onClick={() => void setEnabled(webhook, !webhook.enabled)} disabled={action.busy}
                aria-label={`${webhook.enabled ? 'Disable' : 'Enable'} webhook ${webhook.url}`}>{webhook.enabled ? 'Disable' : 'Enable'}</button>
              <button type="button" className="small danger" onClick={() => void remove(webhook)} disabled={action.busy}
                aria-label={`Delete webhook ${webhook.url}`}>Delete</button>
            </div>
          </div>
          <p className="muted">
            {webhook.events.join(', ')} · repositories <code>{webhook.repositories}</code> · tags <code>{webhook.tags}</code>
            {webhook.description ? ` · ${webhook.description}` : ''}
          </p>
          <button type="button" className="small" aria-expanded={open === webhook.id}
            onClick={() => setOpen(open === webhook.id ? undefined : webhook.id)}>
            {open === webhook.id ? 'Hide deliveries' : 'Show deliveries'}
          </button>
          {open === webhook.id && <Deliveries path={`${base}/${enc(webhook.id)}/deliveries`} />}
        </article>
      ))}
      {list.loading && <Loading what="Loading webhooks" />}
      {!list.loading && !list.error && list.items.length === 0 && <Empty>No webhooks: add one to tell another system about pushes and deletes.</Empty>}
      <LoadMore list={list} />
      {creating && (
        <CreateWebhookDialog base={base} onClose={() => setCreating(false)} onCreated={(created) => {
          setCreating(false);
          setSecret(created);
          list.reload();
        }} />
      )}
      {secret && <SecretDialog title="Webhook signing secret" name={secret.name} secret={secret.secret} onClose={() => setSecret(undefined)} />}
    </>
  );
}

function Deliveries({ path }: { readonly path: string }) {
  const list = usePagedList<Delivery>(`${path}?n=50`);
  const action = useAction();
  const replay = (delivery: Delivery) => action.run(() => change('POST', `${path}/${enc(String(delivery.id))}/replay`)).then(() => list.reload());
  return (
    <div className="deliveries">
      <ErrorNote error={list.error ?? action.error} />
      <div className="table-scroll">
        <table aria-label="Deliveries">
          <thead>
            <tr><th scope="col">Event</th><th scope="col">Artifact</th><th scope="col">Status</th><th scope="col">Response</th><th scope="col">Attempts</th><th scope="col">When</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {list.items.map((delivery) => (
              <tr key={delivery.id}>
                <td>{delivery.type}</td>
                <td><code>{delivery.repository}{delivery.tag ? `:${delivery.tag}` : ''}</code> <span className="muted">{shortDigest(delivery.digest)}</span></td>
                <td><Badge tone={delivery.status === 'delivered' ? 'good' : delivery.status === 'failed' ? 'bad' : 'warn'}>{delivery.status}</Badge></td>
                <td>{delivery.responseCode ?? (delivery.error ? <span title={delivery.error}>error</span> : '—')}</td>
                <td className="num">{delivery.attempts.length}</td>
                <td><Time iso={delivery.updatedAt ?? delivery.createdAt} /></td>
                <td><button type="button" className="small" onClick={() => void replay(delivery)} disabled={action.busy}>Replay</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.loading && <Loading what="Loading deliveries" />}
      {!list.loading && list.items.length === 0 && <Empty>No deliveries yet.</Empty>}
      <LoadMore list={list} />
    </div>
  );
}

function CreateWebhookDialog({ base, onClose, onCreated }: {
  readonly base: string;
  readonly onClose: () => void;
  readonly onCreated: (created: { name: string; secret: string }) => void;
}) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<Set<string>>(new Set(['artifact.pushed']));
  const [repositories, setRepositories] = useState('**');
  const [tags, setTags] = useState('**');
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await action.run(async () => {
      const created = await change<Webhook & { secret: string }>('POST', base, {
        url, events: eventTypes.filter((type) => events.has(type)), repositories, tags,
      });
      onCreated({ name: created.url, secret: created.secret });
    });
  };
  return (
    <Dialog title="New webhook" onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <label>Receiver URL<input type="url" required value={url} onChange={(event) => setUrl(event.target.value)} placeholder="https://ci.example.com/hooks/berth" /></label>
        <fieldset>
          <legend>Events</legend>
          {eventTypes.map((type) => (
            <label key={type} className="check">
              <input type="checkbox" checked={events.has(type)} onChange={(event) => setEvents((current) => {
                const next = new Set(current);
                if (event.target.checked) next.add(type);
                else next.delete(type);
                return next;
              })} /> {type}
            </label>
          ))}
        </fieldset>
        <label>Repositories (glob)<input value={repositories} onChange={(event) => setRepositories(event.target.value)} /></label>
        <label>Tags (glob)<input value={tags} onChange={(event) => setTags(event.target.value)} /></label>
        <ErrorNote error={action.error} />
        <div className="buttons">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={action.busy}>Create webhook</button>
        </div>
      </form>
    </Dialog>
  );
}
