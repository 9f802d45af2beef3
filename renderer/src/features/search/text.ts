/**
 * Text for the search index: folding (case, diacritics, width) and segmentation into words.
 *
 * - Folding: lowercase, NFKD (full-width Latin and half-width kana become ordinary), combining
 *   diacritics dropped (é→e, ñ→n, ё→е), then NFC again so Japanese voiced kana (が) stay
 *   themselves. A few letters that are not "letter + mark" fold by hand (ß→ss, ø→o, ł→l...).
 *   Russian й keeps its breve: it is a letter of its own, not и with an accent.
 * - Segmentation: runs of letters and digits are words; runs of CJK (Han, kana, Hangul) have
 *   no spaces between words, so they are indexed as single characters and overlapping
 *   bigrams, and a query's CJK run matches by its bigrams (plus an adjacency check).
 *
 * The same functions fold the indexed text and the query, so both sides always agree.
 */

/** Longest word kept (longer runs are base64, hashes or URLs: cut, not dropped). */
export const MAX_WORD = 40;

const SPECIAL: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ð: 'd',
  ł: 'l',
  þ: 'th',
  ı: 'i',
  ħ: 'h',
};

// Combining marks to drop: Latin/Greek/Cyrillic diacritics, Hebrew points, Arabic harakat.
// Not the kana voicing marks (U+3099/U+309A): NFC puts them back on their kana.
// eslint-disable-next-line no-misleading-character-class -- ranges of combining marks, removed one by one on purpose
const MARKS = /(и)\u0306|[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u0591-\u05c7\u064b-\u065f\u0670]/g;
const SPECIAL_RE = /[ßæœøđðłþıħ]/g;
/** Any character beyond ASCII (a plain regex: much faster than a Unicode-property one). */
const NON_ASCII = /[\u0080-\uffff]/;

/** Folds text for matching: lowercase, no diacritics, compatibility forms unified. */
export function fold(text: string): string {
  const lower = text.toLowerCase();
  if (!NON_ASCII.test(lower)) return lower;
  return lower
    .normalize('NFKD')
    .replace(MARKS, (_m, i: string | undefined) => (i ? 'й' : ''))
    .normalize('NFC')
    .replace(SPECIAL_RE, (c) => SPECIAL[c] ?? c);
}

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\u3005\u3006]/u;
const CJK_RUNS = /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\u3005\u3006]+)|([^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\u3005\u3006]+)/gu;

export interface Segment {
  /** A word, or a run of CJK characters (no spaces inside). */
  kind: 'word' | 'cjk';
  text: string;
}

const ASCII_WORD = /[a-z0-9]+/g;

/** Splits already folded text into words and CJK runs, in order. */
export function segments(folded: string): Segment[] {
  const out: Segment[] = [];
  if (!NON_ASCII.test(folded)) {
    // Most mail: no Unicode property lookups needed.
    for (const m of folded.matchAll(ASCII_WORD)) out.push({ kind: 'word', text: m[0].length > MAX_WORD ? m[0].slice(0, MAX_WORD) : m[0] });
    return out;
  }
  for (const m of folded.matchAll(WORD)) {
    const run = m[0];
    if (!CJK.test(run)) {
      out.push({ kind: 'word', text: run.length > MAX_WORD ? run.slice(0, MAX_WORD) : run });
      continue;
    }
    // Mixed run ("iphone発売"): split into its CJK and non-CJK parts.
    for (const part of run.matchAll(CJK_RUNS)) {
      if (part[1]) out.push({ kind: 'cjk', text: part[1] });
      else if (part[2]) out.push({ kind: 'word', text: part[2].length > MAX_WORD ? part[2].slice(0, MAX_WORD) : part[2] });
    }
  }
  return out;
}

/**
 * The units of text in order, for phrase checks: each word, and each CJK character
 * separately. A phrase matches where its units appear consecutively.
 */
export function units(text: string): string[] {
  const out: string[] = [];
  for (const s of segments(fold(text))) {
    if (s.kind === 'word') out.push(s.text);
    else for (const ch of s.text) out.push(ch);
  }
  return out;
}

/**
 * Index tokens of text: its words, and for CJK runs every character and every adjacent pair.
 * `unit`, if given, hears the units in order (words and single CJK characters: see `units`).
 */
export function indexTokens(text: string, into: (token: string) => void, unit?: (u: string) => void): void {
  const folded = fold(text);
  if (!NON_ASCII.test(folded)) {
    ASCII_WORD.lastIndex = 0;
    for (let m = ASCII_WORD.exec(folded); m !== null; m = ASCII_WORD.exec(folded)) {
      const word = m[0].length > MAX_WORD ? m[0].slice(0, MAX_WORD) : m[0];
      into(word);
      unit?.(word);
    }
    return;
  }
  for (const s of segments(folded)) {
    if (s.kind === 'word') {
      into(s.text);
      unit?.(s.text);
      continue;
    }
    const chars = [...s.text];
    for (let i = 0; i < chars.length; i++) {
      into(chars[i]!);
      unit?.(chars[i]!);
      if (i + 1 < chars.length) into(chars[i]! + chars[i + 1]!);
    }
  }
}

/** Values below this are field markers in a unit sequence, never unit hashes. */
export const FIRST_UNIT_HASH = 8;

/** A unit's 16-bit hash for in-memory phrase checks (never a field marker). */
export function unitHash(u: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) {
    h ^= u.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return FIRST_UNIT_HASH + (((h >>> 16) ^ h) & 0xffff) % (0x10000 - FIRST_UNIT_HASH);
}

/**
 * The tokens a query word must match (all of them): a word is itself; a CJK run of one
 * character is that character, a longer run its bigrams. `phrase` is true when matching
 * the tokens is not proof of adjacency (several words or a CJK run of 3+ characters).
 */
export function queryTokens(text: string): { tokens: string[]; units: string[]; phrase: boolean } {
  const tokens: string[] = [];
  const us: string[] = [];
  let phrase = false;
  const segs = segments(fold(text));
  for (const s of segs) {
    if (s.kind === 'word') {
      tokens.push(s.text);
      us.push(s.text);
      continue;
    }
    const chars = [...s.text];
    us.push(...chars);
    if (chars.length === 1) tokens.push(chars[0]!);
    else for (let i = 0; i + 1 < chars.length; i++) tokens.push(chars[i]! + chars[i + 1]!);
    if (chars.length > 2) phrase = true;
  }
  if (segs.length > 1) phrase = true;
  return { tokens: [...new Set(tokens)], units: us, phrase };
}

/** Whether `needle` occurs as consecutive units in `hay`. */
export function containsUnits(hay: readonly string[], needle: readonly string[], prefixLast = false): boolean {
  if (needle.length === 0) return true;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      const h = hay[i + j]!;
      const n = needle[j]!;
      if (h === n) continue;
      if (prefixLast && j === needle.length - 1 && h.startsWith(n)) continue;
      continue outer;
    }
    return true;
  }
  return false;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * The words of an HTML body, for indexing only (never shown): scripts, styles and the head
 * dropped, tags become spaces, common entities decoded.
 */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}

/** 32-bit FNV-1a of strings (change detection only). */
export function hashStrings(parts: readonly string[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      h ^= p.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x1f;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
