import type { FolderRecord, PetrelDb } from './schema';

/**
 * Anchors for jumping into a long list: the (date, uid) of every STEP-th message in list order
 * (newest first, ties by uid, highest first), read once by walking the date index's keys with
 * IDBCursor.advance (no key or value is materialised between anchors: 1,000 cursor steps for
 * 100k messages, where getAllKeys would build 100k compound keys, 0.4-1.8 s in Chromium).
 *
 * A folder window at position p then starts from the anchor before p and walks at most about
 * STEP entries, instead of walking p entries from the top (IDBCursor.advance is linear: 30-350
 * ms for 50k); the unified inbox merges INBOXes by their anchors (unified-inbox.ts), where every
 * entry between two anchors may be read or counted, so the step is small. Each anchor
 * remembers the folder's `changes` (FolderRecord) when it was read. At the same value the list
 * is as it was; after it, the folder row's log of the latest changes (`recent`, kept by Counts
 * in apply-deltas.ts) says how many messages joined or left above the anchor, so new mail,
 * deletions and moves shift it instead of making it stale, and a first sync adding older mail
 * below it leaves it in place (`deep`). An anchor older than the log is not used, and the
 * anchors are read again in the background (MessageList); a wrong position is never used.
 *
 * The walk runs in short transactions of CHUNK anchors each: a read-only transaction on
 * `messages` holds back every write to it (a first sync) until it ends, and one walk of 100k
 * under a sync took 1-7 s.
 */

export const ANCHOR_STEP = 100;
/** A folder list at least this long has its anchors read in the background (see MessageList). */
export const LONG_LIST = 2000;

export interface AnchorEntry {
  date: number;
  uid: number;
  changes: number;
}

interface FolderAnchors {
  step: number;
  /** The folder's UIDVALIDITY when they were read (a folder deleted and made again has another). */
  uidValidity: string | null;
  anchors: AnchorEntry[];
}

/** Anchors read per transaction (see the module comment). */
const CHUNK = 100;

const MAX_FOLDERS = 16;
/** Read again at most this often after anchors turned out stale (a folder changing during a sync). */
const REBUILD_MIN_INTERVAL_MS = 2000;

/**
 * The anchors of the last MAX_FOLDERS folders used, kept in memory and in localStorage: they
 * stay right across restarts while the folder's `changes` stays the same, so the first jump
 * after the app opens does not walk the folder.
 */
class AnchorCache {
  private readonly map = new Map<string, FolderAnchors>();
  private loaded = false;

  constructor(private storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null) {}

  use(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null): void {
    this.storage = storage;
    this.map.clear();
    this.loaded = false;
  }

  get(key: string): FolderAnchors | undefined {
    this.load();
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: FolderAnchors): void {
    this.load();
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > MAX_FOLDERS) this.map.delete(this.map.keys().next().value!);
    this.save();
  }

  delete(key: string): void {
    this.load();
    if (this.map.delete(key)) this.save();
  }

  /** `memoryOnly`: as after a restart (tests). */
  clear(memoryOnly = false): void {
    this.map.clear();
    this.loaded = false;
    if (!memoryOnly) this.save();
  }

  save(): void {
    if (!this.storage) return;
    try {
      const folders = [...this.map].map(([key, f]) => [key, f.step, f.uidValidity, f.anchors.map((a) => [a.date, a.uid, a.changes])]);
      if (folders.length === 0) this.storage.removeItem(STORAGE_KEY);
      else this.storage.setItem(STORAGE_KEY, JSON.stringify({ v: 1, folders }));
    } catch {
      // Full or unavailable: anchors are only a cache.
    }
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!this.storage) return;
    try {
      const raw = this.storage.getItem(STORAGE_KEY);
      const data = raw ? (JSON.parse(raw) as { v?: unknown; folders?: unknown }) : null;
      if (!data || data.v !== 1 || !Array.isArray(data.folders)) return;
      for (const item of data.folders.slice(-MAX_FOLDERS) as unknown[]) {
        const parsed = parseFolder(item);
        if (parsed) this.map.set(parsed[0], parsed[1]);
      }
    } catch {
      // Damaged: start without.
    }
  }
}

const STORAGE_KEY = 'petrel.folderAnchors';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function parseFolder(item: unknown): [string, FolderAnchors] | null {
  if (!Array.isArray(item) || item.length !== 4) return null;
  const [key, step, uidValidity, list] = item as unknown[];
  if (typeof key !== 'string' || !isNum(step) || step < 1 || !(uidValidity === null || typeof uidValidity === 'string') || !Array.isArray(list)) return null;
  const anchors: AnchorEntry[] = [];
  for (const a of list as unknown[]) {
    if (!Array.isArray(a) || !isNum(a[0]) || !isNum(a[1]) || !isNum(a[2])) return null;
    anchors.push({ date: a[0], uid: a[1], changes: a[2] });
  }
  return [key, { step, uidValidity, anchors }];
}

const cache = new AnchorCache(typeof localStorage === 'undefined' ? null : localStorage);
const building = new Map<string, Promise<void>>();
const lastBuild = new Map<string, number>();
const scheduled = new Set<string>();

const cacheKey = (db: PetrelDb, accountId: string, path: string) => `${db.name}\u0000${accountId}\u0000${path}`;

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

/** The highest place touched by the changes after `changes` that left the log (FolderRecord.deep). */
function deepTop(steps: readonly number[], changes: number): { date: number; uid: number } | null {
  let at = 0;
  for (let i = 0; i + 2 < steps.length; i += 3) if (steps[i]! <= changes + 1) at = i;
  return steps.length >= 3 ? { date: steps[at + 1]!, uid: steps[at + 2]! } : null;
}

/** Whether every anchor of the folder can be placed in its list as it is now (currentAnchors). */
export function anchorsUsable(db: PetrelDb, folder: AnchorFolder): boolean {
  return currentAnchors(db, folder)?.all === true;
}

/** An anchor and its position in the folder's list. */
export interface AnchorAt {
  position: number;
  date: number;
  uid: number;
}

/** What of a folder's row tells where its anchors are now. */
export type AnchorFolder = Pick<FolderRecord, 'accountId' | 'path' | 'changes' | 'uidValidity' | 'recent' | 'recentFrom' | 'deep'>;

/**
 * The folder's anchors where their messages are now, position 0 first: each read at the
 * folder's present `changes` as it is; one read before, moved by the changes since (the row's
 * `recent` log: +1 for each message that joined above it, -1 for each that left above it), or as
 * it is when every change since left the log below it (`deep`: a first sync adding older mail);
 * one whose message left or moved is skipped. `all`: no anchor was too old to place (else the
 * ones that could be are returned). Null: none can be used.
 */
export function currentAnchors(db: PetrelDb, folder: AnchorFolder): { anchors: AnchorAt[]; all: boolean } | null {
  const entry = cache.get(cacheKey(db, folder.accountId, folder.path));
  if (!entry || entry.uidValidity !== folder.uidValidity) return null;
  return placeAnchors(entry.anchors, entry.step, folder);
}

/** currentAnchors for anchors read every `step` entries (exported for tests). */
export function placeAnchors(read: readonly AnchorEntry[], step: number, folder: AnchorFolder): { anchors: AnchorAt[]; all: boolean } | null {
  const changes = folder.changes ?? 0;
  const recentFrom = folder.recentFrom ?? changes;
  const log = folder.recent ?? [];
  const deep = folder.deep;
  const anchors: AnchorAt[] = [];
  let all = true;
  for (const [i, a] of read.entries()) {
    let position = i * step;
    if (a.changes !== changes) {
      const top = deep && a.changes >= deep.from ? deepTop(deep.steps, a.changes) : null;
      const aboveDeep = top !== null && (a.date > top.date || (a.date === top.date && a.uid > top.uid));
      if (a.changes > changes || (a.changes < recentFrom && !aboveDeep)) {
        all = false;
        continue;
      }
      let gone = false;
      for (let k = 0; k < log.length; k += 4) {
        if (log[k]! <= a.changes) continue;
        const date = log[k + 1]!;
        const uid = log[k + 2]!;
        if (uid === a.uid) gone = true;
        else if (date > a.date || (date === a.date && uid > a.uid)) position += log[k + 3]!;
      }
      if (gone) continue;
    }
    anchors.push({ position, date: a.date, uid: a.uid });
  }
  return anchors.length > 0 ? { anchors, all } : null;
}

/** Whether anchors of the folder are cached (tests). */
export function hasAnchors(db: PetrelDb, accountId: string, path: string): boolean {
  return cache.has(cacheKey(db, accountId, path));
}

/**
 * Reads the folder's anchors (once at a time per folder). Runs outside any Dexie transaction
 * and outside live queries: it is a cache, placed by the folder's change log when used.
 */
export function buildFolderAnchors(db: PetrelDb, accountId: string, path: string, step: number = ANCHOR_STEP): Promise<void> {
  const key = cacheKey(db, accountId, path);
  const running = building.get(key);
  if (running) return running;
  const job = (async () => {
    lastBuild.set(key, Date.now());
    await db.open();
    const { anchors, uidValidity } = await walk(db.backendDB(), accountId, path, step);
    cache.set(key, { step, uidValidity, anchors });
  })().finally(() => building.delete(key));
  building.set(key, job);
  return job;
}

async function walk(idb: IDBDatabase, accountId: string, path: string, step: number): Promise<{ anchors: AnchorEntry[]; uidValidity: string | null }> {
  const out: AnchorEntry[] = [];
  let uidValidity: string | null | undefined;
  for (;;) {
    const last = out[out.length - 1];
    const chunk = await walkChunk(idb, accountId, path, step, last ?? null);
    uidValidity ??= chunk.uidValidity;
    const more = chunk.anchors;
    // The folder changed between two chunks: what follows may be off. The anchors read so far
    // are kept (a folder that is still growing gets the rest on a later read).
    if (last && more[0] && (more[0].changes !== last.changes || chunk.uidValidity !== uidValidity)) return { anchors: out, uidValidity };
    out.push(...more);
    if (more.length < CHUNK) return { anchors: out, uidValidity };
  }
}

/**
 * Up to CHUNK anchors in one transaction: from the top, or `step` entries after `from` (the
 * previous chunk's last anchor, which must still be in its place: same `changes`).
 */
function walkChunk(
  idb: IDBDatabase,
  accountId: string,
  path: string,
  step: number,
  from: AnchorEntry | null,
): Promise<{ anchors: AnchorEntry[]; uidValidity: string | null }> {
  return new Promise((resolveChunk, reject) => {
    const tx = idb.transaction(['messages', 'folders'], 'readonly');
    const out: AnchorEntry[] = [];
    let changes = 0;
    let uidValidity: string | null = null;
    const resolve = (anchors: AnchorEntry[]) => resolveChunk({ anchors, uidValidity });
    const folderReq = tx.objectStore('folders').get([accountId, path]);
    folderReq.onsuccess = () => {
      const folder = folderReq.result as FolderRecord | undefined;
      changes = folder?.changes ?? 0;
      uidValidity = folder?.uidValidity ?? null;
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

/** Forgets every anchor; `memoryOnly` keeps the stored ones, as a restart does (tests). */
export function clearAnchors(options: { memoryOnly?: boolean } = {}): void {
  cache.clear(options.memoryOnly);
  lastBuild.clear();
}

/** Where anchors are kept between runs (default localStorage; tests pass their own or null). */
export function useAnchorStorage(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null): void {
  cache.use(storage);
}
