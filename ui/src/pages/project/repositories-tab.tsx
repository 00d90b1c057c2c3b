import { useState } from 'react';
import { Link } from 'wouter';
import { enc, withQuery } from '../../api/client.js';
import type { Repository } from '../../api/types.js';
import { usePagedList } from '../../api/use-api.js';
import { Empty, ErrorNote, Loading, LoadMore, Time } from '../../components/common.js';
import { SearchBox } from '../../components/search-box.js';
import { formatBytes, formatCount } from '../../format.js';
import { paths } from '../../paths.js';

export function RepositoriesTab({ project }: { readonly project: string }) {
  const [q, setQ] = useState('');
  const list = usePagedList<Repository>(withQuery(`/api/v1/projects/${enc(project)}/repositories`, { q, n: 100 }));
  return (
    <>
      <div className="toolbar">
        <SearchBox label="Search repositories" placeholder="Search repositories" value={q} onChange={setQ} />
      </div>
      <ErrorNote error={list.error} what="The repositories could not be listed" />
      <div className="table-scroll">
        <table aria-label="Repositories">
          <thead>
            <tr>
              <th scope="col">Repository</th>
              <th scope="col" className="num">Tags</th>
              <th scope="col" className="num">Artifacts</th>
              <th scope="col" className="num">Storage</th>
              <th scope="col" className="num">Pulls</th>
              <th scope="col">Last pulled</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((repository) => (
              <tr key={repository.name}>
                <th scope="row"><Link href={paths.repository(repository.name)}>{repository.name}</Link></th>
                <td className="num">{formatCount(repository.tagCount)}</td>
                <td className="num">{formatCount(repository.artifactCount)}</td>
                <td className="num">{formatBytes(repository.storedBytes)}</td>
                <td className="num">{formatCount(repository.pulls)}</td>
                <td><Time iso={repository.lastPulledAt} /></td>
                <td><Time iso={repository.updatedAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.loading && <Loading what="Loading repositories" />}
      {!list.loading && !list.error && list.items.length === 0 && <Empty>{q ? `No repository matches “${q}”.` : 'No repositories yet: push an image to create one.'}</Empty>}
      <LoadMore list={list} />
    </>
  );
}
