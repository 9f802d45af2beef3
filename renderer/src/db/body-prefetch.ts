import type { MessageBody } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import type { FolderRecord, MessageKey, MessageRecord, PetrelDb } from './schema';
import { cmp } from 'dexie';
import { cursorOf, folderMessages, pageCursorOf, type PageCursor } from './queries';
import { readByKeys } from './read-keys';

/** The part of the engine connection this uses; `Connection<PetrelContract>` fits it. */
export interface PrefetchConnection {
  readonly state: { status: string };
  onState(listener: (state: { status: string }) => void): () => void;
  call(
    method: 'messages.bodies',
    params: { accountId: string; path: string; uidValidity: string; uids: number[]; sizes?: number[] },
  ): Promise<{ bodies: MessageBody[] }>;
}

export interface PrefetchOptions {
  /**
   * Messages larger than this are fetched only when opened. The engine leaves attachments on
   * the server (electron/core/sync/body-parts.ts), so a big message usually costs its text
   * only; the limit is for the rare giant that is all text. 0: no download at all.
   */
  maxMessageBytes?: number;
  /** Bodies per request (at most 200, the contract's limit). */
  batch?: number;
  /** Raw message bytes per request, so a batch of big messages stays a short request. */
  batchBytes?: number;
  /**
   * Requests in flight (default 3): the engine fetches and parses the next batches while this
   * one is stored. With 2 the engine could finish its batch before the page had stored
   * the one before and asked for another, and then wait: 3 took ~7% less time per unit of the
   * engine's CPU in the 10k download (bench/analysis.md). A message being opened goes ahead of
   * the queue (BodyFetcher), so more in flight does not delay it.
   */
  depth?: number;
  /** Pause between passes once everything is cached. */
  idleMs?: number;
  /**
   * Where folders found complete are remembered across restarts (default: localStorage;
   * null: only for this run).
   */
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
  /** The clock (tests). */
  now?: () => number;
}

export const OFFLINE_LIMIT_KEY = 'petrel.offlineBodyLimitBytes';
export const OFFLINE_COMPLETE_KEY = 'petrel.offlineComplete';
/** A folder found complete is walked in full again after this long (see CompleteFolders). */
export const FULL_PASS_EVERY_MS = 24 * 3600_000;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const PAGE = 500;

/** Which folders first: the inbox, then what people read, the bins last. */
const RANK: Record<string, number> = { inbox: 0, flagged: 1, sent: 2, archive: 3, drafts: 4, all: 8, junk: 9, trash: 9 };
const rank = (f: FolderRecord) => (f.specialUse ? (RANK[f.specialUse] ?? 5) : 5);

interface Completion {
  uidValidity: string;
  /** When a pass last walked the whole folder and found nothing missing (ms since epoch). */
  at: number;
}

/**
 * The folders a pass walked to the end with every wanted body stored, for the size limit in
 * force, remembered across restarts. Without it the first pass after every start walked every
 * folder to its end, reading every message record and looking up every body: at 100k messages
 * seconds of the IndexedDB backend, competing with the first folder the person opens (the
 * bigger share of that wait was the search worker's start; see worker-core.ts). A pass over a
 * complete folder stops at its first page with nothing missing. What that misses is a message
 * that entered the folder below its newest page (moved in by another client with an old date):
 * so a complete folder is walked in full again once a day (not in the first pass after a start,
 * which competes with the app opening), and such a message is fetched when opened meanwhile, as
 * any message is.
 */
class CompleteFolders {
  private readonly map = new Map<string, Completion>();

  constructor(
    private readonly storage: Pick<Storage, 'getItem' | 'setItem'> | null,
    private readonly maxBytes: number,
  ) {
    try {
      const saved = JSON.parse(storage?.getItem(OFFLINE_COMPLETE_KEY) ?? 'null') as unknown;
      // Found complete under another size limit: nothing to go by.
      if (!isRecord(saved) || saved['maxBytes'] !== maxBytes || !isRecord(saved['folders'])) return;
      for (const [id, c] of Object.entries(saved['folders'])) {
        if (isRecord(c) && typeof c['uidValidity'] === 'string' && typeof c['at'] === 'number') this.map.set(id, { uidValidity: c['uidValidity'], at: c['at'] });
      }
    } catch {
      // Unreadable: walked again, as on a first start.
    }
  }

  get(id: string): Completion | undefined {
    return this.map.get(id);
  }

  set(id: string, c: Completion): void {
    this.map.set(id, c);
    try {
      this.storage?.setItem(OFFLINE_COMPLETE_KEY, JSON.stringify({ maxBytes: this.maxBytes, folders: Object.fromEntries(this.map) }));
    } catch {
      // Storage full or refused: remembered for this run only.
    }
  }
}

/** Whether list position `a` comes before `b` (newest first; equal dates by key, highest first). */
function listedBefore(a: PageCursor, b: PageCursor): boolean {
  return a.date !== b.date ? a.date > b.date : cmp(a.key, b.key) > 0;
}

/** The page's localStorage, or null where there is none (Node, or storage refused). */
function pageStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Downloads message bodies in the background so every cached message is readable offline:
 * all folders, newest first, a batch at a time, only while the engine is connected. Only
 * messages over 32 MB are left for when they are opened. A folder is scanned from its
 * newest message down until a page is already complete, so later passes cost little.
 */
export class BodyPrefetcher {
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly complete: CompleteFolders;
  /** Folders still in their first sync: where the last pass ended, everything above it stored. */
  private readonly walked = new Map<string, { uidValidity: string; after: PageCursor }>();
  private passes = 0;
  private readonly now: () => number;
  private readonly maxBytes: number;
  private readonly batch: number;
  private readonly batchBytes: number;
  private readonly depth: number;
  private readonly idleMs: number;

  constructor(
    private readonly db: PetrelDb,
    private readonly conn: PrefetchConnection,
    options: PrefetchOptions = {},
  ) {
    this.maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_BYTES;
    this.batch = Math.min(200, options.batch ?? 200);
    this.batchBytes = options.batchBytes ?? 3 * 1024 * 1024;
    this.depth = Math.max(1, options.depth ?? 3);
    this.idleMs = options.idleMs ?? 20_000;
    this.now = options.now ?? Date.now;
    this.complete = new CompleteFolders(options.storage === undefined ? pageStorage() : options.storage, this.maxBytes);
  }

  start(): this {
    const off = this.conn.onState(() => this.wake?.());
    void this.loop().finally(off);
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** New mail arrived or the person asked: run a pass now. */
  poke(): void {
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (this.conn.state.status !== 'connected') {
        await this.sleep(60_000);
        continue;
      }
      try {
        await this.pass();
        await this.sleep(this.idleMs);
      } catch (e) {
        // Disconnected or the engine refused: wait and try again; nothing is lost.
        if (!(e instanceof PetrelError)) console.error('offline body download failed', e);
        await this.sleep(5_000);
      }
    }
  }

  /** One pass over every folder; returns when all are complete (or the connection dropped). */
  async pass(): Promise<number> {
    // Off: not even a walk (it would read every record of every folder to find nothing wanted).
    if (this.maxBytes <= 0) return 0;
    const first = this.passes++ === 0;
    let fetched = 0;
    const folders = (await this.db.folders.toArray())
      .filter((f) => f.uidValidity !== null && f.cachedTotal > 0)
      .sort((a, b) => rank(a) - rank(b));
    for (const f of folders) {
      if (this.stopped || this.conn.state.status !== 'connected') break;
      fetched += await this.folderPass(f, first);
    }
    return fetched;
  }

  private async folderPass(f: FolderRecord, firstOfRun: boolean): Promise<number> {
    const id = `${f.accountId}\u0000${f.path}`;
    // A first sync still storing older messages (or not begun): they arrive below the list's
    // end, so the folder cannot be complete yet; a pass walks its top (new mail) and then goes
    // on from where the last pass ended, instead of reading everything in between again.
    const cursor = await cursorOf(this.db, f.accountId, f.path);
    const syncing = !cursor || cursor.uidValidity !== f.uidValidity || cursor.partialBelow !== undefined;
    const resume = syncing ? this.walked.get(id) : undefined;
    const known = this.complete.get(id);
    // Complete when last walked in full after its sync, and that was recently enough to go by;
    // the daily full walk is never the first pass of a run, which runs while the app starts.
    const complete = !syncing && known?.uidValidity === f.uidValidity && (firstOfRun || this.now() - known.at < FULL_PASS_EVERY_MS);
    let fetched = 0;
    // Requests in flight, oldest first; stored in that order as they come back.
    const inFlight: Promise<MessageBody[]>[] = [];
    const active = () => !this.stopped && this.conn.state.status === 'connected';
    const send = (batch: MessageRecord[]) => {
      const uids = batch.map((m) => m.uid);
      const sizes = batch.map((m) => m.size);
      const p = this.conn
        .call('messages.bodies', { accountId: f.accountId, path: f.path, uidValidity: f.uidValidity!, uids, sizes })
        .then((r) => r.bodies);
      p.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      inFlight.push(p);
    };
    const storeOldest = async () => {
      const bodies = await inFlight.shift()!;
      await this.store(bodies);
      fetched += bodies.length;
    };
    // Pages newest first, each after the last one's message (an offset would walk the index
    // from the top for every page: quadratic, hours of cursor steps for 100k).
    let after: PageCursor | undefined;
    while (!this.stopped) {
      const page = await folderMessages(this.db, f.accountId, f.path, { limit: PAGE, after });
      if (page.length === 0) break;
      const top = after === undefined;
      after = pageCursorOf(page[page.length - 1]!);
      if (top && resume?.uidValidity === f.uidValidity && listedBefore(after, resume.after)) after = resume.after;
      const candidates = page.filter((m) => m.size <= this.maxBytes && m.uidValidity === f.uidValidity);
      // Which are stored already: their keys only (a body's value can be megabytes of text).
      const have = new Set(
        candidates.length === 0
          ? []
          : (await this.db.bodies
              .where(':id')
              .anyOf(candidates.map((m): MessageKey => [m.accountId, m.path, m.uid]))
              .primaryKeys()).map((k) => k[2]),
      );
      const wanted = candidates.filter((m) => !have.has(m.uid));
      // Once a folder was complete, a page with nothing missing means the rest is too.
      if (wanted.length === 0 && inFlight.length === 0 && complete) return fetched;
      for (let i = 0; i < wanted.length; ) {
        let bytes = wanted[i]!.size;
        let j = i + 1;
        while (j < wanted.length && j - i < this.batch && bytes + wanted[j]!.size <= this.batchBytes) bytes += wanted[j++]!.size;
        if (!active()) break;
        send(wanted.slice(i, j));
        i = j;
        if (inFlight.length >= this.depth) await storeOldest();
      }
      if (!active()) break;
      if (page.length < PAGE) break;
    }
    while (inFlight.length > 0) await storeOldest();
    if (!active()) return fetched;
    if (!syncing) this.complete.set(id, { uidValidity: f.uidValidity!, at: this.now() });
    else if (after) this.walked.set(id, { uidValidity: f.uidValidity!, after });
    return fetched;
  }

  /** Stores a batch, only for messages still cached under the same UIDVALIDITY. */
  private async store(bodies: MessageBody[]): Promise<void> {
    if (bodies.length === 0) return;
    await this.db.transaction('rw', [this.db.messages, this.db.bodies], async () => {
      const keys = bodies.map((b): MessageKey => [b.accountId, b.path, b.uid]);
      const messages = await readByKeys(this.db.messages, keys);
      const keep = bodies.filter((b, i) => messages[i]?.uidValidity === b.uidValidity);
      // One write, which Dexie reports as a range of the table: the search worker finds the new
      // bodies in it by their keys (worker-core.ts, applyChanges).
      await this.db.bodies.bulkPut(
        keep.map((b) => ({
          accountId: b.accountId,
          path: b.path,
          uidValidity: b.uidValidity,
          uid: b.uid,
          html: b.html,
          text: b.text,
          attachments: b.attachments,
        })),
      );
    });
  }
}

/** The size limit the person set (localStorage): 0 turns the download off; absent or invalid, the default. */
export function offlineLimitBytes(storage: Pick<Storage, 'getItem'> = localStorage): number {
  const raw = storage.getItem(OFFLINE_LIMIT_KEY);
  const n = raw === null || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_MAX_BYTES;
}
