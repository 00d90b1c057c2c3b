import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { change, withQuery } from '../api/client.js';
import type { Artifact, ArtifactPlatform, Puller, Referrer } from '../api/types.js';
import { useResource } from '../api/use-api.js';
import { DeleteDialog, QuarantineDialog } from '../components/artifact-actions.js';
import { Badge, Empty, ErrorNote, KeyValues, Loading, Time, useAction } from '../components/common.js';
import { PageTitle } from '../components/layout.js';
import { PullCommands } from '../components/pull-commands.js';
import { formatBytes, formatCount, platformName, shortDigest } from '../format.js';
import { parseReference, paths } from '../paths.js';
import { useSession } from '../session.js';
import { attachedByBerth, sbomLabel } from './artifact/sbom-label.js';
import { Vulnerabilities } from './artifact/vulnerabilities.js';
import { useProjectCapabilities } from './project/capabilities.js';

/**
 * One manifest or index: its vulnerabilities, its platforms (each with config, layers and history), annotations,
 * referrers, quarantine state and pullers, the pull commands and the raw manifest. Everything a pusher wrote is
 * shown as text.
 */
export function ArtifactPage({ reference: text }: { readonly reference: string }) {
  const parsed = parseReference(text);
  if (parsed === undefined) return <ErrorNote error={new Error(`"${text}" is not a reference: use repository:tag or repository@digest`)} />;
  return <ArtifactView repository={parsed.repository} reference={parsed.reference} />;
}

function ArtifactView({ repository, reference }: { readonly repository: string; readonly reference: string }) {
  const [, navigate] = useLocation();
  const artifact = useResource<Artifact>(withQuery('/api/v1/artifact', { repository, reference }));
  const project = repository.split('/')[0] ?? repository;
  const can = useProjectCapabilities(project);
  // Asking for a scan needs the right to push; without access control anyone may push, so anyone may ask.
  const { session } = useSession();
  const canScan = can.has('push') || session.status === 'open';
  const [acting, setActing] = useState<'quarantine' | 'delete' | undefined>(undefined);
  const release = useAction();
  const byTag = !reference.includes(':');
  const data = artifact.data;
  const label = `${repository}${byTag ? `:${reference}` : `@${shortDigest(reference)}`}`;

  return (
    <>
      <PageTitle trail={[['Projects', paths.projects()], [project, paths.project(project)], [repository, paths.repository(repository)]]}
        actions={data && (
          <>
            {can.has('manage-policies') && !data.quarantine && <button type="button" onClick={() => setActing('quarantine')}>Quarantine</button>}
            {can.has('delete') && <button type="button" className="danger" onClick={() => setActing('delete')}>Delete</button>}
          </>
        )}>
        {label}
      </PageTitle>
      <ErrorNote error={artifact.error} what="The artifact could not be read" />
      {artifact.loading && !data && <Loading />}
      {data && (
        <>
          {data.quarantine && (
            <section className="note bad" aria-labelledby="quarantine-heading">
              <h2 id="quarantine-heading">Quarantined</h2>
              <p>Pulls are refused: <span className="reason">{data.quarantine.reason}</span></p>
              <p className="muted">By {data.quarantine.by}, <Time iso={data.quarantine.at} />.</p>
              <ErrorNote error={release.error} what="Release refused" />
              {can.has('manage-policies') && (
                <button type="button" disabled={release.busy} onClick={() => void release.run(() =>
                  change('DELETE', withQuery('/api/v1/quarantines', { repository, digest: data.digest }))).then((done) => done && artifact.reload())}>
                  Release from quarantine
                </button>
              )}
            </section>
          )}
          <Summary artifact={data} />
          <PullCommands repository={repository} tag={byTag ? reference : data.tags[0]} digest={data.digest} />
          <Vulnerabilities key={data.digest} repository={repository} digest={data.digest} pushedAt={data.pushedAt} canScan={canScan} />
          <Platforms artifact={data} />
          <section aria-labelledby="annotations-heading" className="card">
            <h2 id="annotations-heading">Annotations</h2>
            <KeyValues label="Annotations" entries={Object.entries(data.annotations ?? {})} empty="No annotations." />
          </section>
          <Referrers repository={repository} referrers={data.referrers} />
          <Pullers repository={repository} digest={data.digest} />
          <details className="card">
            <summary>Raw manifest</summary>
            <pre className="raw">{JSON.stringify(data.manifest, null, 2)}</pre>
          </details>
          {acting === 'quarantine' && (
            <QuarantineDialog repository={repository} digest={data.digest} label={label} onClose={() => setActing(undefined)}
              onDone={() => { setActing(undefined); artifact.reload(); }} />
          )}
          {acting === 'delete' && (
            <DeleteDialog repository={repository} tag={byTag ? reference : undefined} digest={data.digest} onClose={() => setActing(undefined)}
              onDone={() => navigate(paths.repository(repository))} />
          )}
        </>
      )}
    </>
  );
}

function Summary({ artifact }: { readonly artifact: Artifact }) {
  return (
    <section aria-label="Summary" className="card">
      <dl className="facts">
        <div><dt>Digest</dt><dd><code className="digest">{artifact.digest}</code></dd></div>
        <div><dt>Media type</dt><dd><code>{artifact.mediaType}</code></dd></div>
        {artifact.artifactType && <div><dt>Artifact type</dt><dd><code>{artifact.artifactType}</code></dd></div>}
        <div><dt>Size</dt><dd>{formatBytes(artifact.size)}</dd></div>
        <div><dt>Tags</dt><dd>{artifact.tags.length === 0 ? <span className="muted">none</span> : artifact.tags.map((tag) => (
          <Link key={tag} className="tag-chip" href={paths.artifact(artifact.repository, tag)}>{tag}</Link>
        ))}</dd></div>
        <div><dt>Pushed</dt><dd><Time iso={artifact.pushedAt} /></dd></div>
        <div><dt>Last pulled</dt><dd><Time iso={artifact.lastPulledAt} /></dd></div>
        <div><dt>Pulls</dt><dd>{formatCount(artifact.pulls)}</dd></div>
      </dl>
    </section>
  );
}

function Platforms({ artifact }: { readonly artifact: Artifact }) {
  const [selected, setSelected] = useState(0);
  const platforms = artifact.platforms;
  if (platforms.length === 0) return null;
  const platform = platforms[Math.min(selected, platforms.length - 1)]!;
  return (
    <section aria-labelledby="platform-heading" className="card">
      <div className="title-row">
        <h2 id="platform-heading">{platforms.length > 1 ? `Platforms (${platforms.length})` : 'Image'}</h2>
        {platforms.length > 1 && (
          <label>Platform
            <select aria-label="Platform" value={selected} onChange={(event) => setSelected(Number(event.target.value))}>
              {platforms.map((entry, index) => <option key={entry.digest} value={index}>{platformName(entry)}</option>)}
            </select>
          </label>
        )}
      </div>
      {platforms.length > 1 && (
        <ul className="chips" aria-label="Platforms of this index">
          {platforms.map((entry, index) => (
            <li key={entry.digest}>
              <button type="button" className={index === selected ? 'chip selected' : 'chip'} aria-pressed={index === selected}
                onClick={() => setSelected(index)}>{platformName(entry)}</button>
            </li>
          ))}
        </ul>
      )}
      <PlatformDetail platform={platform} />
    </section>
  );
}

function PlatformDetail({ platform }: { readonly platform: ArtifactPlatform }) {
  const config = platform.config;
  const list = (values: string[] | null | undefined) => (values && values.length > 0 ? <code>{JSON.stringify(values)}</code> : <span className="muted">—</span>);
  return (
    <section className="platform" aria-label={`Platform ${platformName(platform)}`}>
      <p className="muted">{platformName(platform)} · <code title={platform.digest}>{shortDigest(platform.digest)}</code> · {formatBytes(platform.size)}</p>
      {config ? (
        <>
          <h3>Configuration</h3>
          <KeyValues label="Configuration" entries={[
            ['Created', <Time key="c" iso={config.created} />],
            ['Author', config.author ?? '—'],
            ['Entrypoint', list(config.entrypoint)],
            ['Command', list(config.cmd)],
            ['Working directory', config.workingDir || '—'],
            ['User', config.user || '—'],
          ]} />
          <h3>Labels</h3>
          <KeyValues label="Labels" entries={Object.entries(config.labels ?? {})} empty="No labels." />
          <h3>Environment</h3>
          {config.env && config.env.length > 0
            ? <ul className="env" aria-label="Environment">{config.env.map((line) => <li key={line}><code>{line}</code></li>)}</ul>
            : <p className="muted">No environment variables.</p>}
        </>
      ) : <p className="muted">No image configuration (an artifact, or a config Berth does not read).</p>}
      <h3>Layers ({platform.layers.length})</h3>
      <div className="table-scroll">
        <table aria-label="Layers">
          <thead><tr><th scope="col">#</th><th scope="col">Digest</th><th scope="col">Media type</th><th scope="col" className="num">Size</th></tr></thead>
          <tbody>
            {platform.layers.map((layer, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a manifest may list one layer twice; its position is what tells them apart
              <tr key={`${layer.digest}-${index}`}>
                <td className="num">{index + 1}</td>
                <td><code title={layer.digest}>{shortDigest(layer.digest)}</code></td>
                <td><code>{layer.mediaType}</code></td>
                <td className="num">{formatBytes(layer.size)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {platform.history.length > 0 && (
        <>
          <h3>History</h3>
          <div className="table-scroll">
            <table aria-label="History">
              <thead><tr><th scope="col">Created</th><th scope="col">Step</th><th scope="col">Layer</th></tr></thead>
              <tbody>
                {platform.history.map((step, index) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: history steps have no identity but their order
                  <tr key={index}>
                    <td><Time iso={step.created} /></td>
                    <td><code className="wrap">{step.createdBy ?? step.comment ?? ''}</code></td>
                    <td>{step.emptyLayer ? <span className="muted">empty</span> : 'layer'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

const groupNames: Record<Referrer['group'], string> = { signature: 'Signatures', sbom: 'SBOMs', attestation: 'Attestations', other: 'Other' };

function Referrers({ repository, referrers }: { readonly repository: string; readonly referrers: Referrer[] }) {
  const groups = (['signature', 'sbom', 'attestation', 'other'] as const).map((group) => [group, referrers.filter((item) => item.group === group)] as const)
    .filter(([, items]) => items.length > 0);
  return (
    <section aria-labelledby="referrers-heading" className="card">
      <h2 id="referrers-heading">Referrers</h2>
      {groups.length === 0 && <Empty>Nothing refers to this artifact: no signatures, SBOMs or attestations.</Empty>}
      {groups.map(([group, items]) => (
        <section key={group} aria-label={groupNames[group]}>
          <h3>{groupNames[group]} ({items.length})</h3>
          <ul className="referrers">
            {items.map((item) => (
              <li key={item.digest}>
                {group === 'sbom' && <><strong>{sbomLabel(item.artifactType)}</strong>{attachedByBerth(item.annotations) && <> <Badge>from Berth's scan</Badge></>}{' '}</>}
                <Link href={paths.artifact(repository, item.digest)}><code>{shortDigest(item.digest)}</code></Link>
                {' '}<code>{item.artifactType ?? item.mediaType}</code> <span className="muted">{formatBytes(item.size)}</span>
                {item.annotations && Object.keys(item.annotations).length > 0 && (
                  <div className="muted small-text wrap-anywhere">{Object.entries(item.annotations).map(([key, value]) => `${key}=${value}`).join(' · ')}</div>
                )}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}

function Pullers({ repository, digest }: { readonly repository: string; readonly digest: string }) {
  const pullers = useResource<{ items: Puller[] }>(withQuery('/api/v1/pullers', { repository, digest }));
  const items = pullers.data?.items ?? [];
  return (
    <section aria-labelledby="pullers-heading" className="card">
      <h2 id="pullers-heading">Who pulled it</h2>
      {pullers.error ? <p className="muted">{pullers.error.message}</p> : pullers.loading ? <Loading what="Loading pullers" /> : items.length === 0 ? (
        <Empty>Nobody has pulled this digest yet.</Empty>
      ) : (
        <div className="table-scroll">
          <table aria-label="Pullers">
            <thead><tr><th scope="col">Who</th><th scope="col" className="num">Pulls</th><th scope="col">First</th><th scope="col">Last</th><th scope="col">From</th></tr></thead>
            <tbody>
              {items.map((puller) => (
                <tr key={`${puller.actorKind}:${puller.actor}`}>
                  <th scope="row">{puller.actor} {puller.actorKind !== 'user' && <Badge>{puller.actorKind}</Badge>}</th>
                  <td className="num">{formatCount(puller.count)}</td>
                  <td><Time iso={puller.firstPull} /></td>
                  <td><Time iso={puller.lastPull} /></td>
                  <td>{puller.addresses.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
