import { useState } from 'react';
import { Link } from 'wouter';
import { ApiError, enc, getJson, withQuery } from '../../api/client.js';
import { useResource } from '../../api/use-api.js';
import { Empty, ErrorNote, Loading, Time, useAction } from '../../components/common.js';
import { formatCount, shortDigest } from '../../format.js';
import { paths } from '../../paths.js';
import { SeverityCounts, statusNames } from '../artifact/vulnerability-table.js';
import { VulnerabilityPolicySection } from './vulnerability-policy.js';
import type { ProjectImageScan, ProjectScanTotals, ProjectVulnerabilities } from './vulnerability-types.js';

/** Images per page of the worst-first list. */
const pageSize = 50;

/**
 * A project's vulnerabilities: how its images stand (images per worst finding, per scan status), its images worst
 * first, each linking to its artifact page's findings; then the project's vulnerability policy and allowlist,
 * which only those who may manage policies can change.
 */
export function VulnerabilitiesTab({ project, canManage, signedIn }: { readonly project: string; readonly canManage: boolean; readonly signedIn: boolean }) {
  const base = `/api/v1/projects/${enc(project)}/vulnerabilities`;
  const first = useResource<ProjectVulnerabilities>(withQuery(base, { n: pageSize }));
  // Pages read after the first, by following its `next`: kept with the first page they follow, so a first page read
  // again starts the list over.
  const [read, setRead] = useState<{ after: ProjectVulnerabilities; items: ProjectImageScan[]; next: string | null } | undefined>(undefined);
  const loading = useAction();

  if (first.error instanceof ApiError && first.error.code === 'UNSUPPORTED') {
    return <p className="note">Vulnerability scanning is turned off on this registry.</p>;
  }
  const data = first.data;
  const more = read !== undefined && read.after === data ? read : undefined;
  const items = [...(data?.items ?? []), ...(more?.items ?? [])];
  const next = more ? more.next : data?.next ?? null;
  const loadMore = () => loading.run(async () => {
    const page = await getJson<ProjectVulnerabilities>(withQuery(base, { n: pageSize, last: next }));
    if (data) setRead({ after: data, items: [...(more?.items ?? []), ...page.items], next: page.next });
  });

  return (
    <>
      <ErrorNote error={first.error} what="The project's vulnerabilities could not be read" />
      {!data && first.loading && <Loading what="Loading vulnerabilities" />}
      {data && data.totals.images === 0 && <Empty>No images in this project yet: each image pushed is scanned, and shows here.</Empty>}
      {data && data.totals.images > 0 && (
        <>
          <Totals totals={data.totals} />
          <h2>Images, worst first</h2>
          <div className="table-scroll">
            <table aria-label="Images by vulnerability">
              <thead>
                <tr>
                  <th scope="col">Image</th><th scope="col">Scan</th><th scope="col">Findings</th>
                  <th scope="col" className="num">Fixable</th><th scope="col">Scanned</th>
                </tr>
              </thead>
              <tbody>{items.map((image) => <ImageRow key={`${image.repository}@${image.digest}`} image={image} />)}</tbody>
            </table>
          </div>
          <ErrorNote error={loading.error} what="More images could not be read" />
          {next !== null && (
            <p><button type="button" onClick={() => void loadMore()} disabled={loading.busy}>{loading.busy ? 'Loading…' : 'Load more'}</button></p>
          )}
        </>
      )}
      {signedIn && <VulnerabilityPolicySection project={project} canManage={canManage} />}
    </>
  );
}

const worstLevels = [['critical', 'Critical'], ['high', 'High'], ['medium', 'Medium'], ['low', 'Low'], ['other', 'Other'], ['none', 'None']] as const;
const statusOrder = ['done', 'queued', 'scanning', 'failed', 'not scanned', 'unsupported'] as const;

/** The project's figures: a bar per worst severity (of the images scanned), and the images per scan status. */
function Totals({ totals }: { readonly totals: ProjectScanTotals }) {
  const matched = worstLevels.reduce((sum, [key]) => sum + totals.byWorstSeverity[key], 0);
  return (
    <div className="vuln-totals">
      <section aria-labelledby="worst-heading" className="card">
        <h2 id="worst-heading">Images by worst finding</h2>
        <ul className="severity-bars" aria-label="Images by worst finding">
          {worstLevels.map(([key, name]) => {
            const count = totals.byWorstSeverity[key];
            return (
              <li key={key}>
                <span className="bar-name">{name}</span>{' '}
                <span className="bar-track" aria-hidden="true">
                  <span className={`bar bar-${key}`} style={{ width: `${matched === 0 ? 0 : (100 * count) / matched}%` }} />
                </span>
                <strong className="num">{formatCount(count)}</strong>
              </li>
            );
          })}
        </ul>
      </section>
      <section aria-labelledby="status-heading" className="card">
        <h2 id="status-heading">Scans</h2>
        <dl className="figures" aria-label="Images by scan status">
          <div><dt>Images</dt><dd>{formatCount(totals.images)}</dd></div>
          {statusOrder.filter((status) => status === 'done' || status === 'not scanned' || totals.byStatus[status] > 0).map((status) => (
            <div key={status}><dt>{statusNames[status]}</dt><dd>{formatCount(totals.byStatus[status])}</dd></div>
          ))}
        </dl>
        <SeverityCounts summary={totals.findings} label="Findings in all images" />
      </section>
    </div>
  );
}

function ImageRow({ image }: { readonly image: ProjectImageScan }) {
  const findings = image.status === 'done' || image.matchedAt !== null;
  return (
    <tr>
      <th scope="row">
        <Link href={`${paths.artifact(image.repository, image.digest)}#vulnerabilities`}>{image.repository}</Link>
        <div className="small-text">
          {image.tags.map((tag) => <span key={tag} className="tag-chip">{tag}</span>)}
          {image.tagCount > image.tags.length && <span className="muted">+{image.tagCount - image.tags.length} more </span>}
          <code className="muted">{shortDigest(image.digest)}</code>
        </div>
      </th>
      <td>
        {statusNames[image.status] ?? image.status}
        {image.reason && <div className="muted small-text wrap-anywhere">{image.reason}</div>}
      </td>
      <td>{findings ? <SeverityCounts summary={image.summary} label={`Findings in ${image.repository}@${shortDigest(image.digest)}`} /> : <span className="muted">—</span>}</td>
      <td className="num">{findings ? formatCount(image.summary.fixable) : ''}</td>
      <td><Time iso={image.finishedAt} /></td>
    </tr>
  );
}
