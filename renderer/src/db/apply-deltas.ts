import type { Table } from 'dexie';
import type { Folder, MessageHeader, SyncBatch, SyncDelta } from '../../../shared/contract';
import {
  accountRange,
  folderRange,
  isInboxPath,
  type Bit,
  type FolderRecord,
  type MessageKey,
  type MessageRecord,
  type PetrelDb,
} from './schema';
import { parseUidSet } from './uidset';
import { KEYED_WRITE, putChanges } from './keyed-writes';

/**
 * Applies the engine's sync deltas to IndexedDB: one read-write transaction per batch, bulk
 * reads and writes per delta, never a transaction per message.
 *
 * Rules:
 * - Idempotent: re-applying any delta, or replaying from an older cursor, gives the same
 *   database (writes that would change nothing are skipped, counts move only on real change).
 * - UIDVALIDITY: a folder records the uidValidity of the first delta that names one; a
 *   `reset` drops the folder's messages, bodies and cursor and records the new one; any other
 *   delta with a different uidValidity is stale (from before a reset) and dropped.
 * - A delta for a folder not in the folder table creates a placeholder row (`listed: false`)
 *   so every cached message has a folder row; the next `folders` delta keeps it or deletes it
 *   with its messages.
 * - A `folders` delta with no folders at all is refused: IMAP always has an INBOX, so an empty
 *   list is an engine or server glitch, and obeying it would wipe the whole account.
 * - Messages (upsert) and flag changes carrying a modseq lower than the cached one are older
 *   than what is cached and skipped.
 *
 * Counts. A folder has exact counts of its cached messages (`cachedTotal`, `cachedUnread`)
 * and the counts the UI shows (`total`, `unread`). `folders`/`folderStatus` deltas overwrite
 * the shown counts (the server is authoritative at that moment). Between them, each change of
 * the cache moves the shown count unless it explains a difference the last server count
 * already announced: a message entering the cache (or turning unread) raises the shown count
 * only if the shown count is not above the cached one (otherwise the server already counted
 * it: a first sync fills in 40k messages under a folder that already shows 40k), and a message
 * leaving the cache (or turning read) lowers it only if it is not below the cached one. With
 * no server counts in play the shown counts equal the cached counts exactly; with them, they
 * converge to the server's once the cache has caught up, and are never double counted.
 * A `reset` removes the cached messages' share of the shown counts the same way.
 */

type DeltaOf<K extends SyncDelta['kind']> = Extract<SyncDelta, { kind: K }>;
export type ProgressDelta = DeltaOf<'progress'>;

export interface ApplyOptions {
  /** False drops `cursor` deltas (the batch stream has a gap: a cursor could cover lost data). */
  storeCursors?: boolean;
  /** Deltas of these accounts are dropped (accounts being removed). */
  skipAccounts?: ReadonlySet<string>;
  /** Runs last inside each batch's transaction (see BatchHook). */
  afterDeltas?: BatchHook;
}

/**
 * Work that must see a batch's result in the batch's own transaction. Operations waiting for
 * the server re-apply their local change here (renderer/src/ops/local.ts), so a delta from
 * before the operation reached the server never shows the old state, not even for a moment.
 */
export interface BatchHook {
  /** Tables it uses, added to the batch's transaction. */
  tables(db: PetrelDb): Table[];
  /** `folders`: "accountId\u0000path" of every folder a data delta of the batch named. */
  run(db: PetrelDb, folders: ReadonlySet<string>): Promise<void>;
}

/** The key of a folder in BatchHook's set. */
export function folderId(accountId: string, path: string): string {
  return `${accountId}\u0000${path}`;
}

export interface ApplyResult {
  /** Deltas written (or found already applied). */
  applied: number;
  /** Deltas dropped: stale uidValidity, malformed, refused, skipped account or cursor. */
  dropped: number;
  /** Progress deltas, in order: they are kept in memory by the caller, never stored. */
  progress: ProgressDelta[];
}

export async function applyBatch(
  db: PetrelDb,
  batch: SyncBatch | readonly SyncDelta[],
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const deltas: readonly SyncDelta[] = isDeltaList(batch) ? batch : batch.deltas;
  const result: ApplyResult = { applied: 0, dropped: 0, progress: [] };
  const todo: Exclude<SyncDelta, ProgressDelta>[] = [];
  for (const d of deltas) {
    if (d.kind === 'progress') result.progress.push(d);
    else if (options.skipAccounts?.has(accountOf(d))) result.dropped++;
    else if (d.kind === 'cursor' && options.storeCursors === false) result.dropped++;
    else todo.push(d);
  }
  if (todo.length === 0) return result;

  const hook = options.afterDeltas;
  const tables = tablesFor(db, todo);
  if (hook) for (const t of hook.tables(db)) if (!tables.includes(t)) tables.push(t);
  await db.transaction('rw', tables, async () => {
    for (const d of todo) {
      if (await applyDelta(db, d)) result.applied++;
      else result.dropped++;
    }
    if (hook) await hook.run(db, foldersNamed(todo));
  });
  return result;
}

function foldersNamed(deltas: readonly SyncDelta[]): Set<string> {
  const out = new Set<string>();
  for (const d of deltas) {
    if (d.kind === 'cursor') out.add(folderId(d.cursor.accountId, d.cursor.path));
    else if ('path' in d) out.add(folderId(d.accountId, d.path));
  }
  return out;
}

function isDeltaList(batch: SyncBatch | readonly SyncDelta[]): batch is readonly SyncDelta[] {
  return Array.isArray(batch);
}

function accountOf(d: SyncDelta): string {
  return d.kind === 'cursor' ? d.cursor.accountId : d.accountId;
}

function tablesFor(db: PetrelDb, deltas: readonly SyncDelta[]): Table[] {
  let messages = false;
  let bodies = false;
  let cursors = false;
  for (const d of deltas) {
    switch (d.kind) {
      case 'upsert':
        // The folder's cursor tells a first sync's batches from later mail (applyUpsert).
        messages = cursors = true;
        break;
      case 'flags':
        messages = true;
        break;
      case 'expunge':
      case 'uidset':
        messages = bodies = true;
        break;
      case 'reset':
      case 'folders':
        messages = bodies = cursors = true;
        break;
      case 'cursor':
        cursors = true;
        break;
      default:
        break;
    }
  }
  const tables: Table[] = [db.folders];
  if (messages) tables.push(db.messages);
  if (bodies) tables.push(db.bodies);
  if (cursors) tables.push(db.cursors);
  return tables;
}

/** Applies one delta inside the batch's transaction; false when it was dropped. */
function applyDelta(db: PetrelDb, d: Exclude<SyncDelta, ProgressDelta>): Promise<boolean> {
  switch (d.kind) {
    case 'folders':
      return applyFolders(db, d);
    case 'folderStatus':
      return applyFolderStatus(db, d);
    case 'reset':
      return applyReset(db, d);
    case 'upsert':
      return applyUpsert(db, d);
    case 'flags':
      return applyFlags(db, d);
    case 'expunge':
      return applyExpunge(db, d);
    case 'uidset':
      return applyUidSet(db, d);
    case 'cursor':
      return applyCursor(db, d);
  }
}

// ---------------------------------------------------------------------------------------------
// Folders

function placeholder(accountId: string, path: string): FolderRecord {
  return {
    accountId,
    path,
    name: path,
    delimiter: null,
    parentPath: null,
    specialUse: isInboxPath(path) ? 'inbox' : null,
    subscribed: true,
    selectable: true,
    total: 0,
    unread: 0,
    cachedTotal: 0,
    cachedUnread: 0,
    uidValidity: null,
    listed: false,
  };
}

interface Gated {
  /** The stored row (absent for a folder seen first now). */
  old: FolderRecord | undefined;
  /** A copy to change and store: the placeholder for a new folder, the uidValidity recorded. */
  row: FolderRecord;
}

/**
 * The folder of a delta naming `uidValidity`, recording it on first sight; null when the
 * delta is stale (the folder has since been reset to another uidValidity).
 */
async function gate(db: PetrelDb, accountId: string, path: string, uidValidity: string): Promise<Gated | null> {
  const old = await db.folders.get([accountId, path]);
  const row = { ...(old ?? placeholder(accountId, path)) };
  if (row.uidValidity === null) row.uidValidity = uidValidity;
  else if (row.uidValidity !== uidValidity) return null;
  return { old, row };
}

async function putFolderIfChanged(db: PetrelDb, before: FolderRecord | undefined, after: FolderRecord): Promise<void> {
  if (before && sameJson(before, after)) return;
  await db.folders.put(after);
}

async function deleteFolderData(db: PetrelDb, accountId: string, path: string): Promise<void> {
  const [lo, hi] = folderRange(accountId, path);
  await db.messages.where(':id').between(lo, hi, true, true).delete();
  await db.bodies.where(':id').between(lo, hi, true, true).delete();
  await db.cursors.delete([accountId, path]);
}

async function applyFolders(db: PetrelDb, d: DeltaOf<'folders'>): Promise<boolean> {
  const incoming = new Map<string, Folder>();
  for (const f of d.folders) if (f.accountId === d.accountId) incoming.set(f.path, f);
  if (incoming.size === 0) return false;

  const [lo, hi] = accountRange(d.accountId);
  const existing = await db.folders.where(':id').between(lo, hi, true, true).toArray();
  const byPath = new Map(existing.map((row) => [row.path, row]));

  for (const row of existing) {
    if (incoming.has(row.path)) continue;
    await deleteFolderData(db, row.accountId, row.path);
    await db.folders.delete([row.accountId, row.path]);
  }
  const puts: FolderRecord[] = [];
  for (const f of incoming.values()) {
    const old = byPath.get(f.path);
    const row: FolderRecord = {
      accountId: f.accountId,
      path: f.path,
      name: f.name,
      delimiter: f.delimiter,
      parentPath: f.parentPath,
      specialUse: f.specialUse,
      subscribed: f.subscribed,
      selectable: f.selectable,
      total: count(f.total),
      unread: count(f.unread),
      cachedTotal: old?.cachedTotal ?? 0,
      cachedUnread: old?.cachedUnread ?? 0,
      uidValidity: old?.uidValidity ?? null,
      listed: true,
      ...(old?.changes !== undefined ? { changes: old.changes } : {}),
      ...(old?.recent !== undefined ? { recent: old.recent } : {}),
      ...(old?.recentFrom !== undefined ? { recentFrom: old.recentFrom } : {}),
      ...(old?.deep !== undefined ? { deep: old.deep } : {}),
    };
    if (!old || !sameJson(old, row)) puts.push(row);
  }
  if (puts.length > 0) await db.folders.bulkPut(puts);
  return true;
}

async function applyFolderStatus(db: PetrelDb, d: DeltaOf<'folderStatus'>): Promise<boolean> {
  const old = await db.folders.get([d.accountId, d.path]);
  const row = { ...(old ?? placeholder(d.accountId, d.path)), total: count(d.total), unread: count(d.unread) };
  await putFolderIfChanged(db, old, row);
  return true;
}

async function applyReset(db: PetrelDb, d: DeltaOf<'reset'>): Promise<boolean> {
  const old = await db.folders.get([d.accountId, d.path]);
  const row = { ...(old ?? placeholder(d.accountId, d.path)), uidValidity: d.uidValidity };
  await deleteFolderData(db, d.accountId, d.path);
  new Counts(row).removeAll().into(row);
  await putFolderIfChanged(db, old, row);
  return true;
}

async function applyCursor(db: PetrelDb, d: DeltaOf<'cursor'>): Promise<boolean> {
  const c = d.cursor;
  const folder = await gate(db, c.accountId, c.path, c.uidValidity);
  if (!folder) return false;
  await putFolderIfChanged(db, folder.old, folder.row);
  await db.cursors.put({
    accountId: c.accountId,
    path: c.path,
    uidValidity: c.uidValidity,
    highestModseq: c.highestModseq,
    uidNext: c.uidNext,
    // An initial sync under way (shared/contract/sync.ts); the final cursor replaces it.
    ...(c.partialBelow !== undefined ? { partialBelow: c.partialBelow } : {}),
  });
  return true;
}

// ---------------------------------------------------------------------------------------------
// Messages

async function applyUpsert(db: PetrelDb, d: DeltaOf<'upsert'>): Promise<boolean> {
  const folder = await gate(db, d.accountId, d.path, d.uidValidity);
  if (!folder) return false;

  const byUid = new Map<number, MessageHeader>();
  for (const m of d.messages) {
    // The delta names the folder: a message claiming another one is malformed.
    if (m.accountId === d.accountId && m.path === d.path && m.uidValidity === d.uidValidity && isUid(m.uid)) {
      byUid.set(m.uid, m);
    }
  }
  const cached = await cachedMessages(db, d.accountId, d.path, [...byUid.keys()]);
  const counts = new Counts(folder.row);
  const puts: MessageRecord[] = [];
  for (const [uid, header] of byUid) {
    const prev = cached.get(uid);
    const next = toRecord(header);
    if (prev) {
      if (isOlder(next.modseq, prev.modseq) || sameJson(prev, next)) continue;
      counts.seenChanged(prev.seen, next.seen);
      if (prev.date !== next.date) counts.moved(prev, next);
    } else {
      counts.add(next.seen, next);
    }
    puts.push(next);
  }
  if (puts.length > KEYED_WRITE && (await syncedBefore(db, d))) await putChanges(db.messages, puts);
  else if (puts.length > 0) await db.messages.bulkPut(puts);
  await putFolderIfChanged(db, folder.old, counts.into(folder.row));
  return true;
}

/**
 * Whether the folder's first sync was complete before this delta: its headers are then later
 * mail (a resync after a weekend away), written so that the search worker reads just them
 * (putChanges). A first sync's batches are written at once: every record is new, the worker
 * reads them all once the sync ends, and naming their keys would cost the sync ~0.16 ms each.
 */
async function syncedBefore(db: PetrelDb, d: DeltaOf<'upsert'>): Promise<boolean> {
  const c = await db.cursors.get([d.accountId, d.path]);
  return c !== undefined && c.uidValidity === d.uidValidity && c.partialBelow === undefined;
}

async function applyFlags(db: PetrelDb, d: DeltaOf<'flags'>): Promise<boolean> {
  const folder = await gate(db, d.accountId, d.path, d.uidValidity);
  if (!folder) return false;

  const byUid = new Map<number, DeltaOf<'flags'>['changes'][number]>();
  for (const c of d.changes) if (isUid(c.uid)) byUid.set(c.uid, c);
  const cached = await cachedMessages(db, d.accountId, d.path, [...byUid.keys()]);
  const counts = new Counts(folder.row);
  const puts: MessageRecord[] = [];
  for (const [uid, change] of byUid) {
    const prev = cached.get(uid);
    // Flags of a message not cached: its header (with flags) comes in an upsert.
    if (!prev || isOlder(change.modseq, prev.modseq)) continue;
    const modseq = change.modseq ?? prev.modseq;
    if (modseq === prev.modseq && sameList(prev.flags, change.flags)) continue;
    const next: MessageRecord = { ...prev, modseq, flags: [...change.flags], ...flagBits(change.flags) };
    counts.seenChanged(prev.seen, next.seen);
    puts.push(next);
  }
  if (puts.length > 0) await putChanges(db.messages, puts);
  await putFolderIfChanged(db, folder.old, counts.into(folder.row));
  return true;
}

async function applyExpunge(db: PetrelDb, d: DeltaOf<'expunge'>): Promise<boolean> {
  const folder = await gate(db, d.accountId, d.path, d.uidValidity);
  if (!folder) return false;
  const cached = await cachedMessages(db, d.accountId, d.path, [...new Set(d.uids.filter(isUid))]);
  await removeCached(db, folder.row, cached.values());
  await putFolderIfChanged(db, folder.old, folder.row);
  return true;
}

async function applyUidSet(db: PetrelDb, d: DeltaOf<'uidset'>): Promise<boolean> {
  const set = parseUidSet(d.uids);
  // A malformed set must not delete anything.
  if (!set || !Number.isFinite(d.uidNext)) return false;
  const folder = await gate(db, d.accountId, d.path, d.uidValidity);
  if (!folder) return false;
  if (d.uidNext > 1) {
    const [lo] = folderRange(d.accountId, d.path);
    const keys = await db.messages
      .where(':id')
      .between(lo, [d.accountId, d.path, d.uidNext], true, false)
      .primaryKeys();
    const gone = keys.filter((k) => !set.has(k[2]));
    if (gone.length > 0) {
      const records = await db.messages.bulkGet(gone);
      await removeCached(db, folder.row, records.filter((m): m is MessageRecord => m !== undefined));
    }
  }
  await putFolderIfChanged(db, folder.old, folder.row);
  return true;
}

/** Deletes cached messages (and their bodies) of `row`'s folder, updating its counts in place. */
async function removeCached(db: PetrelDb, row: FolderRecord, messages: Iterable<MessageRecord>): Promise<void> {
  const counts = new Counts(row);
  const keys: MessageKey[] = [];
  for (const m of messages) {
    counts.remove(m.seen, m);
    keys.push([m.accountId, m.path, m.uid]);
  }
  if (keys.length === 0) return;
  await db.messages.bulkDelete(keys);
  await db.bodies.bulkDelete(keys);
  counts.into(row);
}

/**
 * The cached messages among `uids`, by uid. Reads only what may exist: UIDs outside the range
 * of the folder's cached UIDs are new (the common case of new mail, and of a first sync).
 */
async function cachedMessages(
  db: PetrelDb,
  accountId: string,
  path: string,
  uids: readonly number[],
): Promise<Map<number, MessageRecord>> {
  const found = new Map<number, MessageRecord>();
  if (uids.length === 0) return found;
  const [lo, hi] = folderRange(accountId, path);
  const range = db.messages.where(':id').between(lo, hi, true, true);
  const [first] = await range.clone().limit(1).primaryKeys();
  if (!first) return found;
  const [last] = await range.clone().reverse().limit(1).primaryKeys();
  const min = first[2];
  const max = last ? last[2] : min;
  const maybe = uids.filter((uid) => uid >= min && uid <= max);
  if (maybe.length === 0) return found;
  const records = await db.messages.bulkGet(maybe.map((uid): MessageKey => [accountId, path, uid]));
  for (const m of records) if (m) found.set(m.uid, m);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Records

export function flagBits(flags: readonly string[]): { seen: Bit; flagged: Bit } {
  let seen: Bit = 0;
  let flagged: Bit = 0;
  for (const f of flags) {
    // System flags are case-insensitive (RFC 3501).
    const lower = f.toLowerCase();
    if (lower === '\\seen') seen = 1;
    else if (lower === '\\flagged') flagged = 1;
  }
  return { seen, flagged };
}

/** A finite time (ms): the date index skips records whose key is NaN. */
function time(value: number, fallback: number): number {
  if (Number.isFinite(value)) return value;
  return Number.isFinite(fallback) ? fallback : 0;
}

/** A UID that is a valid key part (a NaN would make IndexedDB refuse the whole batch). */
function isUid(uid: number): boolean {
  return Number.isInteger(uid) && uid >= 1 && uid <= 4_294_967_295;
}

function count(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export function toRecord(h: MessageHeader): MessageRecord {
  const internalDate = time(h.internalDate, 0);
  const date = time(h.date, internalDate);
  const record: MessageRecord = {
    accountId: h.accountId,
    path: h.path,
    uid: h.uid,
    uidValidity: h.uidValidity,
    modseq: h.modseq,
    messageId: h.messageId,
    inReplyTo: h.inReplyTo,
    references: h.references,
    subject: h.subject,
    from: h.from,
    to: h.to,
    cc: h.cc,
    replyTo: h.replyTo,
    date,
    internalDate,
    size: count(h.size),
    flags: h.flags,
    hasAttachments: h.hasAttachments,
    preview: h.preview,
    ...flagBits(h.flags),
  };
  return record;
}

/** Whether decimal 64-bit `a` is below `b` (false when either is unknown). */
function isOlder(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return false;
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length !== y.length ? x.length < y.length : x < y;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Records built by the same code keep their key order, so their JSON is comparable. */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---------------------------------------------------------------------------------------------
// Counts (see the header comment); operations' local phase (renderer/src/ops) uses them too.

/** A message's place in its folder's list: what the list's change log records. */
export interface ListEntry {
  date: number;
  uid: number;
}

/**
 * Changes kept in a folder row's `recent` log (FolderRecord): enough for the mail that arrives
 * between two reads of a folder's jump anchors, small enough to keep the row light (it is
 * written with every batch and read by the folder tree).
 */
export const RECENT_MAX = 64;

export class Counts {
  total: number;
  unread: number;
  cachedTotal: number;
  cachedUnread: number;
  /** FolderRecord.changes: moves with every message added, removed or moved. */
  changes: number;
  private readonly start: number;
  /** This change's entries for the row's `recent` log, flat as there. */
  private readonly events: number[] = [];
  /** Messages left without their places (a reset): the log starts again. */
  private untracked = false;

  constructor(row: FolderRecord) {
    this.total = row.total;
    this.unread = row.unread;
    this.cachedTotal = row.cachedTotal;
    this.cachedUnread = row.cachedUnread;
    this.changes = row.changes ?? 0;
    this.start = this.changes;
  }

  add(seen: Bit, m: ListEntry): void {
    this.total = up(this.total, this.cachedTotal);
    this.cachedTotal++;
    this.changes++;
    this.events.push(this.changes, m.date, m.uid, 1);
    if (!seen) this.unreadUp();
  }

  /** A cached message changed its place in the list (its date). */
  moved(from: ListEntry, to: ListEntry): void {
    this.changes++;
    this.events.push(this.changes, from.date, from.uid, -1, this.changes, to.date, to.uid, 1);
  }

  remove(seen: Bit, m: ListEntry): void {
    this.drop(1, seen ? 0 : 1);
    this.events.push(this.changes, m.date, m.uid, -1);
  }

  /** Every cached message left (a reset): their places are not recorded. */
  removeAll(): this {
    if (this.cachedTotal > 0) this.untracked = true;
    return this.drop(this.cachedTotal, this.cachedUnread);
  }

  private drop(total: number, unread: number): this {
    this.changes += total;
    this.total = down(this.total, this.cachedTotal, total);
    this.cachedTotal = Math.max(0, this.cachedTotal - total);
    this.unread = down(this.unread, this.cachedUnread, unread);
    this.cachedUnread = Math.max(0, this.cachedUnread - unread);
    return this;
  }

  seenChanged(before: Bit, after: Bit): void {
    if (before === after) return;
    if (after) this.drop(0, 1);
    else this.unreadUp();
  }

  private unreadUp(): void {
    this.unread = up(this.unread, this.cachedUnread);
    this.cachedUnread++;
  }

  /** Writes the counts and the change log into `target` (the row they were read from, or a copy). */
  into(target: FolderRecord): FolderRecord {
    target.total = this.total;
    target.unread = this.unread;
    target.cachedTotal = this.cachedTotal;
    target.cachedUnread = this.cachedUnread;
    if (this.changes !== (target.changes ?? 0)) target.changes = this.changes;
    if (this.untracked) {
      delete target.recent;
      delete target.deep;
      target.recentFrom = this.changes;
    } else if (this.events.length > 0) {
      Object.assign(target, logged(target, this.start, this.events));
    }
    return target;
  }
}

/** Points kept in a folder row's `deep` log (FolderRecord). */
const DEEP_MAX = 32;

/**
 * The row's change log with `events` (this transaction's, all after `start`) appended. The
 * oldest beyond RECENT_MAX leave `recent` for `deep`, which keeps, for a few change numbers k,
 * the highest place (in list order) that any change from k on touched, k being where a
 * transaction's changes begin: anchors are read between transactions, and a first sync stores
 * each batch's older mail below what it stored before, so its later batches stay below anchors
 * read after its earlier ones. Past DEEP_MAX points the oldest two merge (still covering all).
 */
function logged(row: FolderRecord, start: number, events: readonly number[]): Pick<FolderRecord, 'recent' | 'recentFrom' | 'deep'> {
  const recent = [...(row.recent ?? []), ...events];
  let recentFrom = row.recentFrom ?? start;
  const cut = recent.length - RECENT_MAX * 4;
  if (cut <= 0) return row.deep ? { recent, recentFrom, deep: row.deep } : { recent, recentFrom };
  const higher = (a: ListEntry, b: ListEntry) => a.date > b.date || (a.date === b.date && a.uid > b.uid);
  const highest = (a: ListEntry | null, b: ListEntry) => (a && !higher(b, a) ? a : b);
  // What leaves: the end of earlier transactions' changes, then the start of this one's.
  let before: ListEntry | null = null;
  let now: ListEntry | null = null;
  let nowK = 0;
  for (let i = 0; i < cut; i += 4) {
    const e = { date: recent[i + 1]!, uid: recent[i + 2]! };
    if (recent[i]! <= start) before = highest(before, e);
    else {
      if (!now) nowK = recent[i]!;
      now = highest(now, e);
    }
  }
  const all = highest(before, now ?? before!);
  const points = row.deep ? pointsOf(row.deep.steps).map((p) => ({ k: p.k, top: highest(p.top, all) })) : [];
  // Earlier transactions' tails are covered by the point before them (raised above); anchors
  // are never read inside a transaction, so only a first trim needs a point for them.
  if (before && points.length === 0) points.push({ k: recent[0]!, top: all });
  if (now) points.push({ k: nowK, top: now });
  // A point no lower than the one before it adds nothing.
  const kept = points.filter((p, i) => i === 0 || higher(points[i - 1]!.top, p.top));
  while (kept.length > DEEP_MAX) kept.splice(1, 1);
  const from = row.deep?.from ?? recentFrom;
  recentFrom = Math.max(recentFrom, recent[cut - 4]!);
  recent.splice(0, cut);
  return { recent, recentFrom, deep: { from, steps: kept.flatMap((p) => [p.k, p.top.date, p.top.uid]) } };
}

function pointsOf(steps: readonly number[]): { k: number; top: ListEntry }[] {
  const out: { k: number; top: ListEntry }[] = [];
  for (let i = 0; i + 2 < steps.length; i += 3) out.push({ k: steps[i]!, top: { date: steps[i + 1]!, uid: steps[i + 2]! } });
  return out;
}

/** The shown count after one message joins the cache. */
function up(shown: number, cached: number): number {
  return shown > cached ? shown : shown + 1;
}

/** The shown count after `n` messages leave the cache (closed form of n single steps). */
function down(shown: number, cached: number, n: number): number {
  if (n <= 0) return shown;
  return Math.max(0, shown >= cached ? shown - n : Math.min(shown, cached - n));
}
