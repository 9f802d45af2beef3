// Helpers for the db tests (imported by *.test.ts only; needs an IndexedDB such as fake-indexeddb).
import type { Folder, FolderCursor, MessageHeader, SyncBatch, SyncDelta } from '../../../shared/contract';
import { PetrelDb } from './schema';
import { parseUidSet } from './uidset';

let dbCount = 0;

/** A fresh, empty database. */
export function newDb(): PetrelDb {
  dbCount++;
  return new PetrelDb(`petrel-test-${dbCount}-${Math.random().toString(36).slice(2)}`);
}

export const A = 'acct-aaaa';
export const B = 'acct-bbbb';

export interface HeaderOptions {
  uidValidity?: string;
  seen?: boolean;
  flagged?: boolean;
  date?: number;
  modseq?: string | null;
  subject?: string;
}

export function header(accountId: string, path: string, uid: number, o: HeaderOptions = {}): MessageHeader {
  const flags: string[] = [];
  if (o.seen) flags.push('\\Seen');
  if (o.flagged) flags.push('\\Flagged');
  const date = o.date ?? 1_700_000_000_000 + uid * 60_000;
  return {
    accountId,
    path,
    uid,
    uidValidity: o.uidValidity ?? '1',
    modseq: o.modseq ?? null,
    messageId: `<${accountId}.${path}.${uid}@example.test>`,
    inReplyTo: null,
    references: [],
    subject: o.subject ?? `Message ${uid}`,
    from: [{ name: 'Ada', address: 'ada@example.test' }],
    to: [{ name: '', address: 'me@example.test' }],
    cc: [],
    replyTo: [],
    date,
    internalDate: date,
    size: 1000 + uid,
    flags,
    hasAttachments: false,
    preview: `The first words of message ${uid}`,
  };
}

export function folderInfo(accountId: string, path: string, counts: { total?: number; unread?: number } = {}): Folder {
  const name = path.split('/').pop() ?? path;
  return {
    accountId,
    path,
    name,
    delimiter: '/',
    parentPath: path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : null,
    specialUse: path === 'INBOX' ? 'inbox' : null,
    subscribed: true,
    selectable: true,
    total: counts.total ?? 0,
    unread: counts.unread ?? 0,
  };
}

export function foldersDelta(accountId: string, paths: string[]): SyncDelta {
  return { kind: 'folders', accountId, folders: paths.map((p) => folderInfo(accountId, p)) };
}

export function upsert(accountId: string, path: string, messages: MessageHeader[], uidValidity = '1'): SyncDelta {
  return { kind: 'upsert', accountId, path, uidValidity, messages };
}

export function cursor(accountId: string, path: string, uidNext: number, uidValidity = '1', highestModseq: string | null = null): SyncDelta {
  return { kind: 'cursor', cursor: { accountId, path, uidValidity, highestModseq, uidNext } };
}

export function batch(seq: number, ...deltas: SyncDelta[]): SyncBatch {
  return { seq, deltas };
}

/**
 * Every table, in key order. Folders' `changes` is left out: it counts the cache's history
 * (a replayed reset removes and adds again), not its content, which is what must be the same.
 */
export async function dump(db: PetrelDb): Promise<string> {
  const [folders, messages, bodies, cursors] = await Promise.all([
    // The list's change history (changes, its log) differs between equal states reached differently.
    db.folders.toArray().then((rows) => rows.map(({ changes: _c, recent: _r, recentFrom: _f, deep: _d, ...row }) => row)),
    db.messages.toArray(),
    db.bodies.toArray(),
    db.cursors.toArray(),
  ]);
  return JSON.stringify({ folders, messages, bodies, cursors });
}

/** Counts a folder's messages by reading them all (what the store must never do). */
export async function recount(db: PetrelDb, accountId: string, path: string): Promise<{ total: number; unread: number }> {
  const all = await db.messages.filter((m) => m.accountId === accountId && m.path === path).toArray();
  return { total: all.length, unread: all.filter((m) => !m.flags.includes('\\Seen')).length };
}

/** A deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ServerMessage {
  flags: string[];
  modseq: number;
}

interface ServerFolder {
  uidValidity: number;
  uidNext: number;
  modseq: number;
  messages: Map<number, ServerMessage>;
  /** Modseq at which each expunged uid vanished (for QRESYNC-like replays). */
  vanished: Map<number, number>;
}

/**
 * A toy IMAP server with CONDSTORE, and the engine's side of sync for it: `syncFrom(cursor)`
 * produces what a real engine would send when resuming from that cursor.
 */
export class FakeServer {
  readonly folders = new Map<string, ServerFolder>();

  constructor(readonly accountId: string) {}

  folder(path: string): ServerFolder {
    let f = this.folders.get(path);
    if (!f) {
      f = { uidValidity: 1, uidNext: 1, modseq: 1, messages: new Map(), vanished: new Map() };
      this.folders.set(path, f);
    }
    return f;
  }

  deliver(path: string, n: number, seen = false): void {
    const f = this.folder(path);
    for (let i = 0; i < n; i++) {
      f.modseq++;
      f.messages.set(f.uidNext++, { flags: seen ? ['\\Seen'] : [], modseq: f.modseq });
    }
  }

  setFlags(path: string, uid: number, flags: string[]): void {
    const f = this.folder(path);
    const m = f.messages.get(uid);
    if (!m) return;
    f.modseq++;
    m.flags = flags;
    m.modseq = f.modseq;
  }

  expunge(path: string, uid: number): void {
    const f = this.folder(path);
    if (!f.messages.delete(uid)) return;
    f.modseq++;
    f.vanished.set(uid, f.modseq);
  }

  newUidValidity(path: string): void {
    const f = this.folder(path);
    const old = [...f.messages.values()];
    f.uidValidity++;
    f.messages = new Map();
    f.vanished = new Map();
    f.uidNext = 1;
    for (const m of old) {
      f.modseq++;
      f.messages.set(f.uidNext++, { flags: m.flags, modseq: f.modseq });
    }
  }

  counts(path: string): { total: number; unread: number } {
    const f = this.folder(path);
    const all = [...f.messages.values()];
    return { total: all.length, unread: all.filter((m) => !m.flags.includes('\\Seen')).length };
  }

  foldersDelta(): SyncDelta {
    return {
      kind: 'folders',
      accountId: this.accountId,
      folders: [...this.folders.keys()].map((p) => folderInfo(this.accountId, p, this.counts(p))),
    };
  }

  headerOf(path: string, uid: number): MessageHeader {
    const f = this.folder(path);
    const m = f.messages.get(uid)!;
    return {
      ...header(this.accountId, path, uid, { uidValidity: String(f.uidValidity), modseq: String(m.modseq) }),
      flags: [...m.flags],
    };
  }

  /** The deltas of one folder's sync from `from` (none: a first sync), in batches of `chunk` messages. */
  syncFrom(path: string, from: FolderCursor | undefined, chunk = 50): SyncDelta[] {
    const f = this.folder(path);
    const uidValidity = String(f.uidValidity);
    const ref = { accountId: this.accountId, path, uidValidity };
    const out: SyncDelta[] = [];
    const fresh = !from || from.uidValidity !== uidValidity;
    if (fresh) out.push({ kind: 'reset', ...ref });
    const since = fresh ? 0 : Number(from.highestModseq ?? '0');
    const oldNext = fresh ? 1 : from.uidNext;
    const uids = [...f.messages.keys()].sort((a, b) => a - b);
    const fresher = uids.filter((uid) => uid >= oldNext);
    for (let i = 0; i < fresher.length; i += chunk) {
      out.push({ kind: 'upsert', ...ref, messages: fresher.slice(i, i + chunk).map((uid) => this.headerOf(path, uid)) });
    }
    if (!fresh) {
      const changes = uids
        .filter((uid) => uid < oldNext && f.messages.get(uid)!.modseq > since)
        .map((uid) => ({ uid, flags: [...f.messages.get(uid)!.flags], modseq: String(f.messages.get(uid)!.modseq) }));
      if (changes.length > 0) out.push({ kind: 'flags', ...ref, changes });
      const gone = [...f.vanished].filter(([, at]) => at > since).map(([uid]) => uid);
      if (gone.length > 0) out.push({ kind: 'expunge', ...ref, uids: gone });
    }
    out.push({ kind: 'uidset', ...ref, uids: compact(uids), uidNext: f.uidNext });
    out.push({ kind: 'folderStatus', accountId: this.accountId, path, ...this.counts(path) });
    out.push({
      kind: 'cursor',
      cursor: { ...ref, highestModseq: String(f.modseq), uidNext: f.uidNext },
    });
    return out;
  }
}

/** Sorted UIDs as a compact set, "1:5,9". */
export function compact(uids: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < uids.length; ) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    parts.push(i === j ? `${uids[i]}` : `${uids[i]}:${uids[j]}`);
    i = j + 1;
  }
  const text = parts.join(',');
  if (!parseUidSet(text)) throw new Error(`bad set ${text}`);
  return text;
}
