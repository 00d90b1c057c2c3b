import { Redirect, Route, Switch } from 'wouter';
import { Layout } from './components/layout.js';
import { ArtifactPage } from './pages/artifact-page.js';
import { AuditPage } from './pages/audit-page.js';
import { GroupsPage } from './pages/groups-page.js';
import { JobsPage } from './pages/jobs-page.js';
import { NotFoundPage } from './pages/not-found-page.js';
import { ProjectPage } from './pages/project/project-page.js';
import { ProjectsPage } from './pages/projects-page.js';
import { RepositoryPage } from './pages/repository-page.js';
import { SearchPage } from './pages/search-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { UsersPage } from './pages/users-page.js';
import { paths } from './paths.js';
import { SessionProvider, useSession } from './session.js';

export function App() {
  return (
    <SessionProvider>
      <Pages />
    </SessionProvider>
  );
}

function Pages() {
  const { session } = useSession();
  if (session.status === 'loading') return <p className="muted boot" role="status">Loading Berth…</p>;
  return (
    <Switch>
      <Route path="/ui/sign-in" component={SignInPage} />
      <Route>
        <Layout>
          <Switch>
            <Route path="/"><Redirect to={paths.projects()} replace /></Route>
            <Route path="/ui"><Redirect to={paths.projects()} replace /></Route>
            <Route path="/ui/projects" component={ProjectsPage} />
            <Route path="/ui/projects/:name/:tab?">{(params) => <ProjectPage name={params.name} tab={params.tab ?? 'repositories'} />}</Route>
            <Route path="/ui/repo/*">{(params) => <RepositoryPage name={params['*'] ?? ''} />}</Route>
            <Route path="/ui/artifact/*">{(params) => <ArtifactPage reference={params['*'] ?? ''} />}</Route>
            <Route path="/ui/search" component={SearchPage} />
            <Route path="/ui/audit" component={AuditPage} />
            <Route path="/ui/admin/users" component={UsersPage} />
            <Route path="/ui/admin/groups" component={GroupsPage} />
            <Route path="/ui/jobs" component={JobsPage} />
            <Route component={NotFoundPage} />
          </Switch>
        </Layout>
      </Route>
    </Switch>
  );
}
