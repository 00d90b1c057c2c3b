import { useState, type FormEvent } from 'react';
import { change, enc } from '../../api/client.js';
import type { ImmutableRule } from '../../api/types.js';
import { useResource } from '../../api/use-api.js';
import { Empty, ErrorNote, Loading, Time, useAction } from '../../components/common.js';

/** Tags that, once pushed, may never move: rules of tag and repository globs. */
export function ImmutableTagsTab({ project, canManage }: { readonly project: string; readonly canManage: boolean }) {
  const base = `/api/v1/projects/${enc(project)}/immutable-tags`;
  const rules = useResource<{ items: ImmutableRule[] }>(base);
  const action = useAction();
  const [tags, setTags] = useState('');
  const [repositories, setRepositories] = useState('**');
  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run(() => change('POST', base, { tags, repositories }))) {
      setTags('');
      rules.reload();
    }
  };
  const remove = (rule: ImmutableRule) => action.run(() => change('DELETE', `${base}/${rule.id}`)).then(() => rules.reload());
  const items = rules.data?.items ?? [];
  return (
    <>
      {canManage && (
        <form className="inline-form" aria-label="Add an immutable-tag rule" onSubmit={(event) => void add(event)}>
          <label>Tag pattern<input required value={tags} onChange={(event) => setTags(event.target.value)} placeholder="v*" /></label>
          <label>Repository pattern<input required value={repositories} onChange={(event) => setRepositories(event.target.value)} /></label>
          <button type="submit" className="primary" disabled={action.busy}>Add rule</button>
        </form>
      )}
      <ErrorNote error={action.error} what="The change was refused" />
      <ErrorNote error={rules.error} what="The rules could not be read" />
      <div className="table-scroll">
        <table aria-label="Immutable-tag rules">
          <thead>
            <tr><th scope="col">Tags</th><th scope="col">Repositories</th><th scope="col">Added by</th><th scope="col">Added</th>{canManage && <th scope="col"><span className="visually-hidden">Actions</span></th>}</tr>
          </thead>
          <tbody>
            {items.map((rule) => (
              <tr key={rule.id}>
                <td><code>{rule.tags}</code></td>
                <td><code>{rule.repositories}</code></td>
                <td>{rule.createdBy}</td>
                <td><Time iso={rule.createdAt} /></td>
                {canManage && (
                  <td><button type="button" className="small danger" aria-label={`Remove the rule for tags ${rule.tags}`} disabled={action.busy}
                    onClick={() => void remove(rule)}>Remove</button></td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rules.loading && <Loading what="Loading rules" />}
      {!rules.loading && !rules.error && items.length === 0 && <Empty>No immutable-tag rules: every tag may be pushed again.</Empty>}
    </>
  );
}
