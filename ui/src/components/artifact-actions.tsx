import { useState, type FormEvent } from 'react';
import { change, withQuery } from '../api/client.js';
import { Dialog, ErrorNote, useAction } from './common.js';

/** Quarantine: pulls of the digest are refused, with the reason, until it is released. */
export function QuarantineDialog({ repository, digest, label, onClose, onDone }: {
  readonly repository: string;
  readonly digest: string;
  readonly label: string;
  readonly onClose: () => void;
  readonly onDone: () => void;
}) {
  const [reason, setReason] = useState('');
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run(() => change('POST', '/api/v1/quarantines', { repository, digest, reason }))) onDone();
  };
  return (
    <Dialog title={`Quarantine ${label}`} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <p>Pulls of <code>{digest}</code> will be refused with this reason until it is released.</p>
        <label>Reason<input required maxLength={1024} value={reason} onChange={(event) => setReason(event.target.value)} placeholder="CVE-2025-1234 in openssl" /></label>
        <ErrorNote error={action.error} />
        <div className="buttons">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="danger primary" disabled={action.busy}>Quarantine</button>
        </div>
      </form>
    </Dialog>
  );
}

/** Deleting a tag removes the name only; deleting by digest removes the manifest and every tag naming it. */
export function DeleteDialog({ repository, tag, digest, onClose, onDone }: {
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string;
  readonly onClose: () => void;
  readonly onDone: (what: 'tag' | 'manifest') => void;
}) {
  const [what, setWhat] = useState<'tag' | 'manifest'>(tag === undefined ? 'manifest' : 'tag');
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const reference = what === 'tag' && tag !== undefined ? tag : digest;
    if (await action.run(() => change('DELETE', withQuery('/api/v1/artifact', { repository, reference })))) onDone(what);
  };
  return (
    <Dialog title={`Delete ${tag ?? digest}`} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <fieldset>
          <legend>What to delete</legend>
          {tag !== undefined && (
            <label className="check">
              <input type="radio" name="what" checked={what === 'tag'} onChange={() => setWhat('tag')} /> The tag <code>{tag}</code> only
            </label>
          )}
          <label className="check">
            <input type="radio" name="what" checked={what === 'manifest'} onChange={() => setWhat('manifest')} /> The manifest <code>{digest}</code> and every tag naming it
          </label>
        </fieldset>
        <ErrorNote error={action.error} />
        <div className="buttons">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="danger primary" disabled={action.busy}>Delete</button>
        </div>
      </form>
    </Dialog>
  );
}
