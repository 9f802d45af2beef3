import { cmp, type Collection } from 'dexie';
import { ANCHOR_STEP, currentAnchors, LONG_LIST, wantAnchors } from './folder-anchors';
import { inListOrder, unifiedWindow } from './unified-inbox';
import {
  accountRange,
  folderRange,
  isInboxPath,
  type BodyRecord,
  type CursorRecord,
  type FolderRecord,
  type MessageKey,
  type MessageRecord,
  type PetrelDb,
} from './schema';

/**
 * Read queries for the UI. Each uses only Dexie calls, so it works inside `liveQuery` /
 * `useLiveQuery`, which re-runs it when a write touches what it read:
 *
 *   const page = useLiveQuery(() => folderMessages(db, accountId, path, { limit: 100 }), [accountId, path]);
 *
 * Nothing here writes: mail state changes only through sync deltas and operations (renderer/src/ops).
 */

/** Where the previous page ended: pass the last message of a page to get the next one. */
export interface PageCursor {
  date: number;
  key: MessageKey;
}

export interface PageOptions {
  /** Messages per page. */
  limit: number;
  /** Skip this many first (for a virtual list jumping to a position). */
  offset?: number;
  /** Start after this message (for "load more": cheaper than a large offset). */
  after?: PageCursor;
}

export function pageCursorOf(m: MessageRecord): PageCursor {
  return { date: m.date, key: [m.accountId, m.path, m.uid] };
}

/** The account's folders, by path. */
export function foldersOf(db: PetrelDb, accountId: string): Promise<FolderRecord[]> {
  const [lo, hi] = accountRange(accountId);
  return db.folders.where(':id').between(lo, hi, true, true).toArray();
}

/** All folders of all accounts, by account then path. */
export function allFolders(db: PetrelDb): Promise<FolderRecord[]> {
  return db.folders.toArray();
}

export function folder(db: PetrelDb, accountId: string, path: string): Promise<FolderRecord | undefined> {
  return db.folders.get([accountId, path]);
}

/**
 * A folder's messages, newest first (ties by uid, highest first). The list's length is the
 * folder's `cachedTotal`.
 */
export function folderMessages(
  db: PetrelDb,
  accountId: string,
  path: string,
  page: PageOptions,
): Promise<MessageRecord[]> {
  const after = page.after;
  if (!after && page.offset && page.offset > 0) return folderWindow(db, accountId, path, page.offset, page.limit);
  const top = after ? after.date : Infinity;
  const range = db.messages
    .where('[accountId+path+date]')
    .between([accountId, path, -Infinity], [accountId, path, top], true, true)
    .reverse();
  return paged(range, page);
}

/**
 * `limit` messages from position `offset` of a folder's list. An offset on a value cursor walks
 * the index from the top and then fetches the rows one `continue()` at a time; here a key cursor
 * (no values read) finds the index entry at the offset, and one getAll from there returns the
 * rows (2x faster in the middle of 100k in Chromium; a getAllKeys of the whole folder is slower
 * still, 0.4-1.8 s for 100k compound keys). The key cursor starts from the folder's last anchor
 * before the offset, placed where it is now (folder-anchors.ts), so it walks about ANCHOR_STEP
 * entries. One transaction, so every step sees the same folder.
 */
function folderWindow(db: PetrelDb, accountId: string, path: string, offset: number, limit: number): Promise<MessageRecord[]> {
  const lo = [accountId, path, -Infinity];
  if (limit <= 0) return Promise.resolve([]);
  return db.transaction('r', db.messages, db.folders, async () => {
    // Where to start walking: the top, or the anchor before the offset and its date.
    let upper = Infinity;
    let walk = offset;
    const folder = await db.folders.get([accountId, path]);
    const placed = folder ? currentAnchors(db, folder) : null;
    const anchor = placed?.anchors.findLast((a) => a.position <= offset && a.position > 0);
    if (anchor) {
      const ties = await db.messages.where('[accountId+path+date]').equals([accountId, path, anchor.date]).primaryKeys();
      upper = anchor.date;
      // Entries of the anchor's date before it come first in the walk from its date.
      walk = ties.filter((k) => k[2] > anchor.uid).length + offset - anchor.position;
    }
    // Anchors missing, too old to place, or ending well before the offset (read while the
    // folder was shorter): read for the next jump.
    const far = offset - (anchor?.position ?? 0) >= 2 * ANCHOR_STEP;
    if (folder && (far || (placed && !placed.all)) && folder.cachedTotal >= LONG_LIST) wantAnchors(db, accountId, path, { refresh: true });
    let at: { date: number; key: MessageKey } | null = null;
    await db.messages
      .where('[accountId+path+date]')
      .between(lo, [accountId, path, upper], true, true)
      .reverse()
      .offset(walk)
      .limit(1)
      .eachKey((indexKey, cursor) => {
        at = { date: (indexKey as [string, string, number])[2], key: cursor.primaryKey as MessageKey };
      });
    const first = at as { date: number; key: MessageKey } | null;
    if (!first) return [];
    const boundary = [accountId, path, first.date];
    // Entries sharing the boundary's date come in primary-key order (reversed here): those
    // before the boundary entry belong to earlier positions.
    const ties = await db.messages.where('[accountId+path+date]').equals(boundary).count();
    const rows = await db.messages
      .where('[accountId+path+date]')
      .between(lo, boundary, true, true)
      .reverse()
      .limit(limit + ties - 1)
      .toArray();
    let skip = 0;
    while (skip < rows.length && rows[skip]!.date === first.date && cmp(messageKeyOf(rows[skip]!), first.key) > 0) skip++;
    return rows.slice(skip, skip + limit);
  });
}

function messageKeyOf(m: MessageRecord): MessageKey {
  return [m.accountId, m.path, m.uid];
}

export interface UnifiedInboxOptions extends PageOptions {
  /** Only these accounts (default: all). */
  accountIds?: readonly string[];
}

/**
 * The INBOX messages of all accounts, newest first (ties by primary key, highest first): every
 * INBOX's list merged (unified-inbox.ts). Its length is the INBOX folders' `cachedTotal` summed.
 */
export function unifiedInbox(db: PetrelDb, page: UnifiedInboxOptions): Promise<MessageRecord[]> {
  return db.transaction('r', db.messages, db.folders, async () => {
    const ids = page.accountIds ? new Set(page.accountIds) : null;
    const inboxes = (await db.folders.toArray()).filter((f) => isInboxPath(f.path) && (!ids || ids.has(f.accountId)));
    if (page.limit <= 0 || inboxes.length === 0) return [];
    if (inboxes.length === 1) return folderMessages(db, inboxes[0]!.accountId, inboxes[0]!.path, page);
    const after = page.after;
    if (!after) return unifiedWindow(db, inboxes, page.offset ?? 0, page.limit);
    // After a message: each INBOX's next entries, merged.
    const want = (page.offset ?? 0) + page.limit;
    const lists = await Promise.all(inboxes.map((f) => folderMessages(db, f.accountId, f.path, { limit: want, after })));
    const merged = lists.flat().sort(inListOrder);
    return merged.slice(page.offset ?? 0, want);
  });
}

function paged(range: Collection<MessageRecord, MessageKey>, page: PageOptions): Promise<MessageRecord[]> {
  const after = page.after;
  if (after) {
    // Index entries with the same date come in primary-key order (reversed here): skip
    // those up to and including the cursor's message.
    range = range.filter((m) => m.date !== after.date || cmp([m.accountId, m.path, m.uid], after.key) < 0);
  }
  if (page.offset && page.offset > 0) range = range.offset(page.offset);
  return range.limit(Math.max(0, page.limit)).toArray();
}

export function message(db: PetrelDb, key: MessageKey): Promise<MessageRecord | undefined> {
  return db.messages.get(key);
}

/** The cached body of a message, if the reader fetched it before. */
export function messageBody(db: PetrelDb, key: MessageKey): Promise<BodyRecord | undefined> {
  return db.bodies.get(key);
}

export interface InboxUnread {
  /** Unread in all accounts' INBOX (the unified inbox's badge). */
  total: number;
  byAccount: Record<string, number>;
}

/** Unread counts of the INBOX of each account, from the folders' maintained counts. */
export async function inboxUnread(db: PetrelDb): Promise<InboxUnread> {
  const result: InboxUnread = { total: 0, byAccount: {} };
  // Folder rows, not messages: a few hundred rows at most.
  for (const f of await db.folders.toArray()) {
    if (!isInboxPath(f.path)) continue;
    result.total += f.unread;
    result.byAccount[f.accountId] = (result.byAccount[f.accountId] ?? 0) + f.unread;
  }
  return result;
}

/** Every stored cursor, for `sync.resume`. */
export function allCursors(db: PetrelDb): Promise<CursorRecord[]> {
  return db.cursors.toArray();
}

export function cursorOf(db: PetrelDb, accountId: string, path: string): Promise<CursorRecord | undefined> {
  return db.cursors.get([accountId, path]);
}

/** How many messages of a folder are cached, counted from the index (for checks and tests). */
export function countCached(db: PetrelDb, accountId: string, path: string): Promise<number> {
  const [lo, hi] = folderRange(accountId, path);
  return db.messages.where(':id').between(lo, hi, true, true).count();
}
