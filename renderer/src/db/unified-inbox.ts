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
 * middle of 2 x 50k would walk 50k keys, 50-100 us each in Chromium). Each INBOX's jump anchors
 * (folder-anchors.ts: every ANCHOR_STEP-th entry, placed where it is now by the folder's change
 * log) give every anchor a lower bound of its merged rank with no read; the last anchor whose
 * bound is at most `offset` gets its exact rank from one bounded count per other INBOX (at most
 * about ANCHOR_STEP entries past that INBOX's anchor before it), and the window is merged from
 * there, reading keys only down to the date of the first anchor known to lie past the window.
 * Without anchors near the offset (not read yet, or more changes since than the log keeps) the
 * longest INBOXes are probed at their share of the offset, and the anchors are asked for: right,
 * only slower (0.7-1.1 s deep into 112k against 20-30 ms with anchors: bench/unified-window.ts).
 * Rows are read with getAll, a round trip per INBOX (a key cursor costs one per entry).
 *
 * Live queries: every INBOX's folder row is read, and its `changes` moves with every message
 * added, removed or re-dated, so any change to the list re-runs the query.
 */

/** Past this many entries from the nearest start found, the longest INBOX is probed. */
export const PROBE_GAP = 4 * ANCHOR_STEP;

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

/** Where a merge starts: an entry of one INBOX (its rank known). */
interface Start {
  inbox: number;
  entry: Entry;
}

interface Candidate extends Start {
  /** Which of its INBOX's anchors it is. */
  anchor: number;
  position: number;
  /** A lower bound of its rank in the merged list. */
  lower: number;
}

/** `limit` messages of the merged INBOXes from position `offset`. Call inside a transaction. */
export async function unifiedWindow(db: PetrelDb, folders: readonly FolderRecord[], offset: number, limit: number): Promise<MessageRecord[]> {
  if (limit <= 0 || folders.length === 0) return [];
  const inboxes: Inbox[] = folders.map((f) => {
    const placed = currentAnchors(db, f);
    // A jump with an INBOX whose anchors are missing or too old to place: read them for the
    // next one (the list reads them ahead, once a first sync's batches settle: MessageList).
    if (!placed?.all && offset >= 2 * ANCHOR_STEP && f.cachedTotal > ANCHOR_STEP) wantAnchors(db, f.accountId, f.path, { refresh: true });
    return { accountId: f.accountId, path: f.path, anchors: placed?.anchors ?? [] };
  });
  const candidates = candidatesOf(inboxes);

  // The start: the last candidate whose exact rank is at most `offset` (or the top). Ranks grow
  // along the candidates, and those whose bound is past the offset are past it. The last one
  // within its bound usually is it; an INBOX without anchors (its bound counts nothing of it)
  // can put the start far before: stepped back 1, 2, 4... candidates, then bisected, so a cold
  // INBOX of 10k costs a few counts, not one per candidate.
  const rankAt = (k: number) => rankOf(db, inboxes, candidates[k]!.inbox, candidates[k]!.position, candidates[k]!.entry);
  let lo = -1;
  let rank = 0;
  let hi = lastIndex(candidates, (c) => c.lower <= offset) + 1;
  for (let probe = hi - 1, stride = 1; probe > lo; stride *= 2) {
    const r = await rankAt(probe);
    if (r <= offset) {
      [lo, rank] = [probe, r];
      break;
    }
    hi = probe;
    probe = Math.max(lo, hi - stride);
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const r = await rankAt(mid);
    if (r <= offset) [lo, rank] = [mid, r];
    else hi = mid;
  }
  let start: Start | null = lo >= 0 ? candidates[lo]! : null;
  // No anchor near the offset (none read yet, or too old to place): probe the longest INBOXes at
  // their share of the offset (a native cursor advance) and correct by the rank found there, a
  // few times, rather than merge every INBOX from the top (4.4 s to 28k of 112k in Chromium).
  const total = folders.reduce((n, f) => n + f.cachedTotal, 0);
  const bySize = folders.map((_, j) => j).sort((x, y) => folders[y]!.cachedTotal - folders[x]!.cachedTotal);
  for (const b of bySize.slice(0, 2)) {
    if (offset - rank <= PROBE_GAP) break;
    const length = folders[b]!.cachedTotal;
    let p = Math.min(length - 1, Math.floor((offset * length) / Math.max(1, total)));
    for (let probe = 0; probe < 3 && p >= 0 && offset - rank > PROBE_GAP; probe++) {
      const entry = await entryAt(db, inboxes[b]!, p);
      if (!entry) break;
      const r = await rankOf(db, inboxes, b, p, entry);
      if (r > offset) {
        // At least that many of this INBOX's entries before it are past the offset.
        p -= r - offset;
        continue;
      }
      if (r > rank) [start, rank] = [{ inbox: b, entry }, r];
      p = Math.min(length - 1, p + (offset - r));
    }
  }
  // Below this date no entry of the window can be: a candidate at or past its end.
  const past = candidates.find((c) => c.lower >= offset + limit);
  const floor = past ? past.entry.date : -Infinity;

  const need = offset - rank + limit;
  const lists = await Promise.all(inboxes.map((inbox, j) => rowsFrom(db, inbox, j, start, floor, need)));
  const merged = lists.flat().sort(inListOrder);
  return merged.slice(offset - rank, offset - rank + limit);
}

/** The list order of the unified inbox (and of a folder) as a sort comparator: newest first, ties by primary key, highest first. */
export function inListOrder(a: MessageRecord, b: MessageRecord): number {
  return precedes(entryOf(a), entryOf(b)) ? -1 : precedes(entryOf(b), entryOf(a)) ? 1 : 0;
}

function entryOf(m: MessageRecord): Entry {
  return { date: m.date, key: [m.accountId, m.path, m.uid] };
}

/** Every INBOX's anchors in list order, with the lower bound of each one's merged rank. */
function candidatesOf(inboxes: readonly Inbox[]): Candidate[] {
  const all: Omit<Candidate, 'lower'>[] = inboxes.flatMap((inbox, j) =>
    inbox.anchors.map((a, anchor) => ({ inbox: j, anchor, position: a.position, entry: { date: a.date, key: [inbox.accountId, inbox.path, a.uid] as MessageKey } })),
  );
  all.sort((a, b) => (precedes(a.entry, b.entry) ? -1 : 1));
  const last = inboxes.map(() => -1);
  return all.map((c) => {
    // Everything up to the last anchor of another INBOX before it comes before it too.
    let lower = c.position;
    for (let j = 0; j < inboxes.length; j++) if (j !== c.inbox && last[j]! >= 0) lower += inboxes[j]!.anchors[last[j]!]!.position + 1;
    last[c.inbox] = c.anchor;
    return { ...c, lower };
  });
}

function lastIndex<T>(items: readonly T[], ok: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (ok(items[i]!)) return i;
  return -1;
}

/** The exact position in the merged list of `entry`, at `position` in its INBOX. */
async function rankOf(db: PetrelDb, inboxes: readonly Inbox[], inbox: number, position: number, entry: Entry): Promise<number> {
  const counts = await Promise.all(
    inboxes.map((other, j) => {
      if (j === inbox) return position;
      const a = other.anchors.findLast((x) => precedes({ date: x.date, key: [other.accountId, other.path, x.uid] }, entry));
      return countBefore(db, other, a ?? null, entry);
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** The entry at `position` of an INBOX's list (a native cursor advance from its top). */
async function entryAt(db: PetrelDb, inbox: Inbox, position: number): Promise<Entry | null> {
  const { accountId, path } = inbox;
  let at: Entry | null = null;
  await db.messages
    .where('[accountId+path+date]')
    .between([accountId, path, -Infinity], [accountId, path, Infinity], true, true)
    .reverse()
    .offset(position)
    .limit(1)
    .eachKey((indexKey, cursor) => {
      at = { date: (indexKey as [string, string, number])[2], key: cursor.primaryKey as MessageKey };
    });
  return at;
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
 * The messages of `inbox` from `start` on (from the top without one), in list order, down to
 * `floor`, at most `need` of them: one getAll in Chromium (a key cursor takes a round trip per
 * entry, 0.3-0.4 ms each in the app).
 */
async function rowsFrom(db: PetrelDb, inbox: Inbox, j: number, start: Start | null, floor: number, need: number): Promise<MessageRecord[]> {
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
  const rows = await index
    .between([accountId, path, floor], [accountId, path, top], true, true)
    .reverse()
    .limit(need + skip)
    .toArray();
  return start ? rows.filter((m) => !precedes(entryOf(m), start.entry)) : rows;
}
