import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, getJson } from './api/client.js';
import type { AuthMethods, Me } from './api/types.js';

/**
 * Who is using the UI: a signed-in user, an anonymous visitor (who sees public projects), or anybody at all on a
 * registry whose access control is off ("open").
 */
export type SessionState =
  | { readonly status: 'loading' }
  | { readonly status: 'anonymous'; readonly methods: AuthMethods }
  | { readonly status: 'open'; readonly methods: AuthMethods }
  | { readonly status: 'signed-in'; readonly me: Me; readonly methods: AuthMethods };

interface SessionContext {
  readonly session: SessionState;
  refresh(): Promise<void>;
  signOut(): Promise<void>;
}

const Context = createContext<SessionContext | undefined>(undefined);

const noMethods: AuthMethods = { password: false, oidc: null };

async function loadSession(): Promise<SessionState> {
  const methods = await getJson<AuthMethods>('/auth/methods').catch(() => noMethods);
  if (!methods.password && methods.oidc === null) return { status: 'open', methods };
  try {
    const me = await getJson<Me>('/api/v1/me');
    return { status: 'signed-in', me, methods };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return { status: 'anonymous', methods };
    throw error;
  }
}

export function SessionProvider({ children }: { readonly children: ReactNode }) {
  const [session, setSession] = useState<SessionState>({ status: 'loading' });
  const refresh = useCallback(async () => {
    setSession(await loadSession().catch(() => ({ status: 'anonymous', methods: noMethods }) as const));
  }, []);
  const signOut = useCallback(async () => {
    await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
    await refresh();
  }, [refresh]);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const value = useMemo(() => ({ session, refresh, signOut }), [session, refresh, signOut]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useSession(): SessionContext {
  const context = useContext(Context);
  if (context === undefined) throw new Error('useSession outside SessionProvider');
  return context;
}

/** The signed-in user's name, or undefined. */
export function userName(session: SessionState): string | undefined {
  return session.status === 'signed-in' ? (session.me.username ?? session.me.name) : undefined;
}

export function isSystemAdmin(session: SessionState): boolean {
  return session.status === 'signed-in' && session.me.admin;
}
