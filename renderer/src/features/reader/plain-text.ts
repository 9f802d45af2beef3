/**
 * Plain-text mail, prepared for React: runs of text and links (never markup), and quoted
 * blocks to fold. Pure functions; PlainTextBody renders them.
 */

export type TextPiece = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

export type TextBlock = { kind: 'text'; text: string } | { kind: 'quote'; text: string; lines: number };

/** http(s)://…, mailto:…, www.…, and bare addresses. Trailing punctuation is trimmed after. */
const CANDIDATE =
  /\b(?:https?:\/\/[^\s<>"]+|mailto:[^\s<>"]+|www\.[^\s<>"]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/gi;

const MAX_LINK_LENGTH = 4000;

/**
 * Trailing `.,;:!?'` and closing brackets that do not close one opened inside the URL
 * belong to the sentence, not the link: "see https://a.example/x)." -> "https://a.example/x".
 */
function trimTrailing(candidate: string): string {
  let s = candidate;
  for (;;) {
    const last = s.at(-1);
    if (last === undefined) return s;
    if (/[.,;:!?'"*_]/.test(last)) {
      s = s.slice(0, -1);
      continue;
    }
    const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{', '>': '<' };
    const open = pairs[last];
    if (open !== undefined) {
      const opens = s.split(open).length - 1;
      const closes = s.split(last).length - 1;
      if (closes > opens) {
        s = s.slice(0, -1);
        continue;
      }
    }
    return s;
  }
}

/** The URL a piece of text links to, if it is an http, https or mailto one. */
export function hrefFor(text: string): string | null {
  let raw = text;
  if (/^www\./i.test(raw)) raw = `https://${raw}`;
  else if (!/^(?:https?|mailto):/i.test(raw) && raw.includes('@')) raw = `mailto:${raw}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'mailto:') return null;
  if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.hostname.includes('.') && url.hostname !== 'localhost') {
    return null;
  }
  return url.href;
}

/** Splits text into plain runs and links. Concatenating the pieces' text gives back `text`. */
export function linkify(text: string): TextPiece[] {
  const pieces: TextPiece[] = [];
  let last = 0;
  for (const m of text.matchAll(CANDIDATE)) {
    const start = m.index;
    const candidate = trimTrailing(m[0]);
    if (candidate === '' || candidate.length > MAX_LINK_LENGTH) continue;
    // An address inside a URL was already taken by the URL's own match; this one is loose.
    const href = hrefFor(candidate);
    if (href === null) continue;
    if (start > last) pieces.push({ kind: 'text', text: text.slice(last, start) });
    pieces.push({ kind: 'link', text: candidate, href });
    last = start + candidate.length;
  }
  if (last < text.length) pieces.push({ kind: 'text', text: text.slice(last) });
  return pieces;
}

const QUOTED = /^>/;

/**
 * Groups lines into text and quoted blocks: a quote is a run of consecutive lines starting
 * with `>`. Line endings are normalized to `\n`; each block's text has no trailing newline.
 */
export function foldQuotes(text: string): TextBlock[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: TextBlock[] = [];
  let run: string[] = [];
  let quoted = false;
  const flush = () => {
    if (run.length === 0) return;
    blocks.push(quoted ? { kind: 'quote', text: run.join('\n'), lines: run.length } : { kind: 'text', text: run.join('\n') });
    run = [];
  };
  for (const line of lines) {
    const q = QUOTED.test(line);
    if (q !== quoted) {
      flush();
      quoted = q;
    }
    run.push(line);
  }
  flush();
  return blocks;
}
