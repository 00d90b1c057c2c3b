import { useState } from 'react';
import { CopyButton } from './common.js';

/**
 * How to pull this artifact with docker, podman and containerd, by tag (what people usually want) or by digest (what
 * never changes). Over plain HTTP, podman and ctr need to be told; docker needs the registry in its insecure list.
 */
export function PullCommands({ repository, tag, digest }: { readonly repository: string; readonly tag: string | undefined; readonly digest: string }) {
  const [by, setBy] = useState<'tag' | 'digest'>(tag === undefined ? 'digest' : 'tag');
  const host = location.host;
  const plain = location.protocol === 'http:';
  const reference = by === 'tag' && tag !== undefined ? `${host}/${repository}:${tag}` : `${host}/${repository}@${digest}`;
  const commands: [string, string][] = [
    ['docker', `docker pull ${reference}`],
    ['podman', `podman pull ${plain ? '--tls-verify=false ' : ''}${reference}`],
    ['containerd', `ctr images pull ${plain ? '--plain-http ' : ''}${reference}`],
  ];
  return (
    <section aria-labelledby="pull-heading" className="card">
      <div className="title-row">
        <h2 id="pull-heading">Pull</h2>
        <fieldset className="segmented">
          <legend className="visually-hidden">Pull by</legend>
          <label><input type="radio" name="pull-by" checked={by === 'tag'} disabled={tag === undefined} onChange={() => setBy('tag')} /> By tag</label>
          <label><input type="radio" name="pull-by" checked={by === 'digest'} onChange={() => setBy('digest')} /> By digest</label>
        </fieldset>
      </div>
      <ul className="commands">
        {commands.map(([client, command]) => (
          <li key={client} className="command">
            <span className="client">{client}</span>
            <code>{command}</code>
            <CopyButton text={command} label={`Copy ${client} pull command`} />
          </li>
        ))}
      </ul>
      {plain && <p className="muted small-text">This registry is served over plain HTTP: docker must list {host} under “insecure-registries”.</p>}
    </section>
  );
}
