import { useState, type FormEvent } from 'react';
import { withQuery } from '../api/client.js';
import type { AuditEvent } from '../api/types.js';
import { usePagedList } from '../api/use-api.js';
import { Badge, Empty, ErrorNote, Loading, LoadMore, Time } from '../components/common.js';
import { PageTitle } from '../components/layout.js';
import { shortDigest } from '../format.js';

interface Filters {
  actor: string;
  action: string;
  repository: string;
  project: string;
  outcome: string;
  since: string;
  until: string;
}

const none: Filters = { actor: '', action: '', repository: '', project: '', outcome: '', since: '', until: '' };

/** The audit log, newest first: who did what, where from, and whether it was allowed. */
export function AuditPage() {
  const [draft, setDraft] = useState<Filters>(none);
  const [applied, setApplied] = useState<Filters>(none);
  const instant = (value: string) => (value === '' ? undefined : new Date(value).toISOString());
  const list = usePagedList<AuditEvent>(withQuery('/api/v1/audit', {
    ...applied, since: instant(applied.since), until: instant(applied.until), n: 100,
  }));
  const field = (name: keyof Filters, label: string, type = 'text') => (
    <label>{label}<input type={type} value={draft[name]} onChange={(event) => setDraft({ ...draft, [name]: event.target.value })} /></label>
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setApplied(draft);
  };
  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <form className="filters" aria-label="Audit filters" onSubmit={submit}>
        {field('actor', 'Actor')}
        {field('action', 'Action')}
        {field('project', 'Project')}
        {field('repository', 'Repository')}
        <label>Outcome
          <select value={draft.outcome} onChange={(event) => setDraft({ ...draft, outcome: event.target.value })}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="denied">denied</option>
            <option value="failed">failed</option>
          </select>
        </label>
        {field('since', 'Since', 'datetime-local')}
        {field('until', 'Until', 'datetime-local')}
        <div className="buttons">
          <button type="submit" className="primary">Apply filters</button>
          <button type="button" onClick={() => { setDraft(none); setApplied(none); }}>Clear</button>
        </div>
      </form>
      <ErrorNote error={list.error} what="The audit log could not be read" />
      <div className="table-scroll">
        <table aria-label="Audit events">
          <thead>
            <tr><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Address</th></tr>
          </thead>
          <tbody>
            {list.items.map((event) => (
              <tr key={event.id}>
                <td><Time iso={event.at} /></td>
                <td>{event.actor} {event.actorKind !== 'user' && <span className="muted">({event.actorKind})</span>}</td>
                <td><code>{event.action}</code></td>
                <td>
                  {event.repository ?? ''}{event.tag ? `:${event.tag}` : ''}
                  {event.digest && <span className="muted"> {shortDigest(event.digest)}</span>}
                  {event.detail !== null && event.detail !== undefined && <div className="muted small-text detail">{JSON.stringify(event.detail)}</div>}
                </td>
                <td><Badge tone={event.outcome === 'ok' ? 'good' : event.outcome === 'denied' ? 'warn' : 'bad'}>{event.outcome}</Badge></td>
                <td>{event.address ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.loading && <Loading what="Loading events" />}
      {!list.loading && !list.error && list.items.length === 0 && <Empty>No events match.</Empty>}
      <LoadMore list={list} />
    </>
  );
}
