import { useCallback, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { withQuery } from '../api/client.js';
import type { ArtifactRow, SearchResults } from '../api/types.js';
import { useResource, usePagedList } from '../api/use-api.js';
import { Empty, ErrorNote, Loading, LoadMore, Time } from '../components/common.js';
import { PageTitle } from '../components/layout.js';
import { SearchBox } from '../components/search-box.js';
import { formatBytes, platformName, shortDigest } from '../format.js';
import { paths } from '../paths.js';

/** Search across every project the user may see: repositories, tags and labels; and artifacts by label. */
export function SearchPage() {
  const [, navigate] = useLocation();
  const params = new URLSearchParams(useSearch());
  const q = params.get('q') ?? '';
  const label = params.get('label') ?? '';
  const results = useResource<SearchResults>(q === '' ? null : withQuery('/api/v1/search', { q, n: 50 }));
  const setQ = useCallback((value: string) => navigate(withQuery(paths.search(), { q: value, label }), { replace: true }), [navigate, label]);
  const data = results.data;
  const nothing = data && data.repositories.length + data.tags.length + data.labels.length === 0;
  return (
    <>
      <PageTitle>Search</PageTitle>
      <div className="toolbar">
        <SearchBox label="Search repositories, tags and labels" placeholder="Search repositories, tags and labels" value={q} onChange={setQ} />
      </div>
      <ErrorNote error={results.error} what="The search failed" />
      {results.loading && <Loading what="Searching" />}
      {nothing && <Empty>Nothing matches “{q}”.</Empty>}
      {data && data.repositories.length > 0 && (
        <section aria-labelledby="found-repositories" className="card">
          <h2 id="found-repositories">Repositories</h2>
          <ul className="results">
            {data.repositories.map((found) => {
              // The contract names each as {name, project}; a bare name is read the same way.
              const name = typeof found === 'string' ? found : found.name;
              return <li key={name}><Link href={paths.repository(name)}>{name}</Link></li>;
            })}
          </ul>
        </section>
      )}
      {data && data.tags.length > 0 && (
        <section aria-labelledby="found-tags" className="card">
          <h2 id="found-tags">Tags</h2>
          <ul className="results">
            {data.tags.map((tag) => (
              <li key={`${tag.repository}:${tag.tag}`}>
                <Link href={paths.artifact(tag.repository, tag.tag)}>{tag.repository}:{tag.tag}</Link> <code className="muted">{shortDigest(tag.digest)}</code>
              </li>
            ))}
          </ul>
        </section>
      )}
      {data && data.labels.length > 0 && (
        <section aria-labelledby="found-labels" className="card">
          <h2 id="found-labels">Labels</h2>
          <div className="table-scroll">
            <table aria-label="Matching labels">
              <thead><tr><th scope="col">Image</th><th scope="col">Label</th><th scope="col">Value</th></tr></thead>
              <tbody>
                {data.labels.map((found) => (
                  <tr key={`${found.repository}:${found.tag}:${found.key}`}>
                    <td><Link href={paths.artifact(found.repository, found.tag || found.digest)}>{found.repository}{found.tag ? `:${found.tag}` : `@${shortDigest(found.digest)}`}</Link></td>
                    <td><code>{found.key}</code></td>
                    <td className="label-value">{found.value}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      <LabelQuery label={label} onLabel={(value) => navigate(withQuery(paths.search(), { q, label: value }), { replace: true })} />
    </>
  );
}

/** Artifacts whose image config carries a label, `key` or `key=value` (the query API's label filter). */
function LabelQuery({ label, onLabel }: { readonly label: string; readonly onLabel: (value: string) => void }) {
  const [text, setText] = useState(label);
  const list = usePagedList<ArtifactRow>(label === '' ? null : withQuery('/api/v1/artifacts', { label, n: 50 }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onLabel(text.trim());
  };
  return (
    <section aria-labelledby="by-label" className="card">
      <h2 id="by-label">Artifacts by label</h2>
      <form className="inline-form" onSubmit={submit}>
        <label>Label (key or key=value)<input value={text} onChange={(event) => setText(event.target.value)} placeholder="org.opencontainers.image.vendor=Acme" /></label>
        <button type="submit" className="primary">Find artifacts</button>
      </form>
      <ErrorNote error={list.error} what="The query failed" />
      {label !== '' && (
        <div className="table-scroll">
          <table aria-label="Artifacts with the label">
            <thead><tr><th scope="col">Artifact</th><th scope="col">Platforms</th><th scope="col" className="num">Size</th><th scope="col">Pushed</th><th scope="col">Label value</th></tr></thead>
            <tbody>
              {list.items.map((row) => {
                const key = label.split('=')[0] ?? label;
                return (
                  <tr key={`${row.repository}:${row.tag ?? ''}@${row.digest}`}>
                    <td><Link href={paths.artifact(row.repository, row.tag ?? row.digest)}>{row.repository}{row.tag ? `:${row.tag}` : `@${shortDigest(row.digest)}`}</Link></td>
                    <td>{row.platforms.map(platformName).join(', ')}</td>
                    <td className="num">{formatBytes(row.size)}</td>
                    <td><Time iso={row.pushedAt} /></td>
                    <td className="label-value">{row.labels?.[key] ?? ''}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {list.loading && <Loading what="Querying" />}
      {label !== '' && !list.loading && !list.error && list.items.length === 0 && <Empty>No artifact carries {label}.</Empty>}
      <LoadMore list={list} />
    </section>
  );
}
