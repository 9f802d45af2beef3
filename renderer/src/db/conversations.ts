import { cmp } from 'dexie';
import type { Address } from '../../../shared/contract';
import { accountRange, type MessageKey, type MessageRecord, type PetrelDb } from './schema';

/**
 * Conversations, computed when read (the reader, the list's visible rows), never stored: a
 * thread id assigned on every insert would cost the 100k-message initial sync, and would
 * have to be rewritten when a parent arrives after its children.
 *
 * A conversation is the connected set of an account's messages, in all its folders, linked
 * by Message-IDs (JWZ): a message is linked to its own Message-ID, its In-Reply-To and every
 * id of its References, so siblings whose common parent is missing still meet through the
 * root's id in their References. Found by a bounded breadth-first walk over two indexes
 * (`messageId`, multiEntry `references`); ids are scoped to the account.
 *
 * Subject only as a fallback, for replies that lost their threading headers: a message with
 * neither In-Reply-To nor References whose subject has a reply prefix ("Re:", "Fwd:",
 * "Aw:"...) joins an earlier message with the same subject (prefixes removed) sent at most
 * SUBJECT_WINDOW_MS before it, when they share a participant. Two unrelated "Hello" mails
 * never merge: neither is a reply.
 *
 * In-Reply-To is not indexed (an index costs every header of a first sync): a reply that
 * carries only In-Reply-To gets it as its References from the engine (electron/core/sync/
 * header-map.ts, as RFC 5322 3.6.4 builds References), so its parent finds it too. Headers
 * cached before that are found from themselves and their own replies, not from the parent.
 */

export const SUBJECT_WINDOW_MS = 14 * 24 * 3600_000;
/** A conversation stops growing here (a mailing list thread of thousands would otherwise load whole). */
export const MAX_CONVERSATION = 250;
/** Rounds of the walk: each follows one more link; References usually reach the root in one. */
const MAX_ROUNDS = 12;

export interface ConversationOptions {
  /**
   * 'full' (the reader): members' earlier and later messages are searched by subject.
   * 'own' (the list, cheap): only a seed that is itself a reply without threading headers
   * looks for its earlier message by subject. 'off': Message-IDs only.
   */
  subject?: 'full' | 'own' | 'off';
  /** Folders ("accountId\u0000path") whose messages are left out of the result (Trash, Junk), except the seed's own. */
  exclude?: ReadonlySet<string>;
  maxMessages?: number;
  windowMs?: number;
  /**
   * Stops the walk (it rejects with the signal's reason) between its reads and within its subject
   * scans: the list's rows changed, and a walk left running queued ahead of the new rows' query in
   * IndexedDB (walks of 3-9 s under load, a jump into the list waiting behind them).
   */
  signal?: AbortSignal;
}

const REPLY_PREFIX = /^\s*(?:(?:re|fwd?|aw|wg|sv|vs|antw|tr|rif|r)(?:\s*\[\d+\]|\s*\(\d+\))?\s*[:：]\s*)+/i;

/** The subject without reply/forward prefixes and list-independent whitespace, lower-cased. */
export function normalizeSubject(subject: string): string {
  return subject.replace(REPLY_PREFIX, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

export function hasReplyPrefix(subject: string): boolean {
  return REPLY_PREFIX.test(subject);
}

/** No In-Reply-To, no References: only the subject can tell where it belongs. */
export function isHeaderless(m: Pick<MessageRecord, 'inReplyTo' | 'references'>): boolean {
  return !m.inReplyTo && m.references.length === 0;
}

function participants(m: MessageRecord): Set<string> {
  const out = new Set<string>();
  const add = (list: readonly Address[]) => {
    for (const a of list) if (a.address) out.add(a.address.toLowerCase());
  };
  add(m.from);
  add(m.to);
  add(m.cc);
  add(m.replyTo);
  return out;
}

/** Whether the subject fallback links these two messages of one account (see the module comment). */
export function subjectLinked(a: MessageRecord, b: MessageRecord, windowMs: number = SUBJECT_WINDOW_MS): boolean {
  if (a.accountId !== b.accountId) return false;
  const [earlier, later] = a.date <= b.date ? [a, b] : [b, a];
  if (!isHeaderless(later) || !hasReplyPrefix(later.subject)) return false;
  if (later.date - earlier.date > windowMs) return false;
  const subject = normalizeSubject(later.subject);
  if (subject === '' || normalizeSubject(earlier.subject) !== subject) return false;
  const people = participants(earlier);
  for (const p of participants(later)) if (people.has(p)) return true;
  return false;
}

export const rowKey = (m: { accountId: string; path: string; uid: number }): string => `${m.accountId}\u0000${m.path}\u0000${m.uid}`;
const idNode = (accountId: string, id: string) => `i\u0000${accountId}\u0000${id}`;

function linkIds(m: MessageRecord): string[] {
  const ids = [...m.references];
  if (m.inReplyTo) ids.push(m.inReplyTo);
  if (m.messageId) ids.push(m.messageId);
  return ids;
}

class UnionFind {
  private parent = new Map<string, string>();
  find(x: string): string {
    let root = x;
    for (let p = this.parent.get(root); p !== undefined && p !== root; p = this.parent.get(root)) root = p;
    // Path compression.
    for (let y = x, p = this.parent.get(y); p !== undefined && p !== root; y = p, p = this.parent.get(y)) this.parent.set(y, root);
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

/** The walk's state over any number of seeds (the list batches its visible rows). */
class Walk {
  readonly messages = new Map<string, MessageRecord>();
  readonly uf = new UnionFind();
  private asked = new Set<string>();
  private frontier = new Map<string, Set<string>>(); // raw id -> accounts asking

  constructor(
    private readonly db: PetrelDb,
    private readonly budget: number,
    private readonly signal?: AbortSignal,
  ) {}

  add(m: MessageRecord): boolean {
    const key = rowKey(m);
    if (this.messages.has(key)) return false;
    this.messages.set(key, m);
    for (const id of linkIds(m)) {
      const node = idNode(m.accountId, id);
      this.uf.union(key, node);
      if (!this.asked.has(node)) {
        const accounts = this.frontier.get(id) ?? new Set<string>();
        accounts.add(m.accountId);
        this.frontier.set(id, accounts);
      }
    }
    return true;
  }

  link(a: MessageRecord, b: MessageRecord): void {
    this.uf.union(rowKey(a), rowKey(b));
  }

  /** Follows Message-IDs until nothing new turns up, or the bounds are reached. */
  async expand(): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS && this.frontier.size > 0; round++) {
      this.signal?.throwIfAborted();
      const left = this.budget - this.messages.size;
      if (left <= 0) return;
      const wanted = this.frontier;
      this.frontier = new Map();
      for (const [id, accounts] of wanted) for (const a of accounts) this.asked.add(idNode(a, id));
      const ids = [...wanted.keys()];
      const [byId, byRef] = await Promise.all([
        this.db.messages.where('messageId').anyOf(ids).limit(left).toArray(),
        this.db.messages.where('references').anyOf(ids).limit(left).toArray(),
      ]);
      // Only what an account asked for belongs to it: the same id in another account is another message.
      for (const m of byId) if (m.messageId && this.asked.has(idNode(m.accountId, m.messageId))) this.add(m);
      for (const m of byRef) if (m.references.some((r) => this.asked.has(idNode(m.accountId, r)))) this.add(m);
    }
  }

  members(of: MessageRecord): MessageRecord[] {
    const root = this.uf.find(rowKey(of));
    return [...this.messages.values()].filter((m) => this.uf.find(rowKey(m)) === root);
  }
}

/** Merged [from, to] date intervals around the given dates. */
function windows(dates: readonly number[], before: number, after: number): [number, number][] {
  const sorted = [...dates].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const d of sorted) {
    const last = out[out.length - 1];
    if (last && d - before <= last[1]) last[1] = Math.max(last[1], d + after);
    else out.push([d - before, d + after]);
  }
  return out;
}

/** Messages of an account (any folder) within the date windows whose normalized subject is `subject`. */
async function sameSubject(
  db: PetrelDb,
  accountId: string,
  subject: string,
  ranges: readonly [number, number][],
  signal: AbortSignal | undefined,
): Promise<MessageRecord[]> {
  const [lo, hi] = accountRange(accountId);
  const folders = await db.folders.where(':id').between(lo, hi, true, true).toArray();
  const found = await Promise.all(
    folders.flatMap((f) =>
      ranges.map(([from, to]) =>
        db.messages
          .where('[accountId+path+date]')
          .between([accountId, f.path, from], [accountId, f.path, to], true, true)
          .until(() => signal?.aborted === true)
          .filter((m) => normalizeSubject(m.subject) === subject)
          .toArray(),
      ),
    ),
  );
  signal?.throwIfAborted();
  return found.flat();
}

/** Adds the subject-fallback links of the seeds' conversations; true when a message was added. */
async function subjectPass(
  db: PetrelDb,
  walk: Walk,
  seeds: readonly MessageRecord[],
  mode: 'full' | 'own',
  windowMs: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  let grew = false;
  const done = new Set<string>();
  for (const seed of seeds) {
    const root = walk.uf.find(rowKey(seed));
    if (done.has(root)) continue;
    done.add(root);
    const members = mode === 'full' ? walk.members(seed) : [seed];
    // In 'own' mode only a headerless reply looks (backwards); in 'full' every member looks both ways.
    const lookers = mode === 'own' ? members.filter((m) => isHeaderless(m) && hasReplyPrefix(m.subject)) : members;
    const bySubject = new Map<string, MessageRecord[]>();
    for (const m of lookers) {
      const s = normalizeSubject(m.subject);
      if (s === '') continue;
      bySubject.set(s, [...(bySubject.get(s) ?? []), m]);
    }
    for (const [subject, group] of bySubject) {
      const ranges = windows(
        group.map((m) => m.date),
        windowMs,
        mode === 'full' ? windowMs : 0,
      );
      for (const candidate of await sameSubject(db, seed.accountId, subject, ranges, signal)) {
        for (const m of group) {
          if (rowKey(m) === rowKey(candidate) || !subjectLinked(m, candidate, windowMs)) continue;
          if (walk.add(candidate)) grew = true;
          walk.link(m, candidate);
        }
      }
    }
  }
  return grew;
}

/**
 * One message per Message-ID (a copy in INBOX and in Archive, or your own message in Sent and
 * in INBOX, is one message): the seed itself, else the copy in the seed's folder, else the
 * first by key. Oldest first.
 */
function present(seed: MessageRecord, members: readonly MessageRecord[], exclude: ReadonlySet<string> | undefined): MessageRecord[] {
  const seedFolder = `${seed.accountId}\u0000${seed.path}`;
  const shown = members.filter((m) => {
    const folder = `${m.accountId}\u0000${m.path}`;
    return folder === seedFolder || !exclude?.has(folder);
  });
  const rank = (m: MessageRecord) => (rowKey(m) === rowKey(seed) ? 0 : m.path === seed.path ? 1 : 2);
  const byId = new Map<string, MessageRecord>();
  const out: MessageRecord[] = [];
  for (const m of [...shown].sort((a, b) => rank(a) - rank(b) || cmp([a.accountId, a.path, a.uid], [b.accountId, b.path, b.uid]))) {
    if (!m.messageId) {
      out.push(m);
      continue;
    }
    if (byId.has(m.messageId)) continue;
    byId.set(m.messageId, m);
    out.push(m);
  }
  return out.sort((a, b) => a.date - b.date || a.internalDate - b.internalDate || cmp([a.accountId, a.path, a.uid], [b.accountId, b.path, b.uid]));
}

/**
 * The conversations of several messages at once (one walk for all of them: the list asks for
 * its visible rows together). Each seed's conversation, oldest first, includes the seed; a
 * message alone is a conversation of one.
 */
export async function conversationsOf(
  db: PetrelDb,
  seeds: readonly MessageRecord[],
  options: ConversationOptions = {},
): Promise<Map<string, MessageRecord[]>> {
  const max = options.maxMessages ?? MAX_CONVERSATION;
  const windowMs = options.windowMs ?? SUBJECT_WINDOW_MS;
  const mode = options.subject ?? 'full';
  const signal = options.signal;
  signal?.throwIfAborted();
  const walk = new Walk(db, max * Math.max(1, seeds.length), signal);
  for (const s of seeds) walk.add(s);
  await walk.expand();
  // A message found by subject may have its own thread: walk again from it (twice at most).
  for (let pass = 0; mode !== 'off' && pass < 2; pass++) {
    if (!(await subjectPass(db, walk, seeds, mode, windowMs, signal))) break;
    await walk.expand();
  }
  signal?.throwIfAborted();
  const out = new Map<string, MessageRecord[]>();
  for (const s of seeds) out.set(rowKey(s), present(s, walk.members(s), options.exclude).slice(0, max));
  return out;
}

/** The conversation of one message, oldest first (just the message when it has none). */
export async function conversationOf(db: PetrelDb, key: MessageKey, options: ConversationOptions = {}): Promise<MessageRecord[]> {
  const seed = await db.messages.get(key);
  if (!seed) return [];
  return (await conversationsOf(db, [seed], options)).get(rowKey(seed)) ?? [seed];
}

/** Trash and Junk of the accounts, for `exclude`: deleted and spam messages stay out of conversations. */
export async function trashAndJunk(db: PetrelDb, accountIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const accountId of new Set(accountIds)) {
    const [lo, hi] = accountRange(accountId);
    for (const f of await db.folders.where(':id').between(lo, hi, true, true).toArray()) {
      if (f.specialUse === 'trash' || f.specialUse === 'junk') out.add(`${f.accountId}\u0000${f.path}`);
    }
  }
  return out;
}
