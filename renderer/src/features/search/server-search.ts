/**
 * The server half of a search: which folders to ask (`search.server`), and asking them.
 *
 * - 'incomplete' (automatic, as you type, debounced): folders whose first sync has not
 *   finished, so the cache lacks some of their messages (`cachedTotal < total`).
 * - 'all' (the person asked: "Search message bodies on the server"): every selectable
 *   folder in the query's scope, since the index has bodies only of messages opened before.
 *
 * Folders are asked concurrently; the engine runs an account's searches one at a time on one
 * connection. A folder that fails (offline, gone) is skipped and reported; the rest count.
 */
import type { ServerSearchQuery, ServerSearchResult } from '../../../../shared/contract';
import type { FolderRecord } from '../../db/schema';
import { foldersInScope, isIncomplete } from './folders';
import type { ServerFolderHits } from './protocol';
import type { SearchQuery } from './query';
import { toServerQuery } from './query';

export type ServerScope = 'incomplete' | 'all';

/** The part of the engine connection this uses (`EngineConnection` fits). */
export interface ServerSearchEngine {
  call(
    method: 'search.server',
    params: { accountId: string; path: string; query: ServerSearchQuery },
    options?: { signal?: AbortSignal },
  ): Promise<ServerSearchResult>;
}

export interface ServerSearchOutcome {
  hits: ServerFolderHits[];
  /** Folders asked. */
  asked: number;
  /** Folders that failed, with why (the first few). */
  failed: { accountId: string; path: string; message: string }[];
}

/** Most folders asked in one search (the biggest gaps first for 'incomplete'). */
export const MAX_SERVER_FOLDERS = 40;

export function foldersToSearch(folders: readonly FolderRecord[], q: SearchQuery, scope: ServerScope): FolderRecord[] {
  const inScope = foldersInScope(folders, q).filter((f) => f.selectable);
  if (scope === 'all') return inScope.filter((f) => f.total > 0 || f.cachedTotal > 0).slice(0, MAX_SERVER_FOLDERS);
  return inScope
    .filter(isIncomplete)
    .sort((a, b) => b.total - b.cachedTotal - (a.total - a.cachedTotal))
    .slice(0, MAX_SERVER_FOLDERS);
}

export async function searchOnServer(
  engine: ServerSearchEngine,
  folders: readonly FolderRecord[],
  q: SearchQuery,
  signal: AbortSignal,
): Promise<ServerSearchOutcome> {
  const query = toServerQuery(q);
  const outcome: ServerSearchOutcome = { hits: [], asked: folders.length, failed: [] };
  await Promise.all(
    folders.map(async (f) => {
      try {
        const r = await engine.call('search.server', { accountId: f.accountId, path: f.path, query }, { signal });
        outcome.hits.push({ accountId: f.accountId, path: f.path, uidValidity: r.uidValidity, uids: r.uids, total: r.total });
      } catch (e) {
        if (signal.aborted) return;
        outcome.failed.push({ accountId: f.accountId, path: f.path, message: e instanceof Error ? e.message : String(e) });
      }
    }),
  );
  signal.throwIfAborted();
  // A stable order, so the same answers make the same worker cache key.
  outcome.hits.sort((a, b) => (a.accountId + a.path < b.accountId + b.path ? -1 : 1));
  return outcome;
}
