import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { change } from '../api/client.js';
import { ErrorNote, useAction } from '../components/common.js';
import { paths, safeReturnTo } from '../paths.js';
import { useSession } from '../session.js';

/** Sign-in with a password (local and LDAP users) and, when configured, through the OpenID Connect provider. */
export function SignInPage() {
  const { session, refresh } = useSession();
  const [, navigate] = useLocation();
  const returnTo = safeReturnTo(new URLSearchParams(useSearch()).get('return_to'));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();

  useEffect(() => {
    if (session.status === 'signed-in' || session.status === 'open') navigate(returnTo, { replace: true });
  }, [session.status, navigate, returnTo]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await action.run(() => change('POST', '/auth/login', { username, password }));
    if (done) {
      setPassword('');
      await refresh();
    }
  };

  const methods = session.status === 'anonymous' ? session.methods : undefined;
  return (
    <main id="main" className="sign-in">
      <div className="card narrow">
        <h1><span aria-hidden="true">⚓</span> Sign in to Berth</h1>
        {methods?.password !== false && (
          <form onSubmit={(event) => void submit(event)} aria-label="Sign in with a password">
            <label>
              Username
              <input name="username" autoComplete="username" required value={username} onChange={(event) => setUsername(event.target.value)} />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" required value={password}
                onChange={(event) => setPassword(event.target.value)} />
            </label>
            <ErrorNote error={action.error} what="Sign-in failed" />
            <button type="submit" className="primary" disabled={action.busy}>{action.busy ? 'Signing in…' : 'Sign in'}</button>
          </form>
        )}
        {methods?.oidc && (
          <>
            {methods.password && <p className="or"><span>or</span></p>}
            <a className="button wide" href={`/auth/oidc/login?return_to=${encodeURIComponent(returnTo)}`}>
              Sign in with {methods.oidc.name || 'OpenID Connect'}
            </a>
          </>
        )}
        <p className="muted">
          <Link href={paths.projects()}>Browse public projects without signing in</Link>
        </p>
      </div>
    </main>
  );
}
