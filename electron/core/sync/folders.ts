/**
 * The account's folder list from one LIST (with LIST-STATUS, RFC 5819, where offered,
 * so the counts come in the same round trip). Pure mapping from imapflow's answer to
 * the contract's Folder, plus the STATUS values the poller compares.
 */
import type { ListResponse, StatusObject } from 'imapflow';
import type { Folder } from '../../../shared/contract';
import { assignSpecialUse } from './special-use';

/** What STATUS says about a folder; what decides whether it needs a sync. */
export interface FolderStatus {
  uidValidity: string | null;
  uidNext: number | null;
  messages: number | null;
  unseen: number | null;
  highestModseq: string | null;
}

export interface ListedFolder {
  folder: Folder;
  status: FolderStatus | null;
}

export function toFolderStatus(s: StatusObject | undefined): FolderStatus | null {
  if (!s || typeof s !== 'object' || 'error' in s) return null;
  return {
    uidValidity: s.uidValidity !== undefined ? s.uidValidity.toString() : null,
    uidNext: s.uidNext ?? null,
    messages: s.messages ?? null,
    unseen: s.unseen ?? null,
    highestModseq: s.highestModseq !== undefined ? s.highestModseq.toString() : null,
  };
}

/** Equal STATUS answers: nothing changed in the folder (given the same capabilities). */
export function sameStatus(a: FolderStatus | null | undefined, b: FolderStatus | null | undefined): boolean {
  if (!a || !b) return false;
  return (
    a.uidValidity === b.uidValidity &&
    a.uidNext === b.uidNext &&
    a.messages === b.messages &&
    a.unseen === b.unseen &&
    a.highestModseq === b.highestModseq
  );
}

function isSelectable(flags: Set<string>): boolean {
  for (const f of flags) {
    const l = f.toLowerCase();
    if (l === '\\noselect' || l === '\\nonexistent') return false;
  }
  return true;
}

/** imapflow's LIST entries as contract folders, in a stable order (INBOX first, then by path). */
export function toFolders(accountId: string, entries: readonly ListResponse[]): ListedFolder[] {
  const roles = assignSpecialUse(
    entries.map((e) => ({
      path: e.path,
      name: e.name,
      depth: e.parent.length,
      flags: e.flags,
      declared: e.specialUseSource === 'extension' ? e.specialUse : undefined,
      selectable: isSelectable(e.flags),
    })),
  );
  return entries
    .map((e): ListedFolder => {
      const selectable = isSelectable(e.flags);
      const status = selectable ? toFolderStatus(e.status) : null;
      // Kept even when the parent itself is not listed: it still groups its children in the UI.
      const parentPath = e.parentPath || null;
      return {
        folder: {
          accountId,
          path: e.path,
          name: e.path.toUpperCase() === 'INBOX' ? 'INBOX' : e.name,
          delimiter: e.delimiter ? e.delimiter.slice(0, 1) : null,
          parentPath,
          specialUse: roles.get(e.path) ?? null,
          subscribed: e.subscribed === true,
          selectable,
          total: status?.messages ?? 0,
          unread: status?.unseen ?? 0,
        },
        status,
      };
    })
    .sort((a, b) => {
      const ai = a.folder.specialUse === 'inbox' ? 0 : 1;
      const bi = b.folder.specialUse === 'inbox' ? 0 : 1;
      return ai - bi || a.folder.path.localeCompare(b.folder.path);
    });
}

/** A stable key of everything in the list but the counts: a new `folders` delta is due when it changes. */
export function folderListKey(folders: readonly Folder[]): string {
  return JSON.stringify(folders.map((f) => [f.path, f.name, f.delimiter, f.parentPath, f.specialUse, f.subscribed, f.selectable]));
}
