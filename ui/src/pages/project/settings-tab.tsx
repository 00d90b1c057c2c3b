import { useState } from 'react';
import { change, enc } from '../../api/client.js';
import type { Project } from '../../api/types.js';
import { ErrorNote, useAction } from '../../components/common.js';

/** Whether anyone may pull from the project (public) or only its members (private). */
export function SettingsTab({ project, onChanged }: { readonly project: Project; readonly onChanged: () => void }) {
  const [isPublic, setPublic] = useState(project.public);
  const action = useAction();
  const save = () => action.run(() => change('PATCH', `/api/v1/projects/${enc(project.name)}`, { public: isPublic })).then((done) => done && onChanged());
  return (
    <form className="card narrow" aria-label="Project settings" onSubmit={(event) => {
      event.preventDefault();
      void save();
    }}>
      <fieldset>
        <legend>Visibility</legend>
        <label className="check">
          <input type="radio" name="visibility" checked={!isPublic} onChange={() => setPublic(false)} /> Private: only members and robots may pull
        </label>
        <label className="check">
          <input type="radio" name="visibility" checked={isPublic} onChange={() => setPublic(true)} /> Public: anyone may pull, signed in or not
        </label>
      </fieldset>
      <ErrorNote error={action.error} what="The change was refused" />
      <button type="submit" className="primary" disabled={action.busy || isPublic === project.public}>Save settings</button>
    </form>
  );
}
