import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { withQuery } from '../api/client.js';
import type { Repository, TagRow } from '../api/types.js';
import { useResource, usePagedList } from '../api/use-api.js';
import { DeleteDialog, QuarantineDialog } from '../components/artifact-actions.js';
import { Badge, Empty, ErrorNote, Loading, Time } from '../components/common.js';
import { PageTitle } from '../components/layout.js';
import { SearchBox } from '../components/search-box.js';
import { formatBytes, formatCount, platformName, shortDigest } from '../format.js';
import { paths } from '../paths.js';
import { useProjectCapabilities } from './project/capabilities.js';

const sorts = [['pushed', 'Pushed'], ['version', 'Version'], ['name', 'Name'], ['pulled', 'Last pulled']] as const;
const rowHeight = 44;
/** Rows fetched per page: a screenful many times over, so scrolling rarely waits. */
const pageSize = 200;

/**
 * A repository's tags, sorted and filtered on the server and read a page at a time by following Link headers; only
 * the rows on screen are in the page (a virtualised list), so ten thousand tags cost what a hundred do.
 */
export function RepositoryPage({ name }: { readonly name: string }) {
  const [, navigate] = useLocation();
  const search = new URLSearchParams(useSearch());
  const sort = sorts.some(([value]) => value === search.get('sort')) ? search.get('sort')! : 'pushed';
  const order = search.get('order') === 'asc' ? 'asc' : search.get('order') === 'desc' ? 'desc' : sort === 'name' ? 'asc' : 'desc';
  const pattern = search.get('pattern') ?? '';
  const project = name.split('/')[0] ?? name;
  const can = useProjectCapabilities(project);
  const repository = useResource<Repository>(withQuery('/api/v1/repository', { name }));
  const list = usePagedList<TagRow>(withQuery('/api/v1/tags', { repository: name, sort, order, pattern, n: pageSize }));
  const [acting, setActing] = useState<{ kind: 'quarantine' | 'delete'; row: TagRow } | undefined>(undefined);

  const setQuery = useCallback((change: Record<string, string>) => {
    const next = { sort, order, pattern, ...change };
    navigate(withQuery(paths.repository(name), next), { replace: true });
  }, [navigate, name, sort, order, pattern]);

  return (
    <>
      <PageTitle trail={[['Projects', paths.projects()], [project, paths.project(project)]]}>{name}</PageTitle>
      <ErrorNote error={repository.error} what="The repository could not be read" />
      {repository.data && (
        <dl className="figures" aria-label="Repository figures">
          <div><dt>Tags</dt><dd>{formatCount(repository.data.tagCount)}</dd></div>
          <div><dt>Artifacts</dt><dd>{formatCount(repository.data.artifactCount)}</dd></div>
          <div><dt>Storage</dt><dd>{formatBytes(repository.data.storedBytes)}</dd></div>
          <div><dt>Pulls</dt><dd>{formatCount(repository.data.pulls)}</dd></div>
          <div><dt>Last pulled</dt><dd><Time iso={repository.data.lastPulledAt} /></dd></div>
        </dl>
      )}
      <div className="toolbar">
        <SearchBox label="Filter tags" placeholder="Filter tags (glob, e.g. v1.*)" value={pattern} onChange={(value) => setQuery({ pattern: value })} />
        <label>Sort by
          <select value={sort} onChange={(event) => setQuery({ sort: event.target.value, order: event.target.value === 'name' ? 'asc' : 'desc' })}>
            {sorts.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </label>
        <label>Order
          <select value={order} onChange={(event) => setQuery({ order: event.target.value })}>
            <option value="desc">{sort === 'name' ? 'Z to A' : sort === 'version' ? 'Highest first' : 'Newest first'}</option>
            <option value="asc">{sort === 'name' ? 'A to Z' : sort === 'version' ? 'Lowest first' : 'Oldest first'}</option>
          </select>
        </label>
      </div>
      <ErrorNote error={list.error} what="The tags could not be listed" />
      <TagTable list={list} repository={name} canDelete={can.has('delete')} canQuarantine={can.has('manage-policies')}
        onAct={(kind, row) => setActing({ kind, row })} />
      {!list.loading && !list.error && list.items.length === 0 && <Empty>{pattern ? `No tag matches ${pattern}.` : 'No tags.'}</Empty>}
      {acting?.kind === 'quarantine' && (
        <QuarantineDialog repository={name} digest={acting.row.digest} label={`${name}:${acting.row.tag}`} onClose={() => setActing(undefined)}
          onDone={() => { setActing(undefined); list.reload(); }} />
      )}
      {acting?.kind === 'delete' && (
        <DeleteDialog repository={name} tag={acting.row.tag} digest={acting.row.digest} onClose={() => setActing(undefined)}
          onDone={() => { setActing(undefined); list.reload(); repository.reload(); }} />
      )}
    </>
  );
}

function TagTable({ list, repository, canDelete, canQuarantine, onAct }: {
  readonly list: ReturnType<typeof usePagedList<TagRow>>;
  readonly repository: string;
  readonly canDelete: boolean;
  readonly canQuarantine: boolean;
  readonly onAct: (kind: 'quarantine' | 'delete', row: TagRow) => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: list.items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const rows = virtualizer.getVirtualItems();
  const last = rows.at(-1)?.index ?? -1;
  const { hasMore, loading, loadMore } = list;
  useEffect(() => {
    if (hasMore && !loading && last >= list.items.length - 40) loadMore();
  }, [last, hasMore, loading, loadMore, list.items.length]);
  const actions = canDelete || canQuarantine;
  const columns = actions ? 8 : 7;
  // Rows above and below the window are stood in for by two spacer rows of their total height.
  const before = rows[0]?.start ?? 0;
  const after = virtualizer.getTotalSize() - (rows.at(-1)?.end ?? 0);

  return (
    <div className="vbody" ref={scroller}>
      <table aria-label="Tags" className="tags">
        <colgroup>
          <col className="c-tag" /><col className="c-digest" /><col className="c-size" /><col className="c-platforms" />
          <col className="c-time" /><col className="c-time" /><col className="c-pulls" />{actions && <col className="c-actions" />}
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Tag</th>
            <th scope="col">Digest</th>
            <th scope="col" className="num">Size</th>
            <th scope="col">Platforms</th>
            <th scope="col">Pushed</th>
            <th scope="col">Last pulled</th>
            <th scope="col" className="num">Pulls</th>
            {actions && <th scope="col"><span className="visually-hidden">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {before > 0 && <tr className="spacer"><td colSpan={columns} style={{ height: before }} /></tr>}
          {rows.map((virtual) => {
            const row = list.items[virtual.index]!;
            return (
              <tr key={row.tag} style={{ height: rowHeight }}>
                <th scope="row" className="tag">
                  <Link href={paths.artifact(repository, row.tag)}>{row.tag}</Link>
                  {row.quarantined && <> <Badge tone="bad">quarantined</Badge></>}
                </th>
                <td><code title={row.digest}>{shortDigest(row.digest)}</code></td>
                <td className="num">{formatBytes(row.size)}</td>
                <td title={row.platforms.map(platformName).join(', ')}>
                  {row.platforms.length === 0 ? <span className="muted">{row.artifactType ?? '—'}</span> : row.platforms.map(platformName).join(', ')}
                </td>
                <td><Time iso={row.pushedAt} /></td>
                <td><Time iso={row.lastPulledAt} /></td>
                <td className="num">{formatCount(row.pulls)}</td>
                {actions && (
                  <td className="actions-cell">
                    {canQuarantine && !row.quarantined && (
                      <button type="button" className="small" aria-label={`Quarantine ${row.tag}`} onClick={() => onAct('quarantine', row)}>Quarantine</button>
                    )}
                    {canDelete && (
                      <button type="button" className="small danger" aria-label={`Delete ${row.tag}`} onClick={() => onAct('delete', row)}>Delete</button>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
          {after > 0 && <tr className="spacer"><td colSpan={columns} style={{ height: after }} /></tr>}
        </tbody>
      </table>
      {list.loading && <Loading what="Loading tags" />}
    </div>
  );
}
