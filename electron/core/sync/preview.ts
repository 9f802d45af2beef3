/**
 * The preview line of the message list. Servers with PREVIEW (RFC 8970) compute it
 * themselves; for the others the first text part is fetched partially (a few hundred
 * bytes) and turned into text here: transfer encoding, charset, HTML and quotes removed.
 */
import { TextDecoder } from 'node:util';
import type { MessageStructureObject } from 'imapflow';

export const PREVIEW_MAX_CHARS = 200;
/** Bytes of the text part to fetch: enough for 200 characters after HTML, QP and quotes. */
export const PREVIEW_FETCH_BYTES = 1536;

/** Whitespace other than a single space: what collapsing would change. */
const NEEDS_COLLAPSE = /[^\S ]|[\u200b-\u200d]| {2}/;

/** Whitespace collapsed, trimmed, at most `max` characters (never splitting a surrogate pair). */
export function collapsePreview(text: string, max = PREVIEW_MAX_CHARS): string {
  // A server's PREVIEW is usually collapsed already: then the replace would rewrite every
  // single space as itself (100k of them cost ~0.6 s of the first sync's engine CPU).
  const collapsed = (NEEDS_COLLAPSE.test(text) ? text.replace(/[\s\u200b-\u200d]+/g, ' ') : text).trim();
  // No more UTF-16 units than the limit means no more characters either: the common case, without splitting into an array.
  if (collapsed.length <= max) return collapsed;
  const chars = Array.from(collapsed);
  return chars.length <= max ? collapsed : chars.slice(0, max).join('').trimEnd();
}

export interface PreviewPart {
  /** Body section to fetch: "1", "1.2"... (for a single-part message its body is "1"). */
  part: string;
  html: boolean;
  encoding: string;
  charset: string;
}

function isAttachmentNode(node: MessageStructureObject): boolean {
  return (node.disposition ?? '').toLowerCase() === 'attachment' || !!node.dispositionParameters?.filename;
}

/** The part a preview is made from: the first text/plain, else the first text/html, not attached as a file. */
export function pickPreviewPart(root: MessageStructureObject | undefined): PreviewPart | null {
  if (!root) return null;
  let html: PreviewPart | null = null;
  const visit = (node: MessageStructureObject, depth: number): PreviewPart | null => {
    if (depth > 20) return null;
    const type = (node.type ?? '').toLowerCase();
    if (node.childNodes && node.childNodes.length > 0) {
      for (const child of node.childNodes) {
        const found = visit(child, depth + 1);
        if (found) return found;
      }
      return null;
    }
    if (isAttachmentNode(node)) return null;
    const info = {
      part: node.part ?? '1',
      encoding: (node.encoding ?? '7bit').toLowerCase(),
      charset: node.parameters?.charset ?? 'utf-8',
    };
    if (type === 'text/plain') return { ...info, html: false };
    if (type === 'text/html' && !html) html = { ...info, html: true };
    return null;
  };
  return visit(root, 0) ?? html;
}

/** Decodes the start of a base64 body; a cut-off group at the end is dropped. */
function decodePartialBase64(raw: Buffer): Buffer {
  const b64 = raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
  return Buffer.from(b64.slice(0, b64.length - (b64.length % 4)), 'base64');
}

/** Decodes the start of a quoted-printable body; a cut-off escape at the end is dropped. */
function decodePartialQuotedPrintable(raw: Buffer): Buffer {
  const s = raw.toString('latin1').replace(/=\r?\n/g, '').replace(/=[0-9A-Fa-f]?$/, '');
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

function decodeCharset(bytes: Buffer, charset: string): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset.trim().toLowerCase() || 'utf-8');
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  // A multi-byte character cut by the partial fetch decodes to U+FFFD at the very end.
  return decoder.decode(bytes).replace(/\ufffd+$/, '');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Visible text of (the start of) an HTML document: no head, style, script, comments or tags. */
export function htmlToText(html: string): string {
  let s = html
    .replace(/<!--[\s\S]*?(-->|$)/g, ' ')
    .replace(/<(head|style|script|title)\b[\s\S]*?(<\/\1\s*>|$)/gi, ' ')
    .replace(/<br\s*\/?>|<\/(p|div|li|tr|h[1-6])>/gi, ' ')
    .replace(/<[^>]*(>|$)/g, '');
  s = s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
  return s;
}

/** Text without quoted lines ("> ...") and the "On ... wrote:" line that introduces them. */
export function stripQuotes(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => !/^\s*>/.test(l));
  const trimEnd = () => {
    while (lines.length > 0 && /^\s*$/.test(lines[lines.length - 1]!)) lines.pop();
  };
  trimEnd();
  if (lines.length > 0 && /wrote:\s*$/i.test(lines[lines.length - 1]!)) lines.pop();
  trimEnd();
  return lines.join('\n');
}

/** The preview from the partially fetched bytes of `part`. */
export function previewFromPart(raw: Buffer | undefined, part: PreviewPart): string {
  if (!raw || raw.length === 0) return '';
  const bytes =
    part.encoding === 'base64' ? decodePartialBase64(raw) : part.encoding === 'quoted-printable' ? decodePartialQuotedPrintable(raw) : raw;
  const text = decodeCharset(bytes, part.charset);
  return collapsePreview(part.html ? htmlToText(text) : stripQuotes(text));
}
