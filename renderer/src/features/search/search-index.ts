/**
 * The inverted index: folded tokens → posting lists of documents (one document per cached
 * message), plus columns of what the structured filters test (date, unread, starred,
 * attachment, folder). Pure data, no IndexedDB: the worker feeds it (worker-core.ts).
 *
 * Layout, chosen for 100k messages in a worker's memory:
 * - Documents get ascending ids as they are added; a changed text gets a new id (the old one
 *   becomes dead), so every posting list stays sorted by appending only. Flag, date or folder
 *   changes update the columns in place. Dead ids are skipped at query time and squeezed out
 *   by `compact()` once they are a quarter of all ids.
 * - A posting is a plain array of SMIs, `doc * 32 + fieldMask`: one entry per document and
 *   token, with the fields it occurs in (from, to/cc, subject, body/preview, attachment names).
 * - Tokens are bucketed by their first two characters, so a prefix expands without sorting.
 * - Queries mark documents with generation stamps (no per-query allocation proportional to the
 *   index): a document matches when it is in every required group's postings.
 */
import { cmp } from 'dexie';
import type { Address } from '../../../../shared/contract';
import type { MessageKey } from '../../db/schema';
import type { SearchQuery, TextField } from './query';
import { FIRST_UNIT_HASH, hashStrings, htmlToText, indexTokens, queryTokens, unitHash } from './text';

export const FIELD_FROM = 1;
export const FIELD_TO = 2;
export const FIELD_SUBJECT = 4;
export const FIELD_BODY = 8;
export const FIELD_ATTACHMENT = 16;
const ALL_FIELDS = 31;
/** Postings pack `doc << 5 | fieldMask` (documents below 2^26). */
const SHIFT = 5;
const MASK_BITS = 31;
const MAX_DOCS = 1 << 26;

const BIT_UNREAD = 1;
const BIT_STARRED = 2;
const BIT_ATTACHMENT = 4;
const BIT_BODY = 8;
/** The unit sequence was cut (a very long subject or preview): phrases past the cut need the record. */
const BIT_SEQ_CUT = 16;

/** Units kept per message for in-memory phrase checks (subject, from, to/cc, preview). */
const MAX_SEQ = 400;
/** fieldTexts' first entries, kept as unit sequences. */
const SEQ_FIELDS = 4;
/** Field markers in a unit sequence (below FIRST_UNIT_HASH). */
const MARKER_OF_FIELD: Readonly<Record<number, number>> = { [4]: 1, [1]: 2, [2]: 3, [8]: 4 };
const FIELD_OF_MARKER = [0, 4, 1, 2, 8];

/** Most body text indexed per message (the rest of a huge message adds little but memory). */
export const MAX_BODY_CHARS = 200_000;

export const FIELD_MASK: Readonly<Record<TextField, number>> = {
  any: ALL_FIELDS,
  from: FIELD_FROM,
  to: FIELD_TO,
  subject: FIELD_SUBJECT,
};

/** What the index reads of a message: its header record and, when cached, its body. */
export interface IndexableMessage {
  accountId: string;
  path: string;
  uid: number;
  date: number;
  seen: 0 | 1;
  flagged: 0 | 1;
  hasAttachments: boolean;
  subject: string;
  from: readonly Address[];
  to: readonly Address[];
  cc: readonly Address[];
  preview: string;
  /** With `messageId`, tells a message from another one later stored under the same key. */
  uidValidity?: string;
  messageId?: string | null;
}

export interface IndexableBody {
  text: string | null;
  html: string | null;
  attachments: readonly { filename: string }[];
}

export type UpsertOutcome = 'added' | 'reindexed' | 'updated' | 'unchanged';

/** A group of tokens a document must contain one of (in the given fields). */
interface Group {
  tokens: string[];
  mask: number;
}

/** A text term that needs its word order checked against the message (a phrase). */
export interface PhraseCheck {
  units: string[];
  mask: number;
  prefixLast: boolean;
  /** `units` hashed (see unitHash), for the in-memory check. */
  hashes: number[];
  /** With prefixLast: hashes of every indexed word the last unit may be the start of. */
  lastHashes: Set<number> | null;
}

export interface IndexQueryOptions {
  /** Only documents in these folders (ids from `folderIdsMatching`); null: all folders. */
  folders: ReadonlySet<number> | null;
  /** Documents in these folders never match. */
  excludeFolders: ReadonlySet<number> | null;
}

export interface IndexMatch {
  /** Matching document ids, in no particular order (see `newestFirst`). */
  docs: number[];
  /** Phrases the matches still need checked against their text (see worker-core). */
  phrases: PhraseCheck[];
}

/** Bumped whenever the snapshot layout or what the index holds changes: older snapshots are ignored. */
export const SNAPSHOT_FORMAT = 2;

/** The whole index as a few flat arrays (cheap to store in IndexedDB and to read back). */
export interface IndexSnapshot {
  format: number;
  docs: number;
  keys: MessageKey[];
  dates: Float64Array<ArrayBuffer>;
  bits: Uint8Array<ArrayBuffer>;
  folderOf: Uint32Array<ArrayBuffer>;
  hashes: Uint32Array<ArrayBuffer>;
  seqStart: Uint32Array<ArrayBuffer>;
  seqEnd: Uint32Array<ArrayBuffer>;
  seq: Uint16Array<ArrayBuffer>;
  folderKeys: [string, string][];
  tokens: string[];
  /** Token i's entries are postings[offsets[i] .. offsets[i+1]). */
  offsets: Uint32Array<ArrayBuffer>;
  postings: Int32Array<ArrayBuffer>;
}

export function messageKeyString(accountId: string, path: string, uid: number): string {
  return `${accountId}\u0000${path}\u0000${uid}`;
}

export function folderKeyString(accountId: string, path: string): string {
  return `${accountId}\u0000${path}`;
}

function addresses(list: readonly Address[]): string {
  let s = '';
  for (const a of list) s += `${a.name} ${a.address} `;
  return s;
}

export function bodyText(body: IndexableBody | undefined | null): string {
  if (!body) return '';
  const raw = body.text ?? (body.html ? htmlToText(body.html.slice(0, MAX_BODY_CHARS * 3)) : '');
  return raw.length > MAX_BODY_CHARS ? raw.slice(0, MAX_BODY_CHARS) : raw;
}

/**
 * What identifies a message's indexed text, without reading its body. IMAP messages never
 * change under a UID within one UIDVALIDITY (both are in here), so what can change is the
 * body being cached or dropped, or another message under the same key after a UIDVALIDITY
 * change. A cached body is the same text for as long as it is cached, so its presence is
 * enough: the check of every record at start-up (worker-core.ts) need not read the bodies.
 */
function fingerprint(m: IndexableMessage, hasBody: boolean): number {
  return hashStrings([m.uidValidity ?? '', m.messageId ?? '', m.subject, m.from[0]?.address ?? '', String(m.preview.length), hasBody ? 'body' : '']);
}

function bitsOf(m: IndexableMessage, hasBody: boolean): number {
  return (m.seen ? 0 : BIT_UNREAD) | (m.flagged ? BIT_STARRED : 0) | (m.hasAttachments ? BIT_ATTACHMENT : 0) | (hasBody ? BIT_BODY : 0);
}

/** The searchable text of a message by field, in the order phrase checks use. */
export function fieldTexts(
  m: IndexableMessage,
  body?: IndexableBody | null,
  bodyString: string | null = body ? bodyText(body) : null,
): { mask: number; text: string }[] {
  const out = [
    { mask: FIELD_SUBJECT, text: m.subject },
    { mask: FIELD_FROM, text: addresses(m.from) },
    { mask: FIELD_TO, text: addresses(m.to) + addresses(m.cc) },
    { mask: FIELD_BODY, text: m.preview },
  ];
  if (body) {
    out.push({ mask: FIELD_BODY, text: bodyString ?? bodyText(body) });
    out.push({ mask: FIELD_ATTACHMENT, text: body.attachments.map((a) => a.filename).join(' ') });
  }
  return out;
}

class Grow {
  static f64(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
    if (n <= a.length) return a;
    const b = new Float64Array(Math.max(n, a.length * 2, 1024));
    b.set(a);
    return b;
  }
  static u32(a: Uint32Array<ArrayBuffer>, n: number): Uint32Array<ArrayBuffer> {
    if (n <= a.length) return a;
    const b = new Uint32Array(Math.max(n, a.length * 2, 1024));
    b.set(a);
    return b;
  }
  static u8(a: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer> {
    if (n <= a.length) return a;
    const b = new Uint8Array(Math.max(n, a.length * 2, 1024));
    b.set(a);
    return b;
  }
  static u16(a: Uint16Array<ArrayBuffer>, n: number): Uint16Array<ArrayBuffer> {
    if (n <= a.length) return a;
    const b = new Uint16Array(Math.max(n, a.length * 2, 4096));
    b.set(a);
    return b;
  }
  static i32(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
    if (n <= a.length) return a;
    const b = new Int32Array(Math.max(n, a.length * 2, 1024));
    b.set(a);
    return b;
  }
}

export class SearchIndex {
  private readonly postings = new Map<string, number[]>();
  private readonly buckets = new Map<string, string[]>();
  private readonly docByKey = new Map<string, number>();
  private keys: (MessageKey | null)[] = [];
  private keyStrings: (string | null)[] = [];
  private dates = new Float64Array(0);
  private bits = new Uint8Array(0);
  private folderOf = new Uint32Array(0);
  private hashes = new Uint32Array(0);
  // Unit sequences (header fields and preview), for phrase checks without reading records:
  // one arena of 16-bit unit hashes with field markers, [seqStart, seqEnd) per document.
  private seq = new Uint16Array(0);
  private seqUsed = 0;
  private seqStart = new Uint32Array(0);
  private seqEnd = new Uint32Array(0);
  private seqCut = false;
  private readonly addUnit = (u: string) => {
    if (this.seqUsed - this.seqStart[this.currentDoc]! >= MAX_SEQ) {
      this.seqCut = true;
      return;
    }
    this.pushSeq(unitHash(u));
  };
  private folderIds = new Map<string, number>();
  private folderKeys: [string, string][] = [];
  private nextDoc = 0;
  private dead = 0;
  // Query scratch space, stamped per query.
  private stamps = new Int32Array(0);
  private excluded = new Int32Array(0);
  private stamp = 0;
  /** Bumped on every change that can change a query's answer. */
  version = 0;
  // The document being added and the field being tokenized (see `collect`).
  private currentDoc = 0;
  private currentMask = 0;
  /**
   * Adds one token occurrence of the current document: a token seen before in this document
   * only gains the field in its last posting entry (documents are added one at a time, so
   * their entries are always last).
   */
  private readonly collect = (token: string) => {
    let list = this.postings.get(token);
    if (!list) {
      list = [];
      this.postings.set(token, list);
      const b = bucketOf(token);
      const bucket = this.buckets.get(b);
      if (bucket) bucket.push(token);
      else this.buckets.set(b, [token]);
    }
    const last = list.length - 1;
    if (last >= 0 && list[last]! >>> SHIFT === this.currentDoc) list[last] = list[last]! | this.currentMask;
    else list.push((this.currentDoc << SHIFT) | this.currentMask);
  };

  /** Live documents. */
  get size(): number {
    return this.docByKey.size;
  }

  /** Distinct tokens (including some only dead documents still hold until `compact`). */
  get tokenCount(): number {
    return this.postings.size;
  }

  has(accountId: string, path: string, uid: number): boolean {
    return this.docByKey.has(messageKeyString(accountId, path, uid));
  }

  /** The live document of a message key string, or -1. */
  docOf(keyString: string): number {
    return this.docByKey.get(keyString) ?? -1;
  }

  keyOf(doc: number): MessageKey | null {
    return this.keys[doc] ?? null;
  }

  dateOf(doc: number): number {
    return this.dates[doc] ?? 0;
  }

  hasBody(doc: number): boolean {
    return ((this.bits[doc] ?? 0) & BIT_BODY) !== 0;
  }

  /** Adds or updates a message (and its cached body, if any). */
  upsert(m: IndexableMessage, body?: IndexableBody | null): UpsertOutcome {
    const ks = messageKeyString(m.accountId, m.path, m.uid);
    const existing = this.docByKey.get(ks);
    const hash = fingerprint(m, !!body);
    if (existing !== undefined && this.hashes[existing] === hash) return this.updateColumns(existing, m, !!body);
    const bodyString = body ? bodyText(body) : null;
    if (existing !== undefined) this.kill(existing);
    if (this.nextDoc >= MAX_DOCS) this.compact();

    const doc = this.nextDoc++;
    const n = doc + 1;
    this.dates = Grow.f64(this.dates, n);
    this.bits = Grow.u8(this.bits, n);
    this.folderOf = Grow.u32(this.folderOf, n);
    this.hashes = Grow.u32(this.hashes, n);
    this.seqStart = Grow.u32(this.seqStart, n);
    this.seqEnd = Grow.u32(this.seqEnd, n);
    this.keys[doc] = [m.accountId, m.path, m.uid];
    this.keyStrings[doc] = ks;
    this.dates[doc] = Number.isFinite(m.date) ? m.date : 0;
    this.bits[doc] = bitsOf(m, !!body);
    this.folderOf[doc] = this.folderId(m.accountId, m.path);
    this.hashes[doc] = hash;
    this.docByKey.set(ks, doc);

    this.currentDoc = doc;
    this.seqStart[doc] = this.seqUsed;
    this.seqCut = false;
    const fields = fieldTexts(m, body, bodyString);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (!f.text) continue;
      this.currentMask = f.mask;
      // Subject, from, to/cc, preview (the first four) keep their units; a body and attachment
      // names are long and few: phrases in them are checked on the record.
      const marker = i < SEQ_FIELDS ? MARKER_OF_FIELD[f.mask]! : 0;
      if (marker) {
        this.pushSeq(marker);
        indexTokens(f.text, this.collect, this.addUnit);
      } else {
        indexTokens(f.text, this.collect);
      }
    }
    this.seqEnd[doc] = this.seqUsed;
    if (this.seqCut) this.bits[doc] = this.bits[doc]! | BIT_SEQ_CUT;
    this.version++;
    return existing === undefined ? 'added' : 'reindexed';
  }

  /**
   * Brings a message's flags and date up to date when its text is the one indexed (same
   * fingerprint, same body presence), without its body. Null when it needs `upsert` (new,
   * or its text changed): the caller reads its body, if any, for that.
   */
  refresh(m: IndexableMessage, hasBody: boolean): 'updated' | 'unchanged' | null {
    const existing = this.docByKey.get(messageKeyString(m.accountId, m.path, m.uid));
    if (existing === undefined || this.hashes[existing] !== fingerprint(m, hasBody)) return null;
    return this.updateColumns(existing, m, hasBody);
  }

  private updateColumns(doc: number, m: IndexableMessage, hasBody: boolean): 'updated' | 'unchanged' {
    const bits = bitsOf(m, hasBody) | ((this.bits[doc] ?? 0) & BIT_SEQ_CUT);
    const date = Number.isFinite(m.date) ? m.date : 0;
    if (this.bits[doc] === bits && this.dates[doc] === date) return 'unchanged';
    this.bits[doc] = bits;
    this.dates[doc] = date;
    this.version++;
    return 'updated';
  }

  private pushSeq(v: number): void {
    this.seq = Grow.u16(this.seq, this.seqUsed + 1);
    this.seq[this.seqUsed++] = v;
  }

  /**
   * Whether a document has a phrase, from its unit sequence: true, false, or null when only
   * the record can tell (the phrase may be in a cached body, or past a cut sequence).
   */
  hasPhrase(doc: number, p: PhraseCheck): boolean | null {
    const seq = this.seq;
    const end = this.seqEnd[doc]!;
    const hs = p.hashes;
    const n = hs.length;
    const lastIdx = n - 1;
    let fieldOk = false;
    for (let i = this.seqStart[doc]!; i < end; i++) {
      const v = seq[i]!;
      if (v < FIRST_UNIT_HASH) {
        fieldOk = (FIELD_OF_MARKER[v]! & p.mask) !== 0;
        continue;
      }
      if (!fieldOk || i + n > end) continue;
      let j = 0;
      for (; j < n; j++) {
        const w = seq[i + j]!;
        if (w === hs[j]) continue;
        if (j === lastIdx && p.lastHashes?.has(w)) continue;
        break;
      }
      if (j === n) return true;
    }
    const bits = this.bits[doc]!;
    if ((bits & BIT_SEQ_CUT) !== 0) return null;
    if ((bits & BIT_BODY) !== 0 && (p.mask & (FIELD_BODY | FIELD_ATTACHMENT)) !== 0) return null;
    return false;
  }

  /** Removes a message; false when it was not indexed. */
  remove(accountId: string, path: string, uid: number): boolean {
    const doc = this.docByKey.get(messageKeyString(accountId, path, uid));
    if (doc === undefined) return false;
    this.kill(doc);
    this.version++;
    return true;
  }

  /** Removes every message whose key lies in [from, to] (IndexedDB key order); returns how many. */
  removeRange(from: unknown, to: unknown): number {
    let removed = 0;
    for (const [, doc] of this.docByKey) {
      const key = this.keys[doc];
      if (key && cmp(key, from) >= 0 && cmp(key, to) <= 0) {
        this.kill(doc);
        removed++;
      }
    }
    if (removed > 0) this.version++;
    return removed;
  }

  /** Live message keys in [from, to] (IndexedDB key order). */
  keysInRange(from: unknown, to: unknown): MessageKey[] {
    const out: MessageKey[] = [];
    for (const [, doc] of this.docByKey) {
      const key = this.keys[doc];
      if (key && cmp(key, from) >= 0 && cmp(key, to) <= 0) out.push(key);
    }
    return out;
  }

  /** Every live key string (for reconciling with the database). */
  liveKeyStrings(): IterableIterator<string> {
    return this.docByKey.keys();
  }

  clear(): void {
    this.postings.clear();
    this.buckets.clear();
    this.docByKey.clear();
    this.keys = [];
    this.keyStrings = [];
    this.nextDoc = 0;
    this.dead = 0;
    this.seqUsed = 0;
    this.version++;
  }

  private kill(doc: number): void {
    const ks = this.keyStrings[doc];
    if (ks !== null && ks !== undefined && this.docByKey.get(ks) === doc) this.docByKey.delete(ks);
    this.keys[doc] = null;
    this.keyStrings[doc] = null;
    this.dead++;
  }

  private folderId(accountId: string, path: string): number {
    const fk = folderKeyString(accountId, path);
    let id = this.folderIds.get(fk);
    if (id === undefined) {
      id = this.folderKeys.length;
      this.folderIds.set(fk, id);
      this.folderKeys.push([accountId, path]);
    }
    return id;
  }

  /** Folder ids of the folders `pick` accepts (by account id and path). */
  folderIdsMatching(pick: (accountId: string, path: string) => boolean): Set<number> {
    const out = new Set<number>();
    this.folderKeys.forEach(([a, p], id) => {
      if (pick(a, p)) out.add(id);
    });
    return out;
  }

  /** Whether dead documents are worth squeezing out now. */
  get needsCompaction(): boolean {
    return this.dead > 2000 && this.dead * 4 > this.nextDoc;
  }

  /** Drops dead documents and renumbers the live ones (order kept, so postings stay sorted). */
  compact(): void {
    if (this.dead === 0) return;
    const remap = new Int32Array(this.nextDoc).fill(-1);
    let next = 0;
    for (let d = 0; d < this.nextDoc; d++) if (this.keys[d]) remap[d] = next++;
    const keys: (MessageKey | null)[] = new Array(next);
    const keyStrings: (string | null)[] = new Array(next);
    const dates = new Float64Array(Math.max(next, 1024));
    const bits = new Uint8Array(Math.max(next, 1024));
    const folderOf = new Uint32Array(Math.max(next, 1024));
    const hashes = new Uint32Array(Math.max(next, 1024));
    const seqStart = new Uint32Array(Math.max(next, 1024));
    const seqEnd = new Uint32Array(Math.max(next, 1024));
    let live = 0;
    for (let d = 0; d < this.nextDoc; d++) if (remap[d]! >= 0) live += this.seqEnd[d]! - this.seqStart[d]!;
    const seq = new Uint16Array(Math.max(live, 4096));
    let used = 0;
    for (let d = 0; d < this.nextDoc; d++) {
      const nd = remap[d]!;
      if (nd < 0) continue;
      keys[nd] = this.keys[d]!;
      keyStrings[nd] = this.keyStrings[d]!;
      dates[nd] = this.dates[d]!;
      bits[nd] = this.bits[d]!;
      folderOf[nd] = this.folderOf[d]!;
      hashes[nd] = this.hashes[d]!;
      seqStart[nd] = used;
      seq.set(this.seq.subarray(this.seqStart[d]!, this.seqEnd[d]!), used);
      used += this.seqEnd[d]! - this.seqStart[d]!;
      seqEnd[nd] = used;
      this.docByKey.set(this.keyStrings[d]!, nd);
    }
    for (const [token, list] of this.postings) {
      let w = 0;
      for (let i = 0; i < list.length; i++) {
        const e = list[i]!;
        const nd = remap[e >>> SHIFT]!;
        if (nd >= 0) list[w++] = (nd << SHIFT) | (e & MASK_BITS);
      }
      if (w === 0) this.postings.delete(token);
      else list.length = w;
    }
    this.buckets.clear();
    for (const token of this.postings.keys()) {
      const b = bucketOf(token);
      const bucket = this.buckets.get(b);
      if (bucket) bucket.push(token);
      else this.buckets.set(b, [token]);
    }
    this.keys = keys;
    this.keyStrings = keyStrings;
    this.dates = dates;
    this.bits = bits;
    this.folderOf = folderOf;
    this.hashes = hashes;
    this.seq = seq;
    this.seqUsed = used;
    this.seqStart = seqStart;
    this.seqEnd = seqEnd;
    this.nextDoc = next;
    this.dead = 0;
    this.version++;
  }

  /**
   * Tokens starting with `prefix`. A one-character prefix matches only itself: it would
   * expand to a good part of the alphabet (and a CJK character is a token of its own).
   */
  expandPrefix(prefix: string): string[] {
    const chars = [...prefix];
    if (chars.length === 0) return [];
    if (chars.length === 1) return this.postings.has(prefix) ? [prefix] : [];
    const bucket = this.buckets.get(bucketOf(prefix));
    return bucket ? bucket.filter((t) => t.startsWith(prefix)) : [];
  }

  /**
   * The documents matching a query's text terms and filters (phrases not yet checked:
   * `phrases` lists them).
   */
  match(q: SearchQuery, opts: IndexQueryOptions): IndexMatch {
    const required: Group[] = [];
    const excluded: Group[] = [];
    const excludedAll: Group[][] = [];
    const phrases: PhraseCheck[] = [];
    for (const t of q.text) {
      const mask = FIELD_MASK[t.field];
      const { tokens, units, phrase } = queryTokens(t.text);
      if (tokens.length === 0) continue;
      const groups: Group[] = tokens.map((tok, i) => {
        // While typing, the last word of the last term is a prefix (a word, not a CJK bigram).
        const expand = t.prefix && !t.negated && i === tokens.length - 1 && units[units.length - 1] === tok;
        return { tokens: expand ? this.expandPrefix(tok) : [tok], mask };
      });
      if (t.negated) {
        // -"a phrase": excluded when it has all the words (their order is not checked).
        if (groups.length === 1) excluded.push(groups[0]!);
        else excludedAll.push(groups);
        continue;
      }
      required.push(...groups);
      if (phrase || (t.quoted && units.length > 1)) {
        const last = units[units.length - 1]!;
        phrases.push({
          units,
          mask,
          prefixLast: t.prefix,
          hashes: units.map(unitHash),
          lastHashes: t.prefix ? new Set([last, ...this.expandPrefix(last)].map(unitHash)) : null,
        });
      }
    }

    const n = this.nextDoc;
    this.stamps = Grow.i32(this.stamps, n);
    this.excluded = Grow.i32(this.excluded, n);
    // Stamps: a document reaching group i has stamp base+i. Wrap before Int32 overflows.
    if (this.stamp > 2_000_000_000 - required.length - 4) {
      this.stamps.fill(0);
      this.excluded.fill(0);
      this.stamp = 0;
    }
    const base = this.stamp + 1;
    this.stamp = base + required.length + 1;

    for (const g of excluded) {
      for (const tok of g.tokens) {
        const list = this.postings.get(tok);
        if (!list) continue;
        for (let i = 0; i < list.length; i++) {
          const e = list[i]!;
          if (e & g.mask) this.excluded[e >>> SHIFT] = base;
        }
      }
    }
    for (const groups of excludedAll) this.excludeHoldingAll(groups, base);

    const out: number[] = [];
    const filtered =
      q.unread !== null || q.starred !== null || q.attachment !== null || q.after !== null || q.before !== null || opts.folders !== null || opts.excludeFolders !== null;
    const keys = this.keys;
    const excludedMarks = this.excluded;
    const accept = (doc: number) => {
      if (excludedMarks[doc] === base || !keys[doc]) return;
      if (filtered && !this.passesFilters(doc, q, opts)) return;
      out.push(doc);
    };
    if (required.length === 0) {
      for (let doc = 0; doc < n; doc++) accept(doc);
    } else {
      // Smallest groups first: later groups only promote documents that got this far.
      const order = required
        .map((g) => ({ g, size: g.tokens.reduce((s, t) => s + (this.postings.get(t)?.length ?? 0), 0) }))
        .sort((a, b) => a.size - b.size);
      if (order[0]!.size === 0) return { docs: [], phrases };
      for (let gi = 0; gi < order.length; gi++) {
        const { g } = order[gi]!;
        const from = base + gi - 1;
        const to = base + gi;
        const last = gi === order.length - 1;
        for (const tok of g.tokens) {
          const list = this.postings.get(tok);
          if (!list) continue;
          for (let i = 0; i < list.length; i++) {
            const e = list[i]!;
            if ((e & g.mask) === 0) continue;
            const doc = e >>> SHIFT;
            if (gi === 0 ? this.stamps[doc] === to : this.stamps[doc] !== from) continue;
            this.stamps[doc] = to;
            if (last) accept(doc);
          }
        }
      }
    }
    return { docs: out, phrases };
  }

  /** Marks (in `excluded`) the documents that are in every group. */
  private excludeHoldingAll(groups: Group[], base: number): void {
    if (groups.length === 0) return;
    const counts = new Map<number, number>();
    groups.forEach((g, gi) => {
      const seen = new Set<number>();
      for (const tok of g.tokens) {
        const list = this.postings.get(tok);
        if (!list) continue;
        for (let i = 0; i < list.length; i++) {
          const e = list[i]!;
          if ((e & g.mask) === 0) continue;
          const doc = e >>> SHIFT;
          if (seen.has(doc) || (counts.get(doc) ?? 0) !== gi) continue;
          seen.add(doc);
          counts.set(doc, gi + 1);
        }
      }
    });
    for (const [doc, c] of counts) if (c === groups.length) this.excluded[doc] = base;
  }

  /** Whether a document passes the query's structured filters (flags, attachment, dates, folders). */
  passesFilters(doc: number, q: SearchQuery, opts: IndexQueryOptions): boolean {
    const bits = this.bits[doc]!;
    if (q.unread !== null && ((bits & BIT_UNREAD) !== 0) !== q.unread) return false;
    if (q.starred !== null && ((bits & BIT_STARRED) !== 0) !== q.starred) return false;
    if (q.attachment !== null && ((bits & BIT_ATTACHMENT) !== 0) !== q.attachment) return false;
    const date = this.dates[doc]!;
    if (q.after && date < q.after.ms) return false;
    if (q.before && date >= q.before.ms) return false;
    const folder = this.folderOf[doc]!;
    if (opts.folders && !opts.folders.has(folder)) return false;
    if (opts.excludeFolders && opts.excludeFolders.has(folder)) return false;
    return true;
  }

  /**
   * Documents newest first (ties: the later-added first): the first `k` only, chosen in
   * O(n log k), or all of them when k >= docs.length.
   */
  newestFirst(docs: readonly number[], k: number): number[] {
    const dates = this.dates;
    const newer = (a: number, b: number) => dates[a]! > dates[b]! || (dates[a] === dates[b] && a > b);
    if (k >= docs.length) return docs.slice().sort((a, b) => (newer(a, b) ? -1 : newer(b, a) ? 1 : 0));
    if (k <= 0) return [];
    // A min-heap (by "newer") of the k newest seen so far.
    const heap: number[] = [];
    const up = (i: number) => {
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (newer(heap[p]!, heap[i]!)) {
          [heap[p], heap[i]] = [heap[i]!, heap[p]!];
          i = p;
        } else break;
      }
    };
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let s = i;
        if (l < heap.length && newer(heap[s]!, heap[l]!)) s = l;
        if (r < heap.length && newer(heap[s]!, heap[r]!)) s = r;
        if (s === i) return;
        [heap[s], heap[i]] = [heap[i]!, heap[s]!];
        i = s;
      }
    };
    for (let i = 0; i < docs.length; i++) {
      const d = docs[i]!;
      if (heap.length < k) {
        heap.push(d);
        up(heap.length - 1);
      } else if (newer(d, heap[0]!)) {
        heap[0] = d;
        down(0);
      }
    }
    return heap.sort((a, b) => (newer(a, b) ? -1 : newer(b, a) ? 1 : 0));
  }

  /** The index as flat arrays (dead documents squeezed out first). */
  toSnapshot(): IndexSnapshot {
    this.compact();
    const n = this.nextDoc;
    const tokens: string[] = [];
    let total = 0;
    for (const list of this.postings.values()) total += list.length;
    const offsets = new Uint32Array(this.postings.size + 1);
    const postings = new Int32Array(total);
    let at = 0;
    for (const [token, list] of this.postings) {
      offsets[tokens.length] = at;
      tokens.push(token);
      for (let i = 0; i < list.length; i++) postings[at++] = list[i]!;
    }
    offsets[tokens.length] = at;
    return {
      format: SNAPSHOT_FORMAT,
      docs: n,
      keys: this.keys.slice(0, n) as MessageKey[],
      dates: this.dates.slice(0, n),
      bits: this.bits.slice(0, n),
      folderOf: this.folderOf.slice(0, n),
      hashes: this.hashes.slice(0, n),
      seqStart: this.seqStart.slice(0, n),
      seqEnd: this.seqEnd.slice(0, n),
      seq: this.seq.slice(0, this.seqUsed),
      folderKeys: this.folderKeys.map(([a, p]): [string, string] => [a, p]),
      tokens,
      offsets,
      postings,
    };
  }

  /** An index as it was saved; null when the snapshot is of another format or inconsistent. */
  static fromSnapshot(snap: IndexSnapshot): SearchIndex | null {
    if (snap.format !== SNAPSHOT_FORMAT) return null;
    const n = snap.docs;
    const sizes = [snap.keys.length, snap.dates.length, snap.bits.length, snap.folderOf.length, snap.hashes.length, snap.seqStart.length, snap.seqEnd.length];
    if (sizes.some((s) => s !== n) || snap.offsets.length !== snap.tokens.length + 1) return null;
    const index = new SearchIndex();
    index.keys = snap.keys.slice();
    const keyStrings = snap.keys.map((k) => messageKeyString(k[0], k[1], k[2]));
    keyStrings.forEach((ks, doc) => index.docByKey.set(ks, doc));
    index.keyStrings = keyStrings;
    index.dates = Grow.f64(snap.dates, n);
    index.bits = Grow.u8(snap.bits, n);
    index.folderOf = Grow.u32(snap.folderOf, n);
    index.hashes = Grow.u32(snap.hashes, n);
    index.seqStart = Grow.u32(snap.seqStart, n);
    index.seqEnd = Grow.u32(snap.seqEnd, n);
    index.seq = Grow.u16(snap.seq, snap.seq.length);
    index.seqUsed = snap.seq.length;
    index.folderKeys = snap.folderKeys.map(([a, p]): [string, string] => [a, p]);
    index.folderIds = new Map(index.folderKeys.map(([a, p], id) => [folderKeyString(a, p), id]));
    for (let i = 0; i < snap.tokens.length; i++) {
      const token = snap.tokens[i]!;
      index.postings.set(token, Array.from(snap.postings.subarray(snap.offsets[i]!, snap.offsets[i + 1]!)));
      const b = bucketOf(token);
      const bucket = index.buckets.get(b);
      if (bucket) bucket.push(token);
      else index.buckets.set(b, [token]);
    }
    index.nextDoc = n;
    return index;
  }

  /** Rough memory figures, for the benchmark. */
  stats(): { docs: number; deadDocs: number; tokens: number; postings: number; sequenceUnits: number } {
    let postings = 0;
    for (const list of this.postings.values()) postings += list.length;
    return { docs: this.size, deadDocs: this.dead, tokens: this.postings.size, postings, sequenceUnits: this.seqUsed };
  }
}

/** A token's bucket: its first two characters (one for a CJK character or a 1-char token). */
function bucketOf(token: string): string {
  const first = token.codePointAt(0)!;
  const firstLen = first > 0xffff ? 2 : 1;
  if (first >= 0x2e80) return token.slice(0, firstLen);
  const second = token.codePointAt(firstLen);
  if (second === undefined) return token.slice(0, firstLen);
  return token.slice(0, firstLen + (second > 0xffff ? 2 : 1));
}
