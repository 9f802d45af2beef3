import { isInboxPath, type FolderRecord } from '../../db/schema';
import { SPECIAL_FOLDER_NAMES, type SearchQuery } from './query';

/** Whether `in:value` (lowercased) names this folder: a special name, or its name or path. */
export function folderMatches(f: Pick<FolderRecord, 'path' | 'name' | 'specialUse'>, value: string): boolean {
  const special = SPECIAL_FOLDER_NAMES[value];
  if (special && (f.specialUse === special || (special === 'inbox' && isInboxPath(f.path)))) return true;
  return f.name.toLowerCase() === value || f.path.toLowerCase() === value;
}

/** The folders a query covers (`in:` / `-in:`), of all accounts. */
export function foldersInScope<F extends Pick<FolderRecord, 'path' | 'name' | 'specialUse'>>(folders: readonly F[], q: SearchQuery): F[] {
  return folders.filter(
    (f) => (q.in.length === 0 || q.in.some((v) => folderMatches(f, v))) && !q.notIn.some((v) => folderMatches(f, v)),
  );
}

/**
 * Whether the cache may lack messages of a folder the server has: its first sync has not
 * finished (the server's count is above the cached one) or it was never synced.
 */
export function isIncomplete(f: FolderRecord): boolean {
  if (!f.selectable) return false;
  return f.cachedTotal < f.total || (f.uidValidity === null && f.total > 0);
}
