import { cmp } from 'dexie';
import { ANCHOR_STEP, currentAnchors, wantAnchors, type AnchorAt } from './folder-anchors';
import type { FolderRecord, MessageKey, MessageRecord, PetrelDb } from './schema';

/**
 * The unified inbox's list: every INBOX merged, newest first, ties by primary key (highest
 * first). There is no index over all INBOXes (one was 15% of IndexedDB's work in a first sync
 * of 100k: docs/benchmarks.md); each INBOX is read by its own [accountId+path+date] index and
 * the lists are merged here.
 *
 * A window at position `offset` must not merge `offset` entries from the top (a jump to the
 * middle of 2 x 50k would walk 50k keys). Each INBOX's jump anchors (folder-anchors.ts: every
 * ANCHOR_STEP-th entry, exact while the folder's `changes` is unchanged) give every anchor a
 * lower bound of its merged rank with no read; the last anchor whose bound is at most `offset`
 * gets its exact rank from one bounded count per other INBOX (at most ANCHOR_STEP entries past
 * that INBOX's anchor before it), and the window is merged from there, reading keys only down
 * to the date of the first anchor known to lie past the window. Without anchors (not read yet,
 * or stale after new mail) it merges from the top: right, only slower, and the anchors are asked
 * for. Only the window's rows are read (one bulkGet).
 *
 * Live queries: every INBOX's folder row is read, and its `changes` moves with every message
 * added, removed or re-dated, so any change to the list re-runs the query.
 */

interface Entry {
  date: number;
  key: MessageKey;
}

/** Whether `a` comes before `b` in the list (entries are distinct). */
function precedes(a: Entry, b: Entry): boolean {
  return a.date !== b.date ? a.date > b.date : cmp(a.key, b.key) > 0;
}

interface Inbox {
  accountId: string;
  path: string;
  /** Exact anchors, or none. */
  anchors: AnchorAt[];
}

interface Candidate {
  inbox: number;
  /** Which of its INBOX's anchors it is. */
  anchor: number;
  position: number;
  entry: Entry;
  /** A lower bound of its rank in the merged list. */
  lower: number;
  /** Per INBOX, the last of its anchors that comes before this one (-1: none). */
  before: number[];
}

/** `limit` messages of the merged INBOXes from position `offset`. Call inside a transaction. */
export async function unifiedWindow(db: PetrelDb, folders: readonly FolderRecord[], offset: number, limit: number): Promise<MessageRecord[]> {
  if (limit <= 0 || folders.length === 0) return [];
  const inboxes: Inbox[] = folders.map((f) => {
    const anchors = currentAnchors(db, f);
    // A jump deep into a long INBOX without exact anchors: read them for the next one.
    if (!anchors && offset >= 2 * ANCHOR_STEP && f.cachedTotal >= 2 * ANCHOR_STEP) wantAnchors(db, f.accountId, f.path, { refresh: true });
    return { accountId: f.accountId, path: f.path, anchors: anchors ?? [] };
  });
  const candidates = candidatesOf(inboxes);

  // The start: the last candidate whose exact rank is at most `offset` (or the top).
  let i = lastIndex(candidates, (c) => c.lower <= offset);
  let start: Candidate | null = null;
  let rank = 0;
  for (; i >= 0; i--) {
    const r = await rankOf(db, inboxes, candidates[i]!);
    if (r <= offset) {
      start = candidates[i]!;
      rank = r;
      break;
    }
  }
  // Below this date no entry of the window can be: a candidate at or past its end.
  const past = candidates.find((c) => c.lower >= offset + limit);
  const floor = past ? past.entry.date : -Infinity;

  const need = offset - rank + limit;
  const lists = await Promise.all(inboxes.map((inbox, j) => keysFrom(db, inbox, j, start, floor, need)));
  const merged = lists.flat().sort((a, b) => (precedes(a, b) ? -1 : 1));
  const keys = merged.slice(offset - rank, offset - rank + limit).map((e) => e.key);
  const rows = await db.messages.bulkGet(keys);
  return rows.filter((m): m is MessageRecord => m !== undefined);
}

/** Every INBOX's anchors in list order, with the lower bound of each one's merged rank. */
function candidatesOf(inboxes: readonly Inbox[]): Candidate[] {
  const all: Omit<Candidate, 'lower' | 'before'>[] = inboxes.flatMap((inbox, j) =>
    inbox.anchors.map((a, anchor) => ({ inbox: j, anchor, position: a.position, entry: { date: a.date, key: [inbox.accountId, inbox.path, a.uid] as MessageKey } })),
  );
  all.sort((a, b) => (precedes(a.entry, b.entry) ? -1 : 1));
  const last = inboxes.map(() => -1);
  return all.map((c) => {
    const before = [...last];
    // Everything up to the last anchor of another INBOX before it comes before it too.
    let lower = c.position;
    for (let j = 0; j < inboxes.length; j++) if (j !== c.inbox && last[j]! >= 0) lower += inboxes[j]!.anchors[last[j]!]!.position + 1;
    last[c.inbox] = c.anchor;
    return { ...c, lower, before };
  });
}

function lastIndex<T>(items: readonly T[], ok: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (ok(items[i]!)) return i;
  return -1;
}

/** The exact position of a candidate in the merged list. */
async function rankOf(db: PetrelDb, inboxes: readonly Inbox[], c: Candidate): Promise<number> {
  const counts = await Promise.all(
    inboxes.map((inbox, j) => (j === c.inbox ? c.position : countBefore(db, inbox, c.before[j]! >= 0 ? inbox.anchors[c.before[j]!]! : null, c.entry))),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * How many entries of `inbox` come before `e` (of another INBOX), given its last anchor `a`
 * that does (null: none does). Counts at most the entries between `a` and the next anchor.
 */
async function countBefore(db: PetrelDb, inbox: Inbox, a: AnchorAt | null, e: Entry): Promise<number> {
  const { accountId, path } = inbox;
  // This INBOX's entries of e's date come before e when its key is higher.
  const tiesFirst = cmp([accountId, path], [e.key[0], e.key[1]]) > 0;
  const index = db.messages.where('[accountId+path+date]');
  const lo = [accountId, path, e.date];
  if (!a) return index.between(lo, [accountId, path, Infinity], tiesFirst, true).count();
  const [inRange, atAnchorDate] = await Promise.all([
    index.between(lo, [accountId, path, a.date], tiesFirst, true).count(),
    index.equals([accountId, path, a.date]).primaryKeys(),
  ]);
  // The range holds `a`, the entries of its date before it (counted in its position) and those after.
  const upToAnchor = atAnchorDate.filter((k) => k[2] >= a.uid).length;
  return a.position + 1 + inRange - upToAnchor;
}

/**
 * The keys of `inbox` from `start` on (from the top without one), in list order, down to
 * `floor`, at most `need` of them.
 */
async function keysFrom(db: PetrelDb, inbox: Inbox, j: number, start: Candidate | null, floor: number, need: number): Promise<Entry[]> {
  const { accountId, path } = inbox;
  const index = db.messages.where('[accountId+path+date]');
  const top = start ? start.entry.date : Infinity;
  if (floor > top) return [];
  // Entries of the start's date that come before it are read and dropped.
  let skip = 0;
  if (start && (j === start.inbox || cmp([accountId, path], [start.entry.key[0], start.entry.key[1]]) > 0)) {
    const ties = await index.equals([accountId, path, top]).primaryKeys();
    skip = j === start.inbox ? ties.filter((k) => k[2] > start.entry.key[2]).length : ties.length;
  }
  const out: Entry[] = [];
  await index
    .between([accountId, path, floor], [accountId, path, top], true, true)
    .reverse()
    .limit(need + skip)
    .eachKey((indexKey, cursor) => {
      out.push({ date: (indexKey as [string, string, number])[2], key: cursor.primaryKey as MessageKey });
    });
  return start ? out.filter((e) => !precedes(e, start.entry)) : out;
}
