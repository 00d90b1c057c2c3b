import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { paths } from '../paths.js';
import { isSystemAdmin, useSession, userName } from '../session.js';
import { useTheme } from '../theme.js';

/** The frame of every page: the registry's name, the sections the user may open, the scheme toggle, who is signed in. */
export function Layout({ children }: { readonly children: ReactNode }) {
  const { session, signOut } = useSession();
  const { theme, toggle } = useTheme();
  const [location, navigate] = useLocation();
  const admin = isSystemAdmin(session);
  const signedIn = session.status === 'signed-in';
  const sections: [string, string][] = [
    ['Projects', paths.projects()],
    ['Search', paths.search()],
    ...(signedIn ? [['Audit log', paths.audit()] as [string, string]] : []),
    ...(admin ? [['Jobs', paths.jobs()], ['Users', paths.users()], ['Groups', paths.groups()]] as [string, string][] : []),
  ];
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <Link href={paths.projects()} className="brand" aria-label="Berth home">
          <span aria-hidden="true" className="logo">⚓</span> Berth
        </Link>
        <nav aria-label="Sections">
          <ul>
            {sections.map(([name, href]) => (
              <li key={href}>
                <Link href={href} aria-current={location.startsWith(href) ? 'page' : undefined}>{name}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="session">
          <button type="button" className="ghost" aria-pressed={theme === 'dark'} onClick={toggle} aria-label="Dark theme"
            title={theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme'}>
            <span aria-hidden="true">{theme === 'dark' ? '☾' : '☀'}</span>
          </button>
          {signedIn && (
            <>
              <span className="who" title={admin ? 'system administrator' : undefined}>{userName(session)}{admin ? ' (admin)' : ''}</span>
              <button type="button" className="ghost" onClick={() => void signOut().then(() => navigate(paths.projects()))}>Sign out</button>
            </>
          )}
          {session.status === 'anonymous' && <Link href={paths.signIn(location)} className="button">Sign in</Link>}
        </div>
      </header>
      <main id="main">{children}</main>
    </>
  );
}

/** A page's heading with its trail of parents. */
export function PageTitle({ trail = [], children, actions }: {
  readonly trail?: readonly (readonly [string, string])[];
  readonly children: ReactNode;
  readonly actions?: ReactNode;
}) {
  return (
    <div className="page-title">
      {trail.length > 0 && (
        <nav aria-label="Breadcrumb" className="trail">
          <ol>
            {trail.map(([name, href]) => (
              <li key={href}><Link href={href}>{name}</Link></li>
            ))}
          </ol>
        </nav>
      )}
      <div className="title-row">
        <h1>{children}</h1>
        {actions && <div className="actions">{actions}</div>}
      </div>
    </div>
  );
}

/** Sections of one page as links (each has its own address, so it can be bookmarked and reloaded). */
export function Tabs({ label, tabs, current }: { readonly label: string; readonly tabs: readonly (readonly [string, string, string])[]; readonly current: string }) {
  return (
    <nav aria-label={label} className="tabs">
      <ul>
        {tabs.map(([id, name, href]) => (
          <li key={id}>
            <Link href={href} aria-current={id === current ? 'page' : undefined}>{name}</Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
