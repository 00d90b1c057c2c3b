import { useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client.js';
import { formatAgo, formatTime } from '../format.js';

/** A time as "3 hours ago", the exact time on hover and for assistive technology. */
export function Time({ iso }: { readonly iso: string | null | undefined }) {
  if (!iso) return <span className="muted">never</span>;
  return <time dateTime={iso} title={formatTime(iso)}>{formatAgo(iso)}</time>;
}

export function ErrorNote({ error, what }: { readonly error: Error | undefined; readonly what?: string }) {
  if (error === undefined) return null;
  const signIn = error instanceof ApiError && error.status === 401;
  return (
    <p className="note error" role="alert">
      {what ? `${what}: ` : ''}{error.message}
      {signIn ? ' Sign in to see more.' : ''}
    </p>
  );
}

export function Loading({ what = 'Loading' }: { readonly what?: string }) {
  return <p className="muted" role="status">{what}…</p>;
}

export function Empty({ children }: { readonly children: ReactNode }) {
  return <p className="muted empty">{children}</p>;
}

/**
 * Copies text to the clipboard. The Clipboard API needs a secure context (HTTPS, or localhost); elsewhere the text
 * is selected in a hidden field and copied the old way.
 */
export function CopyButton({ text, label }: { readonly text: string; readonly label: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | undefined>(undefined);
  useEffect(() => {
    if (copied === undefined) return;
    const timer = setTimeout(() => setCopied(undefined), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = async () => {
    try {
      if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
      else copyByCommand(text);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <span className="copy">
      <button type="button" className="small" aria-label={label} onClick={() => void copy()}>
        {copied === 'yes' ? 'Copied' : 'Copy'}
      </button>
      <span className="visually-hidden" aria-live="polite">{copied === 'yes' ? 'Copied to the clipboard' : copied === 'failed' ? 'Copying failed' : ''}</span>
    </span>
  );
}

function copyByCommand(text: string): void {
  const field = document.createElement('textarea');
  field.value = text;
  field.setAttribute('readonly', '');
  field.className = 'offscreen';
  document.body.append(field);
  field.select();
  const done = document.execCommand('copy');
  field.remove();
  if (!done) throw new Error('copy refused');
}

/** A modal dialog (the native <dialog>): focus stays inside, Escape closes it. */
export function Dialog({ title, onClose, children }: { readonly title: string; readonly onClose: () => void; readonly children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useRef(`dialog-${Math.random().toString(36).slice(2)}`).current;
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

/** Keys and values as a two-column table; values are text, never markup. */
export function KeyValues({ entries, label, empty = 'None' }: {
  readonly entries: readonly (readonly [string, ReactNode])[];
  readonly label: string;
  readonly empty?: string;
}) {
  if (entries.length === 0) return <Empty>{empty}</Empty>;
  return (
    <div className="table-scroll">
      <table className="kv" aria-label={label}>
        <tbody>
          {entries.map(([key, value]) => (
            <tr key={key}>
              <th scope="row">{key}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function LoadMore({ list }: { readonly list: { hasMore: boolean; loading: boolean; loadMore(): void } }) {
  if (!list.hasMore) return null;
  return (
    <p>
      <button type="button" onClick={list.loadMore} disabled={list.loading}>{list.loading ? 'Loading…' : 'Load more'}</button>
    </p>
  );
}

export function Badge({ tone = 'neutral', children }: { readonly tone?: 'neutral' | 'good' | 'warn' | 'bad'; readonly children: ReactNode }) {
  return <span className={`badge ${tone}`}>{children}</span>;
}

/** Runs a change, with its error kept for display and a busy flag for the button that started it. */
export function useAction(): {
  busy: boolean;
  error: Error | undefined;
  run(action: () => Promise<unknown>): Promise<boolean>;
  clear(): void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  return {
    busy,
    error,
    async run(action) {
      setBusy(true);
      setError(undefined);
      try {
        await action();
        return true;
      } catch (failure) {
        setError(failure as Error);
        return false;
      } finally {
        setBusy(false);
      }
    },
    clear: () => setError(undefined),
  };
}
