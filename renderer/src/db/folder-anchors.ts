import type { PetrelDb } from './schema';

/**
 * Anchors for jumping into a long folder list: the (date, uid) of every STEP-th message in list
 * order (newest first, ties by uid, highest first), read once by walking the date index's keys
 * with IDBCursor.advance (no key or value is materialised between anchors: ~100 cursor steps for
 * 100k messages, where getAllKeys would build 100k compound keys, 0.4-1.8 s in Chromium).
 *
 * A window at position p then starts from the anchor before p and walks at most STEP entries,
 * instead of walking p entries from the top (IDBCursor.advance is linear: 30-350 ms for 50k).
 * An anchor is used only after checking it is still at its position (one count of the entries
 * above it, a fast native count; see folderWindow in queries.ts), so anchors read before a
 * change are never trusted: they are dropped and read again later.
 */

export const ANCHOR_STEP = 1000;

export interface Anchor {
  /** Position in the list (a multiple of the step). */
  position: number;
  date: number;
  uid: number;
}

interface FolderAnchors {
  step: number;
  anchors: { date: number; uid: number }[];
}

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
  return a ? { position: i * entry.step, date: a.date, uid: a.uid } : null;
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

function walk(idb: IDBDatabase, accountId: string, path: string, step: number): Promise<{ date: number; uid: number }[]> {
  return new Promise((resolve, reject) => {
    const tx = idb.transaction('messages', 'readonly');
    const range = IDBKeyRange.bound([accountId, path, -Infinity], [accountId, path, Infinity]);
    const req = tx.objectStore('messages').index('[accountId+path+date]').openKeyCursor(range, 'prev');
    const out: { date: number; uid: number }[] = [];
    req.onsuccess = () => {
      const c = req.result;
      if (!c) {
        resolve(out);
        return;
      }
      out.push({ date: (c.key as [string, string, number])[2], uid: (c.primaryKey as [string, string, number])[2] });
      c.advance(step);
    };
    req.onerror = () => reject(req.error);
    tx.onabort = () => reject(tx.error ?? new Error('aborted'));
  });
}

/** Forgets every anchor (tests). */
export function clearAnchors(): void {
  cache.clear();
  lastBuild.clear();
}
