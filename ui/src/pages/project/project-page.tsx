import { useEffect, useState } from 'react';
import { enc } from '../../api/client.js';
import type { Project } from '../../api/types.js';
import { useResource } from '../../api/use-api.js';
import { Badge, ErrorNote, Loading } from '../../components/common.js';
import { PageTitle, Tabs } from '../../components/layout.js';
import { paths } from '../../paths.js';
import { useSession } from '../../session.js';
import { capabilitiesIn, type Capability } from './capabilities.js';
import { ImmutableTagsTab } from './immutable-tags-tab.js';
import { MembersTab } from './members-tab.js';
import { RepositoriesTab } from './repositories-tab.js';
import { RobotsTab } from './robots-tab.js';
import { SettingsTab } from './settings-tab.js';
import { VulnerabilitiesTab } from './vulnerabilities-tab.js';
import { WebhooksTab } from './webhooks-tab.js';

/** One project: its repositories, its images' vulnerabilities and, for those allowed, its members, robots, webhooks, rules and settings. */
export function ProjectPage({ name, tab }: { readonly name: string; readonly tab: string }) {
  const { session } = useSession();
  const project = useResource<Project>(`/api/v1/projects/${enc(name)}`);
  const [can, setCan] = useState<Set<Capability>>(new Set());
  useEffect(() => {
    if (project.data) void capabilitiesIn(project.data, session).then(setCan);
  }, [project.data, session]);

  const tabs: [string, string, string][] = [['repositories', 'Repositories', paths.project(name)]];
  if (can.has('pull')) tabs.push(['vulnerabilities', 'Vulnerabilities', paths.project(name, 'vulnerabilities')]);
  if (can.has('view-members')) tabs.push(['members', 'Members', paths.project(name, 'members')]);
  if (can.has('manage-robots')) tabs.push(['robots', 'Robots', paths.project(name, 'robots')]);
  if (can.has('update-project')) tabs.push(['webhooks', 'Webhooks', paths.project(name, 'webhooks')]);
  if (can.has('pull') && session.status !== 'anonymous') tabs.push(['immutable-tags', 'Immutable tags', paths.project(name, 'immutable-tags')]);
  if (can.has('update-project')) tabs.push(['settings', 'Settings', paths.project(name, 'settings')]);

  return (
    <>
      <PageTitle trail={[['Projects', paths.projects()]]}>
        {name} {project.data && (project.data.public ? <Badge tone="good">public</Badge> : <Badge>private</Badge>)}
      </PageTitle>
      <ErrorNote error={project.error} what="The project could not be opened" />
      {project.loading && !project.data && <Loading />}
      {project.data && (
        <>
          <Tabs label="Project sections" tabs={tabs} current={tab} />
          <section aria-label={tabs.find(([id]) => id === tab)?.[1] ?? 'Repositories'}>
            {tab === 'repositories' && <RepositoriesTab project={name} />}
            {tab === 'vulnerabilities' && (
              <VulnerabilitiesTab project={name} canManage={can.has('manage-policies')} signedIn={session.status === 'signed-in'} />
            )}
            {tab === 'members' && <MembersTab project={name} canManage={can.has('manage-members')} />}
            {tab === 'robots' && <RobotsTab project={name} />}
            {tab === 'webhooks' && <WebhooksTab project={name} />}
            {tab === 'immutable-tags' && <ImmutableTagsTab project={name} canManage={can.has('manage-policies')} />}
            {tab === 'settings' && <SettingsTab project={project.data} onChanged={project.reload} />}
          </section>
        </>
      )}
    </>
  );
}
