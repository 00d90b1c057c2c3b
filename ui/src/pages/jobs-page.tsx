import { useEffect, useState } from 'react';
import { withQuery } from '../api/client.js';
import type { Job } from '../api/types.js';
import { usePagedList } from '../api/use-api.js';
import { Badge, Empty, ErrorNote, Loading, LoadMore, Time } from '../components/common.js';
import { PageTitle } from '../components/layout.js';

const statuses = ['', 'queued', 'running', 'done', 'failed'];

/** The background jobs of the cluster and their progress, refreshed every few seconds. */
export function JobsPage() {
  const [status, setStatus] = useState('');
  const [kind, setKind] = useState('');
  const list = usePagedList<Job>(withQuery('/api/v1/jobs', { status, kind, n: 100 }));
  const { reload } = list;
  useEffect(() => {
    const timer = setInterval(reload, 5000);
    return () => clearInterval(timer);
  }, [reload]);
  return (
    <>
      <PageTitle>Jobs</PageTitle>
      <div className="toolbar">
        <label>Status
          <select value={status} onChange={(event) => setStatus(event.target.value)}>
            {statuses.map((value) => <option key={value} value={value}>{value === '' ? 'any' : value}</option>)}
          </select>
        </label>
        <label>Kind<input value={kind} onChange={(event) => setKind(event.target.value)} placeholder="webhooks.deliver" /></label>
      </div>
      <ErrorNote error={list.error} what="The jobs could not be listed" />
      <div className="table-scroll">
        <table aria-label="Jobs">
          <thead><tr><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col" className="num">Attempts</th><th scope="col">Updated</th><th scope="col">Last error</th></tr></thead>
          <tbody>
            {list.items.map((job) => (
              <tr key={job.id}>
                <th scope="row"><code>{job.kind}</code> <span className="muted">#{job.id}</span></th>
                <td><Badge tone={job.status === 'done' ? 'good' : job.status === 'failed' ? 'bad' : job.status === 'running' ? 'warn' : 'neutral'}>{job.status}</Badge></td>
                <td>
                  {job.progress ? (
                    <span className="progress">
                      <progress max={Math.max(job.progress.total, 1)} value={job.progress.done} aria-label={`Progress of job ${job.id}`} />
                      {' '}{job.progress.done}/{job.progress.total}{job.progress.note ? ` · ${job.progress.note}` : ''}
                    </span>
                  ) : <span className="muted">—</span>}
                </td>
                <td className="num">{job.attempts}</td>
                <td><Time iso={job.updatedAt} /></td>
                <td className="small-text">{job.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.loading && list.items.length === 0 && <Loading what="Loading jobs" />}
      {!list.loading && !list.error && list.items.length === 0 && <Empty>No jobs.</Empty>}
      <LoadMore list={list} />
    </>
  );
}
