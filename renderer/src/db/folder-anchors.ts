import type { FolderRecord, PetrelDb } from './schema';

/**
 * Anchors for jumping into a long folder list: the (date, uid) of every STEP-th message in list
 * order (newest first, ties by uid, highest first), read once by walking the date index's keys
 * with IDBCursor.advance (no key or value is materialised between anchors: ~100 cursor steps for
 * 100k messages, where getAllKeys would build 100k compound keys, 0.4-1.8 s in Chromium).
 *
 * A window at position p then starts from the anchor before p and walks at most STEP entries,
 * instead of walking p entries from the top (IDBCursor.advance is linear: 30-350 ms for 50k).
 * Each anchor remembers the folder's `changes` (FolderRecord) when it was read: at the same
 * value the list is as it was and the anchor is used as it is; otherwise it is used only after
 * checking it is still at its position (a count of the entries above it, which Chromium does
 * entry by entry: 300-650 ms for 50k of 100k, so never on every jump; see folderWindow in
 * queries.ts). A stale anchor is never trusted: the anchors are dropped and read again later.
 *
 * The walk runs in short transactions of CHUNK anchors each: a read-only transaction on
 * `messages` holds back every write to it (a first sync) until it ends, and one walk of 100k
 * under a sync took 1-7 s.
 */

export const ANCHOR_STEP = 1000;

export interface Anchor {
  /** Position in the list (a multiple of the step). */
  position: number;
  date: number;
  uid: number;
  /** The folder's `changes` (FolderRecord) when the anchor was read or last checked. */
  changes: number;
}

interface AnchorEntry {
  date: number;
  uid: number;
  changes: number;
}

interface FolderAnchors {
  step: number;
  anchors: AnchorEntry[];
}

/** Anchors read per transaction (see the module comment). */
const CHUNK = 10;

const MAX_FOLDERS = 16;
/** Read again at most this often after anchors turned out stale (a folder changing during a sync). */
const REBUILD_MIN_INTERVAL_MS = 2000;

const cache = new Map<string, FolderAnchors>();
const building = new Map<string, Promise<void>>();
const lastBuild = new Map<string, number>();
const scheduled = new Set<string>();

const cacheKey = (db: PetrelDb, accountId: string, path: string) => `${db.name}\u0000${accountId}\u0000${path}`;

/** The anchor at or before `position`, if anchors were read (not checked: see the module comment). */
export function anchorBefore(db: PetrelDb, accountId: string, path: string, position: number): Anchor | null {
  const entry = cache.get(cacheKey(db, accountId, path));
  if (!entry) return null;
  const i = Math.min(Math.floor(position / entry.step), entry.anchors.length - 1);
  const a = i > 0 ? entry.anchors[i] : undefined;
  return a ? { position: i * entry.step, date: a.date, uid: a.uid, changes: a.changes } : null;
}

/** The anchor at `position` was checked in place when the folder's `changes` was `changes`. */
export function confirmAnchor(db: PetrelDb, accountId: string, path: string, position: number, changes: number): void {
  const entry = cache.get(cacheKey(db, accountId, path));
  const a = entry && position % entry.step === 0 ? entry.anchors[position / entry.step] : undefined;
  if (a) a.changes = changes;
}

/**
 * Asks for the folder's anchors to be read soon (they are missing or `stale`: then dropped now),
 * after `delayMs`, not sooner than REBUILD_MIN_INTERVAL_MS after the last read, and outside the
 * caller's transaction or live query.
 */
export function wantAnchors(
  db: PetrelDb,
  accountId: string,
  path: string,
  options: { stale?: boolean; refresh?: boolean; delayMs?: number } = {},
): void {
  const key = cacheKey(db, accountId, path);
  if (options.stale) cache.delete(key);
  if (scheduled.has(key) || building.has(key)) return;
  scheduled.add(key);
  const wait = Math.max(options.delayMs ?? 0, (lastBuild.get(key) ?? -Infinity) + REBUILD_MIN_INTERVAL_MS - Date.now());
  setTimeout(() => {
    scheduled.delete(key);
    if (options.refresh || !cache.has(key)) void buildFolderAnchors(db, accountId, path).catch(() => undefined);
  }, wait);
}

/**
 * How far into the list the folder's anchors reach (0: none). Anchors read while the folder
 * was shorter (during its first sync) stay right where they are, but end early.
 */
export function anchorsReach(db: PetrelDb, accountId: string, path: string): number {
  const entry = cache.get(cacheKey(db, accountId, path));
  return entry ? entry.anchors.length * entry.step : 0;
}

/** Whether anchors of the folder are cached (tests). */
export function hasAnchors(db: PetrelDb, accountId: string, path: string): boolean {
  return cache.has(cacheKey(db, accountId, path));
}

/**
 * Reads the folder's anchors (once at a time per folder). Runs outside any Dexie transaction
 * and outside live queries: it is a cache, checked when used.
 */
export function buildFolderAnchors(db: PetrelDb, accountId: string, path: string, step: number = ANCHOR_STEP): Promise<void> {
  const key = cacheKey(db, accountId, path);
  const running = building.get(key);
  if (running) return running;
  const job = (async () => {
    lastBuild.set(key, Date.now());
    await db.open();
    const anchors = await walk(db.backendDB(), accountId, path, step);
    cache.delete(key);
    cache.set(key, { step, anchors });
    while (cache.size > MAX_FOLDERS) cache.delete(cache.keys().next().value!);
  })().finally(() => building.delete(key));
  building.set(key, job);
  return job;
}

async function walk(idb: IDBDatabase, accountId: string, path: string, step: number): Promise<AnchorEntry[]> {
  const out: AnchorEntry[] = [];
  for (;;) {
    const last = out[out.length - 1];
    const more = await walkChunk(idb, accountId, path, step, last ?? null);
    // The folder changed between two chunks: what follows may be off. The anchors read so far
    // are kept (a folder that is still growing gets the rest on a later read).
    if (last && more[0] && more[0].changes !== last.changes) return out;
    out.push(...more);
    if (more.length < CHUNK) return out;
  }
}

/**
 * Up to CHUNK anchors in one transaction: from the top, or `step` entries after `from` (the
 * previous chunk's last anchor, which must still be in its place: same `changes`).
 */
function walkChunk(idb: IDBDatabase, accountId: string, path: string, step: number, from: AnchorEntry | null): Promise<AnchorEntry[]> {
  return new Promise((resolve, reject) => {
    const tx = idb.transaction(['messages', 'folders'], 'readonly');
    const out: AnchorEntry[] = [];
    let changes = 0;
    const folderReq = tx.objectStore('folders').get([accountId, path]);
    folderReq.onsuccess = () => {
      changes = (folderReq.result as FolderRecord | undefined)?.changes ?? 0;
      // The same index order as the list: date descending, then primary key descending.
      const range = from
        ? IDBKeyRange.upperBound([accountId, path, from.date], false)
        : IDBKeyRange.bound([accountId, path, -Infinity], [accountId, path, Infinity]);
      const req = tx.objectStore('messages').index('[accountId+path+date]').openKeyCursor(range, 'prev');
      let started = from === null;
      req.onsuccess = () => {
        const c = req.result;
        if (!c || out.length === CHUNK) {
          resolve(out);
          return;
        }
        const key = c.key as [string, string, number];
        const uid = (c.primaryKey as [string, string, number])[2];
        if (key[0] !== accountId || key[1] !== path) {
          resolve(out);
          return;
        }
        if (!started) {
          // Entries of the previous anchor's date that come before it in list order (higher
          // uids) were counted in the previous chunk: find the anchor itself, then step on.
          if (key[2] === from!.date && uid > from!.uid) {
            c.continue();
            return;
          }
          started = true;
          if (key[2] !== from!.date || uid !== from!.uid) {
            // The previous anchor is gone: the folder changed; the caller reads again.
            out.push({ date: key[2], uid, changes: -1 });
            resolve(out);
            return;
          }
          c.advance(step);
          return;
        }
        out.push({ date: key[2], uid, changes });
        c.advance(step);
      };
      req.onerror = () => reject(req.error);
    };
    folderReq.onerror = () => reject(folderReq.error);
    tx.onabort = () => reject(tx.error ?? new Error('aborted'));
  });
}

/** Forgets every anchor (tests). */
export function clearAnchors(): void {
  cache.clear();
  lastBuild.clear();
}
