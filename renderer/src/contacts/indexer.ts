import { Dexie, liveQuery } from 'dexie';
import type { Address } from '../../../shared/contract';
import { firstSyncUnderWay, type ContactRecord, type FolderRecord, type MessageRecord, type PetrelDb } from '../db/schema';

/**
 * The contacts index: addresses from the cached messages, counted once per message, kept
 * current incrementally. Per folder it remembers the range of UIDs it has read: new mail comes
 * above it (UIDs only grow within a UIDVALIDITY) and a first sync, which stores the newest
 * messages first, fills in older mail below it. Each pass reads only the messages outside the
 * range, in chunks, each chunk one short transaction: at 100k cached messages the first pass
 * reads them once in the background, and typing in an address field never touches the
 * messages table. Passes wait for the cache to be quiet (a first sync writes for a minute).
 *
 * Sent folders count as "you wrote to" (To and Cc); other folders as "seen" (From, To, Cc);
 * Drafts and Junk are left out. Messages expunged later are not subtracted: this ranks
 * suggestions, it is not an address book.
 */

/** Messages read per query (then the thread is yielded). */
const CHUNK = 2000;
/** Messages tallied in memory before the contacts are written: fewer, larger writes. */
const WRITE_EVERY = 20_000;

type Use = 'sent' | 'seen' | null;

function useOf(f: FolderRecord): Use {
  if (f.specialUse === 'drafts' || f.specialUse === 'junk' || !f.selectable) return null;
  return f.specialUse === 'sent' ? 'sent' : 'seen';
}

interface Tally {
  address: string;
  name: string;
  nameAt: number;
  sent: number;
  lastSent: number;
  seen: number;
  lastSeen: number;
}

function count(tallies: Map<string, Tally>, list: readonly Address[], use: 'sent' | 'seen', date: number): void {
  for (const a of list) {
    const address = a.address.trim();
    const key = address.toLowerCase();
    // Only what can be written to: "undisclosed-recipients:;" and the like have no '@'.
    if (!key.includes('@') || key.length > 320) continue;
    let t = tallies.get(key);
    if (!t) {
      t = { address, name: '', nameAt: -Infinity, sent: 0, lastSent: 0, seen: 0, lastSeen: 0 };
      tallies.set(key, t);
    }
    const name = a.name.trim();
    if (name && date >= t.nameAt) {
      t.name = name;
      t.nameAt = date;
    }
    if (use === 'sent') {
      t.sent++;
      t.lastSent = Math.max(t.lastSent, date);
    } else {
      t.seen++;
      t.lastSeen = Math.max(t.lastSeen, date);
    }
  }
}

/** Adds these messages of one folder to the tallies: each address once per message. */
export function tally(messages: readonly MessageRecord[], use: 'sent' | 'seen', into: Map<string, Tally> = new Map()): Map<string, Tally> {
  for (const m of messages) {
    const list = use === 'sent' ? [...m.to, ...m.cc] : [...m.from, ...m.to, ...m.cc];
    const once = new Set<string>();
    count(
      into,
      list.filter((a) => {
        const key = a.address.trim().toLowerCase();
        if (once.has(key)) return false;
        once.add(key);
        return true;
      }),
      use,
      m.date,
    );
  }
  return into;
}

function merge(old: ContactRecord | undefined, key: string, t: Tally): ContactRecord {
  if (!old) return { key, address: t.address, name: t.name, sent: t.sent, lastSent: t.lastSent, seen: t.seen, lastSeen: t.lastSeen };
  const newer = t.name && Math.max(t.lastSent, t.lastSeen) >= Math.max(old.lastSent, old.lastSeen);
  return {
    key,
    address: old.address,
    name: newer || !old.name ? t.name || old.name : old.name,
    sent: old.sent + t.sent,
    lastSent: Math.max(old.lastSent, t.lastSent),
    seen: old.seen + t.seen,
    lastSeen: Math.max(old.lastSeen, t.lastSeen),
  };
}

/**
 * Reads up to WRITE_EVERY of a folder's messages outside its mark (CHUNK at a time, yielding
 * between): first those above it, then those below; writes their tally in one transaction.
 * False when the folder is done.
 */
async function indexPart(db: PetrelDb, f: FolderRecord, use: 'sent' | 'seen', yieldEvery: () => Promise<void>): Promise<boolean> {
  const markOf = async (): Promise<{ low: number; high: number } | null> => {
    const mark = await db.contactMarks.get([f.accountId, f.path]);
    return mark && mark.uidValidity === f.uidValidity ? { low: mark.low ?? 0, high: mark.uid } : null;
  };
  const from = await markOf();
  const tallies = new Map<string, Tally>();
  let low = from?.low ?? Infinity;
  let high = from?.high ?? 0;
  let read = 0;
  let up = true;
  let more = true;
  while (more && read < WRITE_EVERY) {
    // Reads of their own (read-only): the index never holds up the sync's writes to messages.
    const range = up
      ? db.messages.where('[accountId+path+uid]').between([f.accountId, f.path, high + 1], [f.accountId, f.path, Dexie.maxKey], true, true)
      : db.messages.where('[accountId+path+uid]').between([f.accountId, f.path, Dexie.minKey], [f.accountId, f.path, low], true, false).reverse();
    const batch = await range.limit(CHUNK).toArray();
    tally(
      batch.filter((m) => m.uidValidity === f.uidValidity),
      use,
      tallies,
    );
    read += batch.length;
    for (const m of batch) {
      low = Math.min(low, m.uid);
      high = Math.max(high, m.uid);
    }
    if (batch.length === CHUNK) {
      await yieldEvery();
    } else if (up && from) {
      // Nothing more above: now what arrived below (a first sync's older mail).
      up = false;
    } else {
      more = false;
    }
  }
  await db.transaction('rw', [db.contacts, db.contactMarks], async () => {
    // Counted meanwhile (another window's pass): counting again would count twice.
    const now = await markOf();
    if (now?.low !== from?.low || now?.high !== from?.high) return;
    if (tallies.size > 0) {
      const keys = [...tallies.keys()];
      const old = await db.contacts.bulkGet(keys);
      await db.contacts.bulkPut(keys.map((k, i) => merge(old[i], k, tallies.get(k)!)));
    }
    if (read > 0 && f.uidValidity !== null) {
      await db.contactMarks.put({ accountId: f.accountId, path: f.path, uidValidity: f.uidValidity, uid: high, low });
    }
  });
  return more;
}

/** One pass over every folder's new messages. Resolves whether anything was read. */
export async function indexContacts(db: PetrelDb, yieldEvery: () => Promise<void> = () => Promise.resolve()): Promise<boolean> {
  let any = false;
  for (const f of await db.folders.toArray()) {
    const use = useOf(f);
    if (!use || f.uidValidity === null) continue;
    const mark = await db.contactMarks.get([f.accountId, f.path]);
    if (mark && mark.uidValidity === f.uidValidity) {
      const folder = db.messages.where('[accountId+path+uid]').between([f.accountId, f.path, Dexie.minKey], [f.accountId, f.path, Dexie.maxKey], true, true);
      const [oldest] = await folder.clone().limit(1).primaryKeys();
      const [newest] = await folder.clone().reverse().limit(1).primaryKeys();
      if (!newest || !oldest || (newest[2] <= mark.uid && oldest[2] >= (mark.low ?? 0))) continue;
    }
    any = true;
    while (await indexPart(db, f, use, yieldEvery)) await yieldEvery();
    await yieldEvery();
  }
  return any;
}

/**
 * Keeps the index current: a pass once the folders (which every sync batch touches) have not
 * changed for `delayMs`, or `maxWaitMs` after the first change it has not read yet, so a first
 * sync's writes are not slowed by a pass every few seconds; at most one pass at a time.
 * While a first sync is under way (a stored cursor with `partialBelow`), `firstSyncDelayMs` and
 * `firstSyncMaxWaitMs` instead: its batches pause while the engine fetches the next ones (2-3 s
 * at 100k here), and a pass ran in every pause, reading the new records back during the sync
 * (benchmark: ~100k records read during a 100k first sync).
 * `onIndexed` hears passes that read something.
 */
export function startContactIndexer(
  db: PetrelDb,
  options: { delayMs?: number; maxWaitMs?: number; firstSyncDelayMs?: number; firstSyncMaxWaitMs?: number; onIndexed?: () => void } = {},
): () => void {
  const delayMs = options.delayMs ?? 2000;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const firstSyncDelayMs = options.firstSyncDelayMs ?? 10_000;
  const firstSyncMaxWaitMs = options.firstSyncMaxWaitMs ?? 300_000;
  let firstSync = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let firstChange: number | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const pause = () => new Promise<void>((r) => setTimeout(r, 0));
  const run = () => {
    timer = undefined;
    firstChange = undefined;
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = indexContacts(db, pause)
      .then((any) => {
        if (any) options.onIndexed?.();
      })
      .catch((e: unknown) => console.warn('contacts index:', e))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
  };
  const arm = () => {
    if (timer !== undefined) clearTimeout(timer);
    const delay = firstSync ? Math.max(delayMs, firstSyncDelayMs) : delayMs;
    const cap = firstSync ? firstSyncMaxWaitMs : maxWaitMs;
    timer = setTimeout(run, Math.max(0, Math.min(delay, (firstChange ?? Date.now()) + cap - Date.now())));
  };
  const schedule = () => {
    if (stopped) return;
    firstChange ??= Date.now();
    arm();
  };
  // Re-runs on any change of the folders table, which every applied batch makes.
  const sub = liveQuery(() => db.folders.toArray()).subscribe({ next: schedule, error: () => undefined });
  // The first sync's cursors are written in its batches' transactions; its end re-arms a waiting pass.
  const syncing = liveQuery(() => firstSyncUnderWay(db)).subscribe({
    next: (under) => {
      if (under === firstSync) return;
      firstSync = under;
      if (!stopped && timer !== undefined) arm();
    },
    error: () => undefined,
  });
  return () => {
    stopped = true;
    sub.unsubscribe();
    syncing.unsubscribe();
    if (timer !== undefined) clearTimeout(timer);
  };
}
