import { useCallback, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { change, enc, withQuery } from '../api/client.js';
import type { Project, ProjectUsage } from '../api/types.js';
import { useResource, usePagedList } from '../api/use-api.js';
import { Badge, Dialog, Empty, ErrorNote, Loading, LoadMore, Time, useAction } from '../components/common.js';
import { PageTitle } from '../components/layout.js';
import { SearchBox } from '../components/search-box.js';
import { formatBytes, formatCount } from '../format.js';
import { paths } from '../paths.js';
import { isSystemAdmin, useSession } from '../session.js';

/** Every project the user may see, with its repositories, storage and pulls. */
export function ProjectsPage() {
  const { session } = useSession();
  const [, navigate] = useLocation();
  const q = new URLSearchParams(useSearch()).get('q') ?? '';
  const list = usePagedList<Project>(withQuery('/api/v1/projects', { q, n: 50 }));
  const [creating, setCreating] = useState(false);
  const search = useCallback((value: string) => navigate(withQuery(paths.projects(), { q: value }), { replace: true }), [navigate]);

  return (
    <>
      <PageTitle actions={isSystemAdmin(session) && <button type="button" className="primary" onClick={() => setCreating(true)}>New project</button>}>
        Projects
      </PageTitle>
      {session.status === 'anonymous' && (
        <p className="note">You are not signed in: only public projects are listed. <Link href={paths.signIn(paths.projects())}>Sign in</Link> to see yours.</p>
      )}
      <div className="toolbar">
        <SearchBox label="Search projects" placeholder="Search projects" value={q} onChange={search} />
      </div>
      <ErrorNote error={list.error} what="The projects could not be listed" />
      <div className="table-scroll">
        <table aria-label="Projects">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Access</th>
              <th scope="col" className="num">Repositories</th>
              <th scope="col" className="num">Storage</th>
              <th scope="col" className="num">Pulls</th>
              <th scope="col" className="wide-only">Last pulled</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((project) => <ProjectRow key={project.name} project={project} />)}
          </tbody>
        </table>
      </div>
      {list.loading && <Loading what="Loading projects" />}
      {!list.loading && !list.error && list.items.length === 0 && <Empty>{q ? `No project matches “${q}”.` : 'No projects yet.'}</Empty>}
      <LoadMore list={list} />
      {creating && <CreateProjectDialog onClose={() => setCreating(false)} onCreated={(name) => navigate(paths.project(name))} />}
    </>
  );
}

function ProjectRow({ project }: { readonly project: Project }) {
  const usage = useResource<ProjectUsage>(`/api/v1/projects/${enc(project.name)}/usage`);
  const figure = (value: string) => (usage.error ? <span className="muted" title={usage.error.message}>—</span> : usage.data ? value : '…');
  return (
    <tr>
      <th scope="row"><Link href={paths.project(project.name)}>{project.name}</Link></th>
      <td>{project.public ? <Badge tone="good">public</Badge> : <Badge>private</Badge>}</td>
      <td className="num">{figure(formatCount(usage.data?.repositories))}</td>
      <td className="num">{figure(formatBytes(usage.data?.storedBytes))}</td>
      <td className="num">{figure(formatCount(usage.data?.pulls))}</td>
      <td className="wide-only">{usage.data ? <Time iso={usage.data.lastPulledAt} /> : figure('')}</td>
    </tr>
  );
}

function CreateProjectDialog({ onClose, onCreated }: { readonly onClose: () => void; readonly onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [isPublic, setPublic] = useState(false);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run(() => change('POST', '/api/v1/projects', { name, public: isPublic }))) onCreated(name);
  };
  return (
    <Dialog title="New project" onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <label>Project name<input required value={name} onChange={(event) => setName(event.target.value)} placeholder="team" /></label>
        <label className="check"><input type="checkbox" checked={isPublic} onChange={(event) => setPublic(event.target.checked)} /> Public (anyone may pull)</label>
        <ErrorNote error={action.error} />
        <div className="buttons">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={action.busy}>Create project</button>
        </div>
      </form>
    </Dialog>
  );
}
