/**
 * `useSearch()`: the state of the search box and its results, for the app shell.
 *
 *   const search = useSearch();
 *   <SearchBox value={search.query} onChange={search.setQuery} onClear={search.clear} />
 *   {search.active ? <SearchResults search={search} selectedKey={...} onOpen={...} /> : <MessageList ... />}
 *
 * Every keystroke queries the worker's index at once (a newer query supersedes the one in
 * flight); results refresh by themselves when the index changes (new mail, flags, bodies).
 * After a pause in typing, folders whose sync is incomplete are searched on the server and
 * the hits merged in; "Search message bodies on the server" (`searchServer('all')`) asks
 * every folder in scope.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useDb } from '../../db/db-context';
import { DEFAULT_DB_NAME, type MessageKey, type PetrelDb } from '../../db/schema';
import { useEngine } from '../../ipc/engine-context';
import type { IndexStatus, SearchPage, ServerFolderHits } from './protocol';
import { isEmptyQuery, parseQuery } from './query';
import { SearchCancelled, SearchClient, startSearchWorker, DEFAULT_PAGE } from './search-client';
import { foldersToSearch, searchOnServer, type ServerScope, type ServerSearchEngine } from './server-search';

export interface ServerSearchState {
  state: 'idle' | 'searching' | 'done' | 'failed';
  scope: ServerScope;
  /** Folders asked. */
  asked: number;
  /** Folders that could not be searched. */
  failed: number;
  message?: string;
}

export interface SearchView {
  query: string;
  /** A query is in the box (show results instead of the folder). */
  active: boolean;
  /** The current query's first answer has not come yet. */
  loading: boolean;
  /** Loaded results, newest first. */
  keys: MessageKey[];
  total: number;
  approximate: boolean;
  errors: string[];
  /** Worker time of the last answer. */
  tookMs: number | null;
  /** Results found only by the server (their headers are cached): included in `total`. */
  serverMerged: number;
  /** Server hits whose headers are not cached yet: not in `total`. */
  serverOnly: number;
  server: ServerSearchState;
  index: IndexStatus;
  /** More results than loaded. */
  hasMore: boolean;
  /** The last local search failed. */
  failure: string | null;
}

export interface UseSearch extends SearchView {
  setQuery(text: string): void;
  clear(): void;
  loadMore(): void;
  /** Searches the server now: 'all' folders in scope (bodies), or only those still syncing. */
  searchServer(scope?: ServerScope): void;
}

export interface UseSearchOptions {
  client?: SearchClient;
  engine?: ServerSearchEngine;
  db?: PetrelDb;
  /** Pause in typing before the automatic server search. Default 400 ms. */
  serverDebounceMs?: number;
  pageSize?: number;
  /** Least time between refreshes of the shown results when the index changes. Default 300 ms. */
  refreshMs?: number;
}

let shared: { name: string; client: SearchClient } | null = null;

/** The app's one search worker (started on first use, for the whole page's life). */
export function sharedSearchClient(dbName: string = DEFAULT_DB_NAME): SearchClient {
  if (!shared || shared.name !== dbName) {
    shared?.client.close();
    shared = { name: dbName, client: startSearchWorker(dbName) };
    exposeBenchmark();
  }
  return shared.client;
}

/** `window.petrelBenchmarkSearch(n, options)` for the benchmark suite (bench.ts, loaded on first call). */
function exposeBenchmark(): void {
  const g = globalThis as { petrelBenchmarkSearch?: unknown };
  g.petrelBenchmarkSearch ??= async (n?: number, options?: import('./bench').SearchBenchOptions) =>
    (await import('./bench')).benchmarkSearch(n, options);
}

const IDLE_SERVER: ServerSearchState = { state: 'idle', scope: 'incomplete', asked: 0, failed: 0 };

function emptyView(index: IndexStatus): SearchView {
  return {
    query: '',
    active: false,
    loading: false,
    keys: [],
    total: 0,
    approximate: false,
    errors: [],
    tookMs: null,
    serverMerged: 0,
    serverOnly: 0,
    server: IDLE_SERVER,
    index,
    hasMore: false,
    failure: null,
  };
}

export function useSearch(options: UseSearchOptions = {}): UseSearch {
  const contextDb = useDb();
  const db = options.db ?? contextDb;
  const connection = useEngine();
  const engine = useMemo<ServerSearchEngine>(
    () => options.engine ?? { call: (method, params, o) => connection.call(method, params, o ?? {}) },
    [options.engine, connection],
  );
  const client = useMemo(() => options.client ?? sharedSearchClient(db.name), [options.client, db.name]);
  const pageSize = options.pageSize ?? DEFAULT_PAGE;
  const debounceMs = options.serverDebounceMs ?? 400;
  const refreshMs = options.refreshMs ?? 300;

  const [view, setView] = useState<SearchView>(() => emptyView(client.status));
  const query = useRef('');
  const hits = useRef<ServerFolderHits[] | undefined>(undefined);
  const loaded = useRef(0);
  const serverAbort = useRef<AbortController | null>(null);
  const serverTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const lastVersion = useRef(client.status.version);

  /** Queries the worker for the current text; `append` loads the next page. */
  const runLocal = useCallback(
    (append: boolean) => {
      const text = query.current;
      if (!text.trim()) return;
      const offset = append ? loaded.current : 0;
      const limit = append ? pageSize : Math.max(pageSize, loaded.current);
      client.search(text, { offset, limit, ...(hits.current ? { server: hits.current } : {}) }).then(
        (page: SearchPage) => {
          if (query.current !== text) return;
          setView((v) => {
            const keys = append ? [...v.keys, ...page.keys] : page.keys;
            loaded.current = keys.length;
            return {
              ...v,
              loading: false,
              keys,
              total: page.total,
              approximate: page.approximate,
              errors: page.errors,
              tookMs: page.tookMs,
              serverMerged: page.serverMerged,
              serverOnly: page.serverOnly,
              hasMore: keys.length < page.total,
              failure: null,
            };
          });
        },
        (e: unknown) => {
          if (e instanceof SearchCancelled || query.current !== text) return;
          setView((v) => ({ ...v, loading: false, failure: e instanceof Error ? e.message : String(e) }));
        },
      );
    },
    [client, pageSize],
  );

  const runServer = useCallback(
    async (scope: ServerScope) => {
      const text = query.current;
      serverAbort.current?.abort();
      const q = parseQuery(text);
      if (isEmptyQuery(q)) return;
      const ac = new AbortController();
      serverAbort.current = ac;
      try {
        const folders = foldersToSearch(await db.folders.toArray(), q, scope);
        if (ac.signal.aborted) return;
        if (folders.length === 0) {
          setView((v) => ({ ...v, server: { state: 'done', scope, asked: 0, failed: 0 } }));
          return;
        }
        setView((v) => ({ ...v, server: { state: 'searching', scope, asked: folders.length, failed: 0 } }));
        const outcome = await searchOnServer(engine, folders, q, ac.signal);
        if (query.current !== text) return;
        hits.current = outcome.hits;
        const failed = outcome.failed.length;
        setView((v) => ({
          ...v,
          server: {
            state: failed > 0 && failed === outcome.asked ? 'failed' : 'done',
            scope,
            asked: outcome.asked,
            failed,
            ...(failed > 0 ? { message: outcome.failed[0]!.message } : {}),
          },
        }));
        runLocal(false);
      } catch (e) {
        if (ac.signal.aborted || query.current !== text) return;
        setView((v) => ({ ...v, server: { state: 'failed', scope, asked: 0, failed: 0, message: e instanceof Error ? e.message : String(e) } }));
      }
    },
    [db, engine, runLocal],
  );

  const setQuery = useCallback(
    (text: string) => {
      query.current = text;
      hits.current = undefined;
      loaded.current = 0;
      serverAbort.current?.abort();
      serverAbort.current = null;
      if (serverTimer.current !== undefined) clearTimeout(serverTimer.current);
      serverTimer.current = undefined;
      const active = text.trim().length > 0;
      setView((v) =>
        active
          ? { ...v, query: text, active, loading: true, server: IDLE_SERVER, serverOnly: 0, serverMerged: 0 }
          : { ...emptyView(v.index), query: text },
      );
      if (!active) return;
      runLocal(false);
      serverTimer.current = setTimeout(() => {
        serverTimer.current = undefined;
        void runServer('incomplete');
      }, debounceMs);
    },
    [runLocal, runServer, debounceMs],
  );

  const clear = useCallback(() => setQuery(''), [setQuery]);
  const loadMore = useCallback(() => runLocal(true), [runLocal]);
  const searchServer = useCallback(
    (scope: ServerScope = 'all') => {
      // The person asked: the automatic search still waiting for a pause in typing is not needed.
      if (serverTimer.current !== undefined) clearTimeout(serverTimer.current);
      serverTimer.current = undefined;
      void runServer(scope);
    },
    [runServer],
  );

  // Index progress, and fresh results when the index changes under a shown query.
  useEffect(() => {
    const off = client.onStatus((status) => {
      setView((v) => ({ ...v, index: status }));
      if (status.version === lastVersion.current) return;
      lastVersion.current = status.version;
      if (!query.current.trim() || refreshTimer.current !== undefined) return;
      refreshTimer.current = setTimeout(() => {
        refreshTimer.current = undefined;
        runLocal(false);
      }, refreshMs);
    });
    return () => {
      off();
      if (refreshTimer.current !== undefined) clearTimeout(refreshTimer.current);
      refreshTimer.current = undefined;
    };
  }, [client, runLocal, refreshMs]);

  useEffect(
    () => () => {
      serverAbort.current?.abort();
      if (serverTimer.current !== undefined) clearTimeout(serverTimer.current);
    },
    [],
  );

  return { ...view, setQuery, clear, loadMore, searchServer };
}
