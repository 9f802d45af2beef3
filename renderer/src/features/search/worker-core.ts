/**
 * The search worker's logic, kept apart from the Worker global so tests run it in-process
 * (`attachSearchWorker` over any message port).
 *
 * It owns a SearchIndex built from the app's IndexedDB, read directly (Dexie works in a
 * worker; it only reads, never writes mail state):
 *
 * - Start (put off by `startDelayMs` unless a query comes first, so it does not compete with
 *   the app opening; queries wait while it is read): the index saved by the previous run
 *   (snapshot-store.ts, its own `petrel-search` database) if there is one, so answers are
 *   complete at once; then one scan of `messages`
 *   in primary-key pages (the next page read while this one is indexed, bodies fetched for
 *   the keys that have one). Without a snapshot the scan builds the index, answering
 *   queries between pages from what is indexed so far; with one it checks every record
 *   against it (a fingerprint: unchanged records are not tokenized again, nor their cached
 *   bodies read) and drops what is gone. Nothing marks changed records in the mail store,
 *   so this read is needed to catch what changed while no worker ran (bench.ts measures
 *   both: ~6-8 s for 100k headers on a loaded 2-core machine, most of it IndexedDB reads).
 *   The snapshot is saved after the scan and after changes settle.
 * - Then: Dexie's `storagemutated` event, which every Dexie instance of the origin receives
 *   over a BroadcastChannel (the page writes, this worker hears), names the changed primary
 *   keys of a write (every key of a bulkDelete and of a put of fewer than 50 records, a key
 *   range for a range delete, and the whole table for a put of 50 or more: Dexie does not
 *   track big writes key by key). Only those records are read again: a flag change updates
 *   columns in place, a changed text is re-tokenized, a missing record is removed. A whole-table
 *   range means reading every record again, so writes that come in a burst (a first sync,
 *   batch after batch) are indexed together once the burst pauses (`burstQuietMs`).
 * - Queries: parsed here, matched in the index, phrases checked against the records, server
 *   hits merged, then the page newest first. A newer query supersedes older ones.
 */
import { cmp, Dexie, type IntervalTree, type IntervalTreeNode, type ObservabilitySet } from 'dexie';
import { firstSyncUnderWay, type BodyRecord, type FolderRecord, type MessageKey, type MessageRecord, type PetrelDb } from '../../db/schema';
import type { ClientMessage, IndexStatus, SearchPage, ServerFolderHits, WorkerMessage } from './protocol';
import { folderMatches } from './folders';
import { readByKeys } from '../../db/read-keys';
import { isEmptyQuery, parseQuery, type SearchQuery } from './query';
import { fieldTexts, folderKeyString, messageKeyString, SearchIndex, type PhraseCheck } from './search-index';
import type { SnapshotStore } from './snapshot-store';
import { containsUnits, units } from './text';

export interface SearchWorkerOptions {
  /** Records read per scan step. */
  scanPage?: number;
  /** Changed records read per step. */
  changePage?: number;
  /** Least time between two status messages while indexing or after changes. */
  statusIntervalMs?: number;
  /** Time to spend checking phrases word by word per answer (at least one chunk). Default 60 ms. */
  phraseBudgetMs?: number;
  /** Hear the database's writes (default true; tests of the scan alone turn it off). */
  observe?: boolean;
  /** Where the index is saved between runs (none: rebuilt on every start). */
  snapshots?: SnapshotStore | null;
  /**
   * Changes that come in a burst (a mutation less than this after the one before: a first sync
   * writing batch after batch) wait until the burst pauses this long. A lone change (new mail,
   * a flag) is indexed at once. Default 1000 ms.
   */
  burstQuietMs?: number;
  /**
   * A burst's pause must also be three times the last gap between its writes, up to this
   * (default 5000 ms): under load a first sync commits every 1-2 s, and each longer-than-1-s
   * gap ended the burst, so the whole store was read back again and again while it was written.
   */
  burstQuietMaxMs?: number;
  /**
   * ...but never wait longer than this after the first waiting change. Default 60 s: a first sync
   * of 100k headers takes about 40 s here, and the folders it fills are searched on the server
   * until their sync is complete (server-search.ts).
   */
  burstMaxLagMs?: number;
  /**
   * While a first sync is under way (a cursor with `partialBelow` is stored), a burst ends only
   * after this much quiet (default 10 s), and the longest lag is `firstSyncMaxLagMs` (default
   * 5 min). Its batches come in bursts with a pause between them while the engine fetches the
   * next 5,000 (2-3 s at 100k here), which ended the burst: the worker read back every new
   * record during the sync, one request each, on the cores the sync writes with (benchmark:
   * ~20k records at a time, between the sync's batches). The folders it fills are searched on the server meanwhile.
   */
  firstSyncQuietMs?: number;
  firstSyncMaxLagMs?: number;
  /**
   * With a snapshot store: how long after start() the saved index is read and checked, unless a
   * query comes first or nothing is cached yet (default 0; the app's worker waits 10 s). Reading it and checking every
   * record against it keeps a core and IndexedDB busy for seconds at 100k, and the first folder
   * opened after a start waited for them (benchmark: 400-800 ms instead of ~50, jumps ~120
   * instead of ~65). Changes written meanwhile wait, as during the read; the check covers them.
   */
  startDelayMs?: number;
  /** Save this long after the last change (and at least every `snapshotMaxWaitMs` while changes go on). */
  snapshotDelayMs?: number;
  snapshotMaxWaitMs?: number;
  now?: () => number;
}

interface QueryRequest {
  id: number;
  text: string;
  offset: number;
  limit: number;
  server?: ServerFolderHits[];
}

interface Evaluated {
  cacheKey: string;
  /** Settled results: matches (phrases checked) and server hits the cache has. */
  docs: number[];
  /** Phrase candidates not checked yet, oldest first. */
  pending: number[];
  /** Date of the oldest candidate checked so far. */
  frontier: number;
  phrases: PhraseCheck[];
  serverMerged: number;
  serverOnly: number;
  errors: string[];
}

interface ScanState {
  lastKey: MessageKey | null;
  /** The index version when the scan began (unchanged at the end: nothing to save). */
  versionAtStart: number;
  /** The next page, already asked for while this one is indexed. */
  next: Promise<MessageRecord[]> | null;
  bodyKeys: Set<string>;
  /** Keys met by this scan, to drop stale documents of a rescan at its end. */
  seen: Set<string> | null;
  started: number;
}

class Cancelled extends Error {}

export class SearchWorkerCore {
  private idx = new SearchIndex();
  private readonly opts: Required<Omit<SearchWorkerOptions, 'now' | 'snapshots'>> & { now: () => number };
  private readonly snapshots: SnapshotStore | null;
  private status: IndexStatus = { phase: 'starting', indexed: 0, total: 0, version: 0, buildMs: null, restored: false };
  /** The snapshot is being read: changes wait (the scan after it reads everything anyway). */
  private loading = false;
  private saveDue: number | null = null;
  private firstUnsavedChange: number | null = null;
  /**
   * A save under way. Queries and changes go on meanwhile: only building the snapshot and
   * IndexedDB's structured clone of it hold this thread, and the write itself (tens of MB at
   * 100k messages, hundreds of ms) is the database's. A query used to wait for all of it.
   */
  private saving: Promise<void> | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set while the start is put off (startDelayMs). */
  private startTimer: ReturnType<typeof setTimeout> | undefined;
  private flushRequested = false;
  private scan: ScanState | null = null;
  private pendingQuery: QueryRequest | null = null;
  private latestQueryId = -1;
  private readonly changedKeys = new Map<string, MessageKey>();
  /** Changed key ranges (a range delete; any bulk write of 50 or more records, see onMutated). */
  private changedRanges: ChangedRange[] = [];
  /**
   * Changed keys whose body may have changed (named by a write to `bodies`, or inside a changed
   * range). Others have a body only if the index says so: a body is stored only for a cached
   * message and removed with it, so a message new to the index comes without one.
   */
  private readonly bodyMaybe = new Set<string>();
  /** When the oldest waiting change came, when the latest did, and whether they come in a burst. */
  private changesSince: number | null = null;
  private lastMutationAt = -Infinity;
  /** The gap before the last write, when it was short enough to be within a burst (else 0). */
  private recentGap = 0;
  private inBurst = false;
  /**
   * A pass over the waiting changes is under way: its keys are read to the end, while ranges
   * arriving meanwhile wait for the next pass (each whole-table range would otherwise put every
   * key back in the queue, and a long burst, such as an offline download, would never let go).
   */
  private draining = false;
  private changeTimer: ReturnType<typeof setTimeout> | undefined;
  private folders: FolderRecord[] | null = null;
  private running = false;
  private closed = false;
  private lastStatusAt = 0;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;
  private lastEval: Evaluated | null = null;
  private readonly unobserve: () => void;
  private readonly parts: { messages: string; bodies: string; folders: string; cursors: string };
  /** Whether a first sync is under way (see firstSyncQuietMs), as of the last read of the cursors. */
  private firstSync = false;
  private firstSyncRead: Promise<void> | null = null;
  private firstSyncStale = false;

  constructor(
    readonly db: PetrelDb,
    private readonly post: (m: WorkerMessage) => void,
    options: SearchWorkerOptions = {},
  ) {
    this.opts = {
      scanPage: options.scanPage ?? 2000,
      changePage: options.changePage ?? 2000,
      statusIntervalMs: options.statusIntervalMs ?? 250,
      observe: options.observe ?? true,
      phraseBudgetMs: options.phraseBudgetMs ?? 60,
      burstQuietMs: options.burstQuietMs ?? 1000,
      burstQuietMaxMs: options.burstQuietMaxMs ?? 5000,
      burstMaxLagMs: options.burstMaxLagMs ?? 60_000,
      firstSyncQuietMs: options.firstSyncQuietMs ?? 10_000,
      firstSyncMaxLagMs: options.firstSyncMaxLagMs ?? 300_000,
      startDelayMs: options.startDelayMs ?? 0,
      snapshotDelayMs: options.snapshotDelayMs ?? 20_000,
      snapshotMaxWaitMs: options.snapshotMaxWaitMs ?? 120_000,
      now: options.now ?? (() => performance.now()),
    };
    this.snapshots = options.snapshots ?? null;
    const base = `idb://${db.name}/`;
    this.parts = { messages: `${base}messages/`, bodies: `${base}bodies/`, folders: `${base}folders/`, cursors: `${base}cursors/` };
    const listener = (parts: ObservabilitySet) => this.onMutated(parts);
    if (this.opts.observe) {
      Dexie.on('storagemutated', listener);
      this.unobserve = () => Dexie.on.storagemutated.unsubscribe(listener);
      // A start in the middle of a first sync (the app was closed during it).
      this.readFirstSync();
    } else {
      this.unobserve = () => undefined;
    }
  }

  get index(): SearchIndex {
    return this.idx;
  }

  /**
   * Loads the saved index if there is one (answers come from it at once), then scans the
   * database: a full build, or with a snapshot a check of every record against it. The
   * listener is already on, so nothing written meanwhile is missed.
   */
  start(): void {
    if (!this.snapshots) {
      this.beginScan(false);
      return;
    }
    this.loading = true;
    if (this.opts.startDelayMs <= 0) {
      this.load();
      return;
    }
    this.startTimer = setTimeout(() => this.load(), this.opts.startDelayMs);
    // Nothing cached yet (a new install, a first account): nothing to check, and a first sync
    // may be about to start, which the put-off start would land in the middle of. At once.
    void this.db.folders
      .toArray()
      .then((folders) => folders.every((f) => f.cachedTotal === 0))
      .catch(() => false)
      .then((empty) => {
        if (empty) this.startNow();
      });
  }

  /** The start put off by startDelayMs, now (a query came, or nothing is cached). */
  private startNow(): void {
    if (this.startTimer === undefined) return;
    this.load();
  }

  private load(): void {
    if (this.startTimer !== undefined) clearTimeout(this.startTimer);
    this.startTimer = undefined;
    if (this.closed) return;
    const started = this.opts.now();
    void this.snapshots!
      .load(this.db.name)
      .then((snap) => {
        const restored = snap ? SearchIndex.fromSnapshot(snap) : null;
        if (restored && !this.closed) {
          this.idx = restored;
          this.lastEval = null;
          this.status = { ...this.status, restored: true, restoreMs: Math.round(this.opts.now() - started) };
        }
      })
      .catch((e: unknown) => this.post({ type: 'error', id: null, message: `The saved search index could not be read: ${String(e)}` }))
      .finally(() => {
        this.loading = false;
        if (!this.closed) this.beginScan(this.idx.size > 0);
      });
  }

  get currentStatus(): IndexStatus {
    return { ...this.status, indexed: this.index.size, version: this.index.version };
  }

  receive(msg: ClientMessage): void {
    if (this.closed) return;
    switch (msg.type) {
      case 'query':
        this.startNow();
        if (this.pendingQuery) this.post({ type: 'cancelled', id: this.pendingQuery.id });
        this.pendingQuery = msg;
        this.latestQueryId = msg.id;
        this.pump();
        break;
      case 'cancel':
        if (this.pendingQuery?.id === msg.id) {
          this.pendingQuery = null;
          this.post({ type: 'cancelled', id: msg.id });
        }
        if (this.latestQueryId === msg.id) this.latestQueryId = -1;
        break;
      case 'flush':
        this.flushRequested = true;
        this.pump();
        break;
      case 'close':
        this.close();
        break;
      case 'init':
        break;
    }
  }

  close(): void {
    this.closed = true;
    this.unobserve();
    if (this.statusTimer !== undefined) clearTimeout(this.statusTimer);
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    if (this.changeTimer !== undefined) clearTimeout(this.changeTimer);
    if (this.startTimer !== undefined) clearTimeout(this.startTimer);
    this.snapshots?.close();
  }

  /** Saves the index now and waits for it (flush, tests; the worker saves by itself after changes settle). */
  async saveSnapshot(): Promise<void> {
    if (!this.snapshots) return;
    await this.saving;
    await this.beginSave();
  }

  /**
   * Takes the snapshot now and writes it without waiting (see `saving`). What changes after
   * this moment is unsaved again. A failed write is tried again later, not at once: a full disk
   * would otherwise have the worker retrying in a loop. Returns the write itself.
   */
  private beginSave(): Promise<void> {
    this.firstUnsavedChange = null;
    this.saveDue = null;
    const written = this.snapshots!.save(this.db.name, this.idx.toSnapshot());
    const saving = written
      .catch(() => {
        if (this.closed) return;
        // From now: a change that came during the write must not make the retry due at once.
        this.firstUnsavedChange = this.opts.now();
        this.scheduleSave(this.opts.snapshotMaxWaitMs);
      })
      .finally(() => {
        if (this.saving === saving) this.saving = null;
        if (!this.closed && this.hasWork()) this.pump();
      });
    this.saving = saving;
    return written;
  }

  /** Changed keys and ranges not indexed yet (tests). */
  get waitingChanges(): number {
    return this.changedKeys.size + this.changedRanges.length;
  }

  /** Resolves once nothing is queued, changes waiting for a burst to end included (tests). */
  async idle(): Promise<void> {
    while (this.running || this.hasWork() || (this.hasChanges() && !this.loading)) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Scheduling: queries first, then changes, then the scan; one step at a time.

  private hasWork(): boolean {
    // A query waits while the saved index is read (it would find nothing), then comes first.
    if (this.loading) return false;
    if (this.pendingQuery !== null) return true;
    return this.changesDue() || this.scan !== null || this.saveIsDue() || this.flushRequested;
  }

  private hasChanges(): boolean {
    return this.changedKeys.size > 0 || this.changedRanges.length > 0;
  }

  /**
   * Whether waiting changes are to be indexed now: not while a burst of writes goes on (a first
   * sync: indexing it batch by batch would read every record back from IndexedDB while the sync
   * still writes, on the same cores), unless the oldest has waited `burstMaxLagMs`. Otherwise a
   * timer comes back when they are due.
   */
  private changesDue(): boolean {
    if (!this.hasChanges()) return false;
    if (this.draining && this.changedKeys.size > 0) return true;
    if (!this.inBurst) return true;
    const now = this.opts.now();
    const maxLag = this.firstSync ? this.opts.firstSyncMaxLagMs : this.opts.burstMaxLagMs;
    const due = Math.min(this.lastMutationAt + this.burstQuiet(), (this.changesSince ?? now) + maxLag);
    if (now >= due) return true;
    if (this.changeTimer === undefined && !this.closed) {
      this.changeTimer = setTimeout(() => {
        this.changeTimer = undefined;
        this.pump();
      }, due - now + 1);
    }
    return false;
  }

  /** How long writes must pause to end a burst (see `burstQuietMaxMs`). */
  private burstQuiet(): number {
    const quiet = Math.min(this.opts.burstQuietMaxMs, Math.max(this.opts.burstQuietMs, 3 * this.recentGap));
    return this.firstSync ? Math.max(quiet, this.opts.firstSyncQuietMs) : quiet;
  }

  /**
   * Reads whether a first sync is under way (firstSyncUnderWay). One read at a time; a change
   * heard meanwhile reads again after it. When it ends, waiting changes are looked at again
   * (they are due after the usual pause then).
   */
  private readFirstSync(): void {
    if (this.closed) return;
    if (this.firstSyncRead) {
      this.firstSyncStale = true;
      return;
    }
    this.firstSyncRead = firstSyncUnderWay(this.db)
      .catch(() => false)
      .then((under) => {
        this.firstSyncRead = null;
        const changed = under !== this.firstSync;
        this.firstSync = under;
        if (changed && !this.closed) {
          if (this.changeTimer !== undefined) clearTimeout(this.changeTimer);
          this.changeTimer = undefined;
          this.pump();
        }
        if (this.firstSyncStale) {
          this.firstSyncStale = false;
          this.readFirstSync();
        }
      });
  }

  private saveIsDue(): boolean {
    return this.saveDue !== null && this.saving === null && this.scan === null && this.opts.now() >= this.saveDue;
  }

  /** A save after changes settle: `snapshotDelayMs` after the last, at most `snapshotMaxWaitMs` after the first. */
  private scheduleSave(delayMs = this.opts.snapshotDelayMs): void {
    if (!this.snapshots || this.closed) return;
    const now = this.opts.now();
    this.firstUnsavedChange ??= now;
    this.saveDue = Math.min(now + delayMs, this.firstUnsavedChange + this.opts.snapshotMaxWaitMs);
    this.armSaveTimer();
  }

  private armSaveTimer(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    if (this.saveDue === null || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      // A timer may fire a little early by `now()` (Node's loop clock lags under load); the
      // save would then not be due and nothing would come back for it: come back when it is.
      if (this.saveDue !== null && this.opts.now() < this.saveDue) this.armSaveTimer();
      else this.pump();
    }, Math.max(0, this.saveDue - this.opts.now()) + 1);
  }

  private pump(): void {
    if (this.running || this.closed) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      if (this.hasWork() && !this.closed) this.pump();
    });
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      try {
        if (this.loading) {
          return;
        } else if (this.pendingQuery) {
          const q = this.pendingQuery;
          this.pendingQuery = null;
          await this.runQuery(q);
        } else if (this.changesDue()) {
          await this.applyChanges();
        } else if (this.scan) {
          await this.scanStep(this.scan);
        } else if (this.saveIsDue()) {
          this.beginSave().catch((e: unknown) => {
            if (!this.closed) this.post({ type: 'error', id: null, message: `Saving the search index failed: ${e instanceof Error ? e.message : String(e)}` });
          });
        } else if (this.flushRequested) {
          this.flushRequested = false;
          const t = this.opts.now();
          await this.saveSnapshot();
          this.post({ type: 'flushed', ms: this.snapshots ? Math.round(this.opts.now() - t) : null });
        } else {
          return;
        }
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (this.scan) {
          this.scan = null;
          this.status = { ...this.status, phase: 'failed', error: message };
          this.sendStatus(true);
        }
        this.post({ type: 'error', id: null, message });
      }
      // Let queued messages (a newer query) in between steps.
      await new Promise((r) => setTimeout(r, 0));
    }
  }

  // -------------------------------------------------------------------------------------------
  // The first scan (and a full rescan when Dexie reports the whole database changed).

  private beginScan(rescan: boolean): void {
    this.scan = {
      versionAtStart: this.index.version,
      lastKey: null,
      next: null,
      bodyKeys: new Set(),
      seen: rescan && this.index.size > 0 ? new Set() : null,
      started: this.opts.now(),
    };
    this.status = { ...this.status, phase: 'indexing', error: undefined };
    this.pump();
  }

  private async scanStep(scan: ScanState): Promise<void> {
    const db = this.db;
    const versionBefore = scan.versionAtStart;
    if (scan.lastKey === null && scan.bodyKeys.size === 0) {
      const [total, bodyKeys] = await Promise.all([db.messages.count(), db.bodies.toCollection().primaryKeys()]);
      this.status.total = total;
      for (const k of bodyKeys) scan.bodyKeys.add(messageKeyString(k[0], k[1], k[2]));
      this.sendStatus(true);
    }
    const checking = scan.seen !== null;
    const page = await (scan.next ?? this.readPage(scan.lastKey));
    scan.next = null;
    const lastOfPage = page[page.length - 1];
    if (page.length === this.opts.scanPage && lastOfPage) {
      // IndexedDB reads the next page while this one is tokenized.
      scan.next = this.readPage(keyOf(lastOfPage));
      scan.next.catch(() => undefined);
    }
    // A restored index needs the text of new and changed messages only: unchanged ones are
    // brought up to date without reading their bodies (the index knows which have one).
    const stale = checking
      ? page.filter((m) => this.index.refresh(m, scan.bodyKeys.has(messageKeyString(m.accountId, m.path, m.uid))) === null)
      : page;
    const withBody = stale.filter((m) => scan.bodyKeys.has(messageKeyString(m.accountId, m.path, m.uid)));
    const bodies = withBody.length > 0 ? await db.bodies.bulkGet(withBody.map(keyOf)) : [];
    const bodyOf = new Map<string, BodyRecord>();
    for (const b of bodies) if (b) bodyOf.set(messageKeyString(b.accountId, b.path, b.uid), b);
    if (this.scan !== scan) return; // a rescan replaced this one
    for (const m of page) scan.seen?.add(messageKeyString(m.accountId, m.path, m.uid));
    for (const m of stale) this.index.upsert(m, bodyOf.get(messageKeyString(m.accountId, m.path, m.uid)) ?? null);
    const last = page[page.length - 1];
    if (last) scan.lastKey = keyOf(last);
    if (page.length < this.opts.scanPage) {
      if (scan.seen) {
        const seen = scan.seen;
        const gone = [...this.index.liveKeyStrings()].filter((k) => !seen.has(k));
        for (const k of gone) {
          const [a, p, u] = k.split('\u0000');
          this.index.remove(a!, p!, Number(u));
        }
      }
      this.scan = null;
      this.status = { ...this.status, phase: 'ready', total: this.index.size, buildMs: Math.round(this.opts.now() - scan.started) };
      this.sendStatus(true);
      // A fresh build, or a check that found changes: save soon.
      if (this.index.version !== versionBefore) this.scheduleSave(2000);
      return;
    }
    this.sendStatus(false);
  }

  private readPage(after: MessageKey | null): Promise<MessageRecord[]> {
    const limit = this.opts.scanPage;
    return after ? this.db.messages.where(':id').above(after).limit(limit).toArray() : this.db.messages.toCollection().limit(limit).toArray();
  }

  // -------------------------------------------------------------------------------------------
  // Changes

  private onMutated(parts: ObservabilitySet): void {
    if (this.closed) return;
    let touched = false;
    for (const [part, tree] of Object.entries(parts)) {
      if (part === 'all') {
        // Dexie says "everything may have changed" (e.g. the page came back from the bfcache).
        this.folders = null;
        this.beginScan(true);
        return;
      }
      if (part === this.parts.cursors) {
        this.readFirstSync();
        continue;
      }
      if (part === this.parts.folders) {
        this.folders = null;
        this.lastEval = null;
        touched = true;
        continue;
      }
      if (part !== this.parts.messages && part !== this.parts.bodies) continue;
      const bodies = part === this.parts.bodies;
      forEachRange(tree, (from, to) => {
        if (cmp(from, to) === 0 && isMessageKey(from)) {
          const ks = messageKeyString(from[0], from[1], from[2]);
          this.changedKeys.set(ks, from);
          if (bodies) this.bodyMaybe.add(ks);
        } else {
          this.changedRanges.push({ from, to, bodies });
        }
        touched = true;
      });
    }
    if (!touched) return;
    const now = this.opts.now();
    const gap = now - this.lastMutationAt;
    this.inBurst = gap < this.burstQuiet();
    this.recentGap = gap < this.opts.burstQuietMaxMs ? gap : 0;
    this.lastMutationAt = now;
    this.changesSince ??= now;
    this.pump();
  }

  private async applyChanges(): Promise<void> {
    const db = this.db;
    const versionBefore = this.index.version;
    // Ranges (a folder reset or removed, an account removed): drop what is gone, re-read the rest.
    // Overlapping ranges are read once: a burst of sync batches reports the whole table each time.
    // Taken at the start of a pass only.
    const ranges = this.draining && this.changedKeys.size > 0 ? [] : this.changedRanges.splice(0);
    this.draining = true;
    for (const { from, to } of mergeRanges(ranges.filter((r) => !r.bodies))) {
      const present = await db.messages.where(':id').between(from, to, true, true).primaryKeys();
      const presentSet = new Set(present.map((k) => messageKeyString(k[0], k[1], k[2])));
      for (const k of this.index.keysInRange(from, to)) {
        const ks = messageKeyString(k[0], k[1], k[2]);
        if (!presentSet.has(ks)) this.index.remove(k[0], k[1], k[2]);
        else this.changedKeys.set(ks, k);
      }
      for (const k of present) {
        const ks = messageKeyString(k[0], k[1], k[2]);
        if (this.index.docOf(ks) < 0) this.changedKeys.set(ks, k);
      }
    }
    // Bodies (the offline download writes 200 at a time, which Dexie reports as a range): a
    // message's cached body is the same text for as long as it is cached (search-index.ts,
    // fingerprint), so only bodies the index does not have yet, and bodies it has that are gone,
    // are read again; not every body in the range. Reading them all back and tokenizing them
    // again made any later batch of 50 or more cost a pass over every cached body (100k of them
    // after a full download); naming each key in smaller writes instead cost Dexie's change
    // tracking ~0.16 ms of the page's CPU per key (bench/analysis.md).
    for (const { from, to } of mergeRanges(ranges.filter((r) => r.bodies))) {
      const stored = await db.bodies.where(':id').between(from, to, true, true).primaryKeys();
      const storedSet = new Set<string>();
      for (const k of stored) {
        const ks = messageKeyString(k[0], k[1], k[2]);
        storedSet.add(ks);
        const doc = this.index.docOf(ks);
        if (doc >= 0 && this.index.hasBody(doc)) continue;
        this.changedKeys.set(ks, k);
        this.bodyMaybe.add(ks);
      }
      for (const k of this.index.keysInRange(from, to)) {
        const ks = messageKeyString(k[0], k[1], k[2]);
        if (storedSet.has(ks) || !this.index.hasBody(this.index.docOf(ks))) continue;
        this.changedKeys.set(ks, k);
        this.bodyMaybe.add(ks);
      }
    }
    // Keys, a page at a time.
    const batch: MessageKey[] = [];
    const bodyChanged = new Set<string>();
    for (const [ks, key] of this.changedKeys) {
      batch.push(key);
      this.changedKeys.delete(ks);
      if (this.bodyMaybe.delete(ks)) bodyChanged.add(ks);
      if (batch.length >= this.opts.changePage) break;
    }
    if (this.changedKeys.size === 0) {
      // The pass is over; ranges that came during it start the wait for the next one now.
      this.draining = false;
      this.changesSince = this.changedRanges.length > 0 ? this.opts.now() : null;
      if (this.changedRanges.length === 0) this.bodyMaybe.clear();
    }
    if (batch.length > 0) {
      const messages = await readByKeys(db.messages, batch);
      // A flag change of a message whose text is indexed (its body, if cached, untouched) is
      // made in place: its body is not read again. The rest is indexed anew, with its body.
      const fresh: MessageRecord[] = [];
      batch.forEach((key, i) => {
        const m = messages[i];
        const ks = messageKeyString(key[0], key[1], key[2]);
        // During the first scan, a key the scan has not reached yet is left to it.
        if (!m) this.index.remove(key[0], key[1], key[2]);
        else if (bodyChanged.has(ks) || this.index.refresh(m, this.index.hasBody(this.index.docOf(ks))) === null) fresh.push(m);
      });
      const withBody = fresh.filter((m) => {
        const ks = messageKeyString(m.accountId, m.path, m.uid);
        return bodyChanged.has(ks) || this.index.hasBody(this.index.docOf(ks));
      });
      const bodies = withBody.length > 0 ? await readByKeys(db.bodies, withBody.map(keyOf)) : [];
      const bodyOf = new Map<string, BodyRecord>();
      for (const b of bodies) if (b) bodyOf.set(messageKeyString(b.accountId, b.path, b.uid), b);
      for (const m of fresh) this.index.upsert(m, bodyOf.get(messageKeyString(m.accountId, m.path, m.uid)) ?? null);
    }
    if (this.index.needsCompaction && !this.scan) this.index.compact();
    if (this.index.version !== versionBefore && !this.scan) this.scheduleSave();
    this.sendStatus(false);
  }

  // -------------------------------------------------------------------------------------------
  // Queries

  private async runQuery(req: QueryRequest): Promise<void> {
    const started = this.opts.now();
    try {
      const ev = await this.evaluate(req);
      const end = req.offset + req.limit;
      await this.checkPhrasesUpTo(req.id, ev, end);
      if (req.id !== this.latestQueryId) throw new Cancelled();
      // With phrases still unchecked, only results newer than the last checked candidate are settled.
      const frontier = ev.pending.length > 0 ? ev.frontier : -Infinity;
      const settled = frontier === -Infinity ? ev.docs : ev.docs.filter((d) => this.index.dateOf(d) >= frontier);
      const top = this.index.newestFirst(settled, end);
      const keys: MessageKey[] = [];
      for (const doc of top.slice(req.offset, end)) {
        const key = this.index.keyOf(doc);
        if (key) keys.push(key);
      }
      const page: SearchPage = {
        id: req.id,
        keys,
        offset: req.offset,
        total: ev.docs.length + ev.pending.length,
        approximate: ev.pending.length > 0,
        serverMerged: ev.serverMerged,
        serverOnly: ev.serverOnly,
        indexing: this.scan !== null,
        tookMs: Math.round((this.opts.now() - started) * 10) / 10,
        errors: ev.errors,
      };
      this.post({ type: 'results', page });
    } catch (e) {
      if (e instanceof Cancelled) {
        this.post({ type: 'cancelled', id: req.id });
        return;
      }
      this.post({ type: 'error', id: req.id, message: e instanceof Error ? e.message : String(e) });
    }
  }

  /**
   * Matches a query (cached while the index, the query and the server hits stay the same, so
   * paging and phrase checks continue where they stopped).
   */
  private async evaluate(req: QueryRequest): Promise<Evaluated> {
    const cacheKey = `${this.index.version}\u0001${req.text}\u0001${serverKey(req.server)}`;
    if (this.lastEval?.cacheKey === cacheKey) return this.lastEval;

    const q = parseQuery(req.text);
    const errors = [...q.errors];
    const ev: Evaluated = { cacheKey, docs: [], pending: [], frontier: Infinity, phrases: [], serverMerged: 0, serverOnly: 0, errors };
    if (isEmptyQuery(q)) return ev;

    const folders = await this.folderRows();
    const scope = this.folderScope(q, folders, errors);
    const match = this.index.match(q, scope);
    if (match.phrases.length > 0) {
      // Word order, from the index's unit sequences; what only the record can tell (a phrase
      // perhaps in a cached body) is checked newest first as pages need it (checkPhrasesUpTo).
      ev.phrases = match.phrases;
      const unknown: number[] = [];
      for (const d of match.docs) {
        let verdict: boolean | null = true;
        for (const p of match.phrases) {
          const r = this.index.hasPhrase(d, p);
          if (r === false) {
            verdict = false;
            break;
          }
          if (r === null) verdict = null;
        }
        if (verdict === true) ev.docs.push(d);
        else if (verdict === null) unknown.push(d);
      }
      ev.pending = this.index.newestFirst(unknown, unknown.length).reverse();
    } else {
      ev.docs = match.docs;
    }
    if (req.server && req.server.length > 0) {
      const local = new Set<number>(ev.docs);
      for (const d of ev.pending) local.add(d);
      const merged = this.mergeServerHits(local, req.server, folders, (doc) => this.index.passesFilters(doc, q, scope));
      ev.docs.push(...merged.docs);
      ev.serverMerged = merged.docs.length;
      ev.serverOnly = merged.only;
    }
    this.lastEval = ev;
    return ev;
  }

  private async folderRows(): Promise<FolderRecord[]> {
    this.folders ??= await this.db.folders.toArray();
    return this.folders;
  }

  /** The folders `in:` and `-in:` pick, as index folder ids. */
  private folderScope(
    q: SearchQuery,
    folders: readonly FolderRecord[],
    errors: string[],
  ): { folders: Set<number> | null; excludeFolders: Set<number> | null } {
    const pick = (values: readonly string[], report: boolean): Set<number> | null => {
      if (values.length === 0) return null;
      const wanted = new Set<string>();
      for (const v of values) {
        const hits = folders.filter((f) => folderMatches(f, v));
        if (hits.length === 0 && report) errors.push(`No folder is called “${v}”.`);
        for (const f of hits) wanted.add(folderKeyString(f.accountId, f.path));
      }
      return this.index.folderIdsMatching((a, p) => wanted.has(folderKeyString(a, p)));
    };
    return { folders: pick(q.in, true), excludeFolders: pick(q.notIn, false) };
  }

  /**
   * Checks phrase candidates word by word, newest first, until `need` results are settled
   * (or none are left): reads the records (and cached bodies) a chunk at a time.
   */
  private async checkPhrasesUpTo(queryId: number, ev: Evaluated, need: number): Promise<void> {
    const settledCount = () => {
      let n = 0;
      for (const d of ev.docs) if (this.index.dateOf(d) >= ev.frontier) n++;
      return n;
    };
    // A time budget keeps answers fast when few candidates hold the phrase: the page may come
    // short (the total says "up to"), and asking for more results checks on.
    const deadline = this.opts.now() + this.opts.phraseBudgetMs;
    let size = 200;
    let first = true;
    while (ev.pending.length > 0 && settledCount() < need && (first || this.opts.now() < deadline)) {
      first = false;
      // `pending` is oldest first: the newest are at the end.
      const chunk = ev.pending.splice(Math.max(0, ev.pending.length - size)).reverse();
      size = Math.min(size * 2, 1600);
      const keys = chunk.map((d) => this.index.keyOf(d)).filter((k): k is MessageKey => k !== null);
      const withBody = chunk
        .filter((d) => this.index.hasBody(d))
        .map((d) => this.index.keyOf(d))
        .filter((k): k is MessageKey => k !== null);
      const [messages, bodies] = await Promise.all([
        this.db.messages.bulkGet(keys),
        withBody.length > 0 ? this.db.bodies.bulkGet(withBody) : Promise.resolve([]),
      ]);
      if (queryId !== this.latestQueryId) {
        ev.pending.push(...chunk.reverse());
        throw new Cancelled();
      }
      const bodyOf = new Map<string, BodyRecord>();
      for (const b of bodies) if (b) bodyOf.set(messageKeyString(b.accountId, b.path, b.uid), b);
      const byKey = new Map<string, MessageRecord>();
      for (const m of messages) if (m) byKey.set(messageKeyString(m.accountId, m.path, m.uid), m);
      for (const doc of chunk) {
        const key = this.index.keyOf(doc);
        const m = key ? byKey.get(messageKeyString(key[0], key[1], key[2])) : undefined;
        ev.frontier = Math.min(ev.frontier, this.index.dateOf(doc));
        if (!m) continue;
        const fields = fieldTexts(m, bodyOf.get(messageKeyString(m.accountId, m.path, m.uid)) ?? null).map((f) => ({
          mask: f.mask,
          units: units(f.text),
        }));
        const ok = ev.phrases.every((p) => fields.some((f) => (f.mask & p.mask) !== 0 && containsUnits(f.units, p.units, p.prefixLast)));
        if (ok) ev.docs.push(doc);
      }
    }
  }

  /**
   * Server hits: those cached (and passing the structured filters against the cached record,
   * which may know newer flags than the server did, and knows attachments exactly) but not matched locally (a word in a body never opened) join
   * the results; those not cached are counted. A folder the cache holds under another
   * UIDVALIDITY has nothing in common with the server's UIDs.
   */
  private mergeServerHits(
    local: ReadonlySet<number>,
    hits: readonly ServerFolderHits[],
    folders: readonly FolderRecord[],
    accept: (doc: number) => boolean,
  ): { docs: number[]; only: number } {
    const added = new Set<number>();
    let only = 0;
    const validity = new Map(folders.map((f) => [folderKeyString(f.accountId, f.path), f.uidValidity]));
    for (const h of hits) {
      only += Math.max(0, h.total - h.uids.length);
      if (validity.get(folderKeyString(h.accountId, h.path)) !== h.uidValidity) {
        only += h.uids.length;
        continue;
      }
      for (const uid of h.uids) {
        const doc = this.index.docOf(messageKeyString(h.accountId, h.path, uid));
        if (doc < 0) only++;
        else if (!local.has(doc) && accept(doc)) added.add(doc);
      }
    }
    return { docs: [...added], only };
  }

  // -------------------------------------------------------------------------------------------

  private sendStatus(force: boolean): void {
    if (this.closed) return;
    const now = this.opts.now();
    const due = this.lastStatusAt + this.opts.statusIntervalMs;
    if (force || now >= due) {
      if (this.statusTimer !== undefined) clearTimeout(this.statusTimer);
      this.statusTimer = undefined;
      this.lastStatusAt = now;
      this.post({ type: 'status', status: this.currentStatus });
      return;
    }
    // Coalesce: one status at the end of a burst of changes.
    this.statusTimer ??= setTimeout(() => {
      this.statusTimer = undefined;
      this.sendStatus(true);
    }, Math.max(1, due - now));
  }
}

/** Wires a core to a message port (the worker's global scope, or a MessageChannel port in tests). */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

export function attachSearchWorker(
  port: MessagePortLike,
  openDb: (name: string) => PetrelDb,
  options?: SearchWorkerOptions,
): { core: () => SearchWorkerCore | null } {
  let core: SearchWorkerCore | null = null;
  port.addEventListener('message', (event) => {
    const msg = event.data as ClientMessage;
    if (msg.type === 'init') {
      if (core) return;
      core = new SearchWorkerCore(openDb(msg.dbName), (m) => port.postMessage(m), options);
      core.start();
      return;
    }
    if (!core) {
      if (msg.type === 'query') port.postMessage({ type: 'error', id: msg.id, message: 'The search index is not started.' } satisfies WorkerMessage);
      return;
    }
    core.receive(msg);
    if (msg.type === 'close') core.db.close();
  });
  return { core: () => core };
}

interface ChangedRange {
  from: unknown;
  to: unknown;
  /** Named by a write to `bodies` (else a body changed only where the index knows one). */
  bodies: boolean;
}

/** The ranges with overlapping ones joined. */
function mergeRanges(ranges: ChangedRange[]): ChangedRange[] {
  const sorted = [...ranges].sort((a, b) => cmp(a.from, b.from));
  const out: ChangedRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && cmp(r.from, last.to) <= 0) {
      if (cmp(r.to, last.to) > 0) last.to = r.to;
      last.bodies ||= r.bodies;
    } else {
      out.push({ ...r });
    }
  }
  return out;
}

function keyOf(m: { accountId: string; path: string; uid: number }): MessageKey {
  return [m.accountId, m.path, m.uid];
}

function isMessageKey(k: unknown): k is MessageKey {
  return Array.isArray(k) && k.length === 3 && typeof k[0] === 'string' && typeof k[1] === 'string' && typeof k[2] === 'number';
}

/** Every [from, to] of a Dexie RangeSet (an interval tree; plain data after a BroadcastChannel). */
function forEachRange(tree: IntervalTree | undefined, visit: (from: unknown, to: unknown) => void): void {
  const stack: IntervalTreeNode[] = [];
  if (tree && 'from' in tree) stack.push(tree);
  while (stack.length > 0) {
    const node = stack.pop()!;
    visit(node.from, node.to);
    if (node.l && 'from' in node.l) stack.push(node.l);
    if (node.r && 'from' in node.r) stack.push(node.r);
  }
}

function serverKey(server: readonly ServerFolderHits[] | undefined): string {
  if (!server || server.length === 0) return '';
  return server.map((h) => `${h.accountId}/${h.path}/${h.uidValidity}/${h.total}/${h.uids.length}/${h.uids[0] ?? 0}`).join('|');
}
