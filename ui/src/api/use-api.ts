import { useCallback, useEffect, useRef, useState } from 'react';
import { getJson, getPage } from './client.js';

export interface Resource<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  reload(): void;
}

/** One JSON document, fetched again whenever `path` changes (null: nothing to fetch) or on reload(). */
export function useResource<T>(path: string | null): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: path !== null });
  const [version, setVersion] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version is read by no one; a new value is what reload() asks for
  useEffect(() => {
    if (path === null) {
      setState({ loading: false });
      return;
    }
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    getJson<T>(path, controller.signal).then(
      (data) => setState({ data, loading: false }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ error: error as Error, loading: false });
      },
    );
    return () => controller.abort();
  }, [path, version]);
  const reload = useCallback(() => setVersion((value) => value + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface PagedList<T> {
  readonly items: T[];
  readonly error: Error | undefined;
  readonly loading: boolean;
  readonly hasMore: boolean;
  /** Fetches the page the last Link header named; a call while one is under way does nothing. */
  loadMore(): void;
  reload(): void;
}

/**
 * A list read a page at a time by following the server's Link headers (keyset pagination: a page never repeats or
 * skips rows however far the list is read). Starts again from the first page whenever `path` changes.
 */
export function usePagedList<T>(path: string | null): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [version, setVersion] = useState(0);
  const inFlight = useRef<AbortController | undefined>(undefined);

  const fetchPage = useCallback((pagePath: string, replace: boolean) => {
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    setLoading(true);
    getPage<T>(pagePath, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        setItems((previous) => (replace ? page.items : [...previous, ...page.items]));
        setNext(page.next);
        setError(undefined);
        setLoading(false);
        inFlight.current = undefined;
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure as Error);
        setLoading(false);
        inFlight.current = undefined;
      },
    );
  }, []);

  const shownPath = useRef<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version is read by no one; a new value is what reload() asks for
  useEffect(() => {
    // A new list starts empty; the same list reloaded keeps its rows on screen until the first page replaces them.
    if (shownPath.current !== path) {
      setItems([]);
      setNext(undefined);
      setError(undefined);
      shownPath.current = path;
    }
    if (path !== null) fetchPage(path, true);
    return () => inFlight.current?.abort();
  }, [path, version, fetchPage]);

  const loadMore = useCallback(() => {
    if (next !== undefined && inFlight.current === undefined) fetchPage(next, false);
  }, [next, fetchPage]);
  const reload = useCallback(() => setVersion((value) => value + 1), []);
  return { items, error, loading, hasMore: next !== undefined, loadMore, reload };
}
