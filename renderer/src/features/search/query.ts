/**
 * The search language, parsed:
 *
 *   words             every word must occur (AND), in any header, the preview or a cached body
 *   "a phrase"        the words in this order
 *   -word, -"phrase"  must not occur
 *   from:ann  to:bob  subject:"weekly report"     in that field only (to: covers To and Cc)
 *   has:attachment    is:unread  is:read  is:starred (is:flagged)  — `-is:starred` negates
 *   after:2024-03-01  on or after that day;  before:2024-04-01  before that day (local time)
 *   in:inbox  in:sent  in:trash  in:drafts  in:junk (in:spam)  in:archive  in:"Folder name"
 *
 * Operator names are case-insensitive; an unknown `word:thing` is plain text. Typing never
 * fails: an operator without a value yet (`from:`) is skipped, and a bad value (`before:soon`)
 * is reported in `errors` and ignored. The last unquoted word of a query still being typed
 * (no trailing space) matches as a prefix, so results come as you type.
 */
import type { ServerSearchQuery } from '../../../../shared/contract';

export type TextField = 'any' | 'from' | 'to' | 'subject';

export interface TextTerm {
  field: TextField;
  /** As typed (without quotes); tokenized by the index. */
  text: string;
  quoted: boolean;
  negated: boolean;
  /** The word being typed: its last word matches as a prefix. */
  prefix: boolean;
}

export interface DayBound {
  /** YYYY-MM-DD. */
  day: string;
  /** Local midnight starting that day, ms since the epoch. */
  ms: number;
}

export interface SearchQuery {
  text: TextTerm[];
  /** true: unread only; false: read only; null: either. */
  unread: boolean | null;
  starred: boolean | null;
  attachment: boolean | null;
  /** Messages on or after this day. */
  after: DayBound | null;
  /** Messages before this day. */
  before: DayBound | null;
  /** Only in folders matching one of these (lowercased): special names or folder names. */
  in: string[];
  /** Not in folders matching these. */
  notIn: string[];
  /** Problems with operators, for a hint under the box. The rest of the query still runs. */
  errors: string[];
}

/** Special folder names `in:` understands (besides any folder's own name). */
export const SPECIAL_FOLDER_NAMES: Readonly<Record<string, string>> = {
  inbox: 'inbox',
  sent: 'sent',
  drafts: 'drafts',
  draft: 'drafts',
  trash: 'trash',
  bin: 'trash',
  junk: 'junk',
  spam: 'junk',
  archive: 'archive',
  starred: 'flagged',
  flagged: 'flagged',
  all: 'all',
};

const FIELD_KEYS: Readonly<Record<string, TextField>> = { from: 'from', to: 'to', cc: 'to', subject: 'subject' };
const KEYS = new Set(['from', 'to', 'cc', 'subject', 'has', 'is', 'before', 'after', 'since', 'in']);

interface Lexeme {
  negated: boolean;
  key: string | null;
  value: string;
  quoted: boolean;
  /** The closing quote is there (or there was no opening one). */
  closed: boolean;
  /** Ends the input, with nothing after it. */
  last: boolean;
}

function lex(input: string): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  const n = input.length;
  const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
  while (i < n) {
    while (i < n && isSpace(input[i])) i++;
    if (i >= n) break;
    let negated = false;
    if (input[i] === '-' && i + 1 < n && !isSpace(input[i + 1])) {
      negated = true;
      i++;
    }
    let key: string | null = null;
    const m = /^([A-Za-z]+):/.exec(input.slice(i, i + 12));
    if (m && KEYS.has(m[1]!.toLowerCase())) {
      key = m[1]!.toLowerCase();
      i += m[0].length;
    }
    let value: string;
    let quoted = false;
    let closed = true;
    if (input[i] === '"') {
      quoted = true;
      const end = input.indexOf('"', i + 1);
      if (end === -1) {
        value = input.slice(i + 1);
        closed = false;
        i = n;
      } else {
        value = input.slice(i + 1, end);
        i = end + 1;
      }
    } else {
      const start = i;
      while (i < n && !isSpace(input[i])) i++;
      value = input.slice(start, i);
    }
    out.push({ negated, key, value, quoted, closed, last: i >= n });
  }
  return out;
}

/** Parses a YYYY-MM-DD (or YYYY/MM/DD, single-digit month and day allowed) into a local day. */
export function parseDay(value: string): DayBound | null {
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(value.trim());
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const date = new Date(y, mo - 1, d);
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  const day = `${m[1]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return { day, ms: date.getTime() };
}

export function emptyQuery(): SearchQuery {
  return { text: [], unread: null, starred: null, attachment: null, after: null, before: null, in: [], notIn: [], errors: [] };
}

export function parseQuery(input: string): SearchQuery {
  const q = emptyQuery();
  const typing = input.length > 0 && !/\s$/.test(input);
  for (const lx of lex(input)) {
    const value = lx.value.trim();
    const prefix = typing && lx.last && (!lx.quoted || !lx.closed);
    if (lx.key === null || FIELD_KEYS[lx.key]) {
      if (value === '') continue;
      const field = lx.key === null ? 'any' : FIELD_KEYS[lx.key]!;
      // A lone "-" or punctuation has no words: nothing to match, nothing to skip.
      if (!/[\p{L}\p{N}]/u.test(value)) continue;
      q.text.push({ field, text: value, quoted: lx.quoted, negated: lx.negated, prefix });
      continue;
    }
    if (value === '') continue; // "is:" while typing
    const v = value.toLowerCase();
    switch (lx.key) {
      case 'is':
        if (v === 'unread') q.unread = !lx.negated;
        else if (v === 'read') q.unread = lx.negated;
        else if (v === 'starred' || v === 'flagged') q.starred = !lx.negated;
        else if (v === 'unstarred' || v === 'unflagged') q.starred = lx.negated;
        else if (!prefix) q.errors.push(`is:${value} is not known (try is:unread, is:read, is:starred).`);
        break;
      case 'has':
        if (v === 'attachment' || v === 'attachments') q.attachment = !lx.negated;
        else if (!prefix) q.errors.push(`has:${value} is not known (try has:attachment).`);
        break;
      case 'before':
      case 'after':
      case 'since': {
        const day = parseDay(value);
        if (!day) {
          if (!prefix) q.errors.push(`${lx.key}: needs a date like 2024-03-31.`);
          break;
        }
        // -before:X is after:X and the other way round.
        const isBefore = (lx.key === 'before') !== lx.negated;
        if (isBefore) q.before = !q.before || day.ms < q.before.ms ? day : q.before;
        else q.after = !q.after || day.ms > q.after.ms ? day : q.after;
        break;
      }
      case 'in':
        (lx.negated ? q.notIn : q.in).push(v);
        break;
    }
  }
  return q;
}

/** Whether the query asks for anything (an empty box shows no results, not all mail). */
export function isEmptyQuery(q: SearchQuery): boolean {
  return (
    q.text.length === 0 &&
    q.unread === null &&
    q.starred === null &&
    q.attachment === null &&
    q.after === null &&
    q.before === null &&
    q.in.length === 0 &&
    q.notIn.length === 0
  );
}

/**
 * The part of a query the server can evaluate (folder scoping is the caller's: it picks the
 * folders). Text terms are substrings there, so a word being typed still matches as a prefix.
 */
export function toServerQuery(q: SearchQuery): ServerSearchQuery {
  const out: ServerSearchQuery = {};
  const add = (target: 'text' | 'from' | 'to' | 'subject', value: string, negated: boolean) => {
    if (negated) {
      out.not ??= {};
      (out.not[target] ??= []).push(value);
    } else {
      (out[target] ??= []).push(value);
    }
  };
  for (const t of q.text.slice(0, 20)) add(t.field === 'any' ? 'text' : t.field, t.text.slice(0, 500), t.negated);
  if (q.after) out.since = q.after.day;
  if (q.before) out.before = q.before.day;
  if (q.unread !== null) out.unseen = q.unread;
  if (q.starred !== null) out.flagged = q.starred;
  if (q.attachment !== null) out.attachment = q.attachment;
  return out;
}
