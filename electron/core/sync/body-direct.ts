/**
 * The body of a message in the common shapes, read without mailparser's streams: the same
 * text, HTML and attachments mailparser's simpleParser gives (with the options parseBody
 * uses), or null for anything else, which parseBody then hands to mailparser.
 *
 * Why: in the offline download mailparser was half of the engine's CPU. Per message it builds
 * a pipeline of Transform streams (splitter, transfer decoder, charset decoder, hasher) and
 * moves every line through them; for a message of a few kilobytes that machinery costs many
 * times the decoding. Here the same pieces do the work without the streams: mailsplit's
 * MimeNode reads each part's headers (content type, charset, transfer encoding, disposition,
 * file name, flowed, part number), libmime decodes charsets and flowed text, quoted-printable
 * is decoded here as libqp does it, and the tree is walked the way
 * mailparser's getTextContent walks it.
 *
 * What is read here: any tree of multipart/* (with a boundary) and leaves in 7bit, 8bit,
 * binary, quoted-printable or base64 whose delimiter lines are exact, and where mailparser
 * would neither convert between text and HTML (a lone HTML part, text beside HTML outside an
 * alternative) nor inline `cid:` images. Everything else goes to mailparser: message/* parts,
 * uuencode and other transfer encodings, padding inside base64, delimiter lines with trailing
 * blanks, a missing close delimiter, a header block without its end. A unit test compares
 * both readers over generated messages of every shape (body-direct.test.ts).
 *
 * The versions of mailsplit, libmime and libqp are pinned in package.json to the ones
 * mailparser pins, so both readers decode with the same code.
 */
import { MimeNode } from '@zone-eu/mailsplit';
import type { MimeNode as MimeNodeShape } from '@zone-eu/mailsplit/lib/types';
import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset.js';

export interface DirectBody {
  html: string | null;
  text: string | null;
  /** As mailparser reports them: part ids null for a message that is one attachment. */
  attachments: DirectAttachment[];
}

export interface DirectAttachment {
  partId: string | null;
  filename?: string;
  contentType: string;
  size: number;
  contentId?: string;
  related?: boolean;
  contentDisposition?: string;
}

interface Part {
  node: MimeNode;
  /** Decoded content (leaves only). */
  content: Buffer | null;
  children: Part[];
  /** Where the body starts in the source. */
  bodyAt: number;
}

/** Thrown inside the reader for a shape it leaves to mailparser. */
class NotDirect extends Error {}

const MAX_DEPTH = 12;
const MAX_HEADER_COST = 512 * 1024;
/** mailsplit stops at 1000 parts. */
const MAX_PARTS = 500;
const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
/** The part types mailparser reads as text when inline (mail-parser.js textTypes, without delivery-status, which is left to it). */
const TEXT_TYPES = new Set(['text/plain', 'text/html']);
const PASS_THROUGH = new Set(['', '7bit', '8bit', 'binary']);

export function readBodyDirect(source: Buffer): DirectBody | null {
  try {
    const root = readPart(source, 0, source.length, false, 0);
    return assemble(root);
  } catch {
    // NotDirect, or a fault in this reader: either way mailparser reads the message, so no
    // body is lost to the shortcut (a fault would show in the unit tests' comparisons).
    return null;
  }
}

function notDirect(): never {
  throw new NotDirect();
}

/** The part in source[start, end): its header block, then a body or (multipart) its children. */
function readPart(source: Buffer, start: number, end: number, parent: MimeNode | false, depth: number): Part {
  if (depth > MAX_DEPTH) notDirect();
  const node = new MimeNode(parent as MimeNodeShape | false);
  let pos = start;
  for (;;) {
    const nl = source.indexOf(LF, pos);
    if (nl === -1 || nl >= end) notDirect();
    const line = source.subarray(pos, nl + 1);
    pos = nl + 1;
    if (node.addHeaderChunk(line)) break;
    // mailsplit refuses a header block past 1 MB: its limits are left for it to apply.
    if (node.headerCost() > MAX_HEADER_COST) notDirect();
  }
  node.parseHeaders();
  const type = node.contentType || '';
  if (type.startsWith('message/')) notDirect();
  if (node.multipart) {
    const boundary = node._boundary;
    if (!boundary) notDirect();
    // A nested multipart that reuses a boundary around it: whose delimiter a line is depends on
    // how the splitter tracks nesting, so mailsplit decides.
    for (let p: MimeNodeShape | false = parent; p; p = p.parentNode) {
      if (p._boundary && p._boundary.equals(boundary)) notDirect();
    }
    const children = splitMultipart(source, pos, end, boundary).map(({ start, end: partEnd, delimiterAt, last }) => {
      const child = readPart(source, start, partEnd, node, depth + 1);
      // A body that is only a line ending: mailsplit keeps it when another part follows.
      if (!last && !child.node.multipart && child.bodyAt === partEnd && delimiterAt > partEnd) notDirect();
      return child;
    });
    return { node, content: null, children, bodyAt: pos };
  }
  return { node, content: decodeTransfer(node, source.subarray(pos, end)), children: [], bodyAt: pos };
}

/**
 * The children's byte ranges of a multipart body, with where the delimiter after each starts
 * and whether it is the close delimiter. A delimiter line is `--boundary` or
 * `--boundary--` and its line ending; the line ending before it belongs to it (RFC 2046).
 * Any other line that starts with `--boundary` (blanks after it, which mailsplit accepts)
 * and a body that never closes are left to mailparser.
 */
function splitMultipart(source: Buffer, start: number, end: number, boundary: Buffer): { start: number; end: number; delimiterAt: number; last: boolean }[] {
  const ranges: { start: number; end: number; delimiterAt: number; last: boolean }[] = [];
  let partStart = -1;
  let closed = false;
  let pos = start;
  while (pos < end) {
    let nl = source.indexOf(LF, pos);
    if (nl === -1 || nl >= end) nl = end;
    if (source[pos] === DASH && source[pos + 1] === DASH && nl - pos >= boundary.length + 2 && source.compare(boundary, 0, boundary.length, pos + 2, pos + 2 + boundary.length) === 0) {
      if (closed) notDirect();
      let after = pos + 2 + boundary.length;
      const close = source[after] === DASH && source[after + 1] === DASH;
      if (close) after += 2;
      if (source[after] === CR) after++;
      if (after !== nl) notDirect();
      if (partStart !== -1) {
        // The line ending before the delimiter is the delimiter's.
        let partEnd = pos;
        if (partEnd > partStart && source[partEnd - 1] === LF) partEnd--;
        if (partEnd > partStart && source[partEnd - 1] === CR) partEnd--;
        ranges.push({ start: partStart, end: partEnd, delimiterAt: pos, last: close });
      }
      if (close) closed = true;
      else partStart = nl + 1;
    }
    pos = nl + 1;
  }
  if (!closed || ranges.length === 0 || ranges.length > MAX_PARTS) notDirect();
  return ranges;
}

function decodeTransfer(node: MimeNode, body: Buffer): Buffer {
  const encoding = node.encoding || '';
  if (PASS_THROUGH.has(encoding)) return body;
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') {
    let b64 = body.toString('latin1');
    if (/[^a-zA-Z0-9+/=]/.test(b64)) b64 = b64.replace(/[^a-zA-Z0-9+/=]/g, '');
    // Padding only at the end: libbase64 decodes padded segments one by one, and its stream
    // splits them where its chunks fall.
    const pad = b64.indexOf('=');
    if (pad !== -1 && /[^=]/.test(b64.slice(pad))) notDirect();
    return Buffer.from(b64, 'base64');
  }
  return notDirect();
}

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 256; c++) {
  if (c >= 0x30 && c <= 0x39) HEX[c] = c - 0x30;
  else if (c >= 0x41 && c <= 0x46) HEX[c] = c - 0x41 + 10;
  else if (c >= 0x61 && c <= 0x66) HEX[c] = c - 0x61 + 10;
}

/**
 * Quoted-printable, byte for byte what libqp.decode gives (mailsplit's decoder). As libqp:
 * blanks before a line end go, then soft line breaks (`=` before a line end or at the end),
 * then `=XX` escapes (an escape may straddle a soft break; anything else stays as it is).
 *
 * Line by line, with the buffer's native search and copy for the plain stretches (most of
 * the bytes), instead of a loop over every byte per step: the byte loops were the engine's
 * hottest function of its own in the offline download. Text with a CR that ends no CRLF
 * (CR counts as a line end for the blanks, not for soft breaks) takes the byte loops.
 */
export function decodeQuotedPrintable(input: Buffer): Buffer {
  return decodeByLines(input) ?? decodeByBytes(input);
}

const EQ = 0x3d;
const isBlank = (c: number | undefined) => c === 0x20 || c === 0x09;
/** Below this many bytes a loop copies faster than a call into the buffer's native code. */
const SHORT = 16;

/** Null when a CR ends no CRLF. */
function decodeByLines(input: Buffer): Buffer | null {
  const n = input.length;
  const out = Buffer.allocUnsafe(n);
  let m = 0;
  const copy = (from: number, to: number) => {
    if (to - from < SHORT) while (from < to) out[m++] = input[from++]!;
    else m += input.copy(out, m, from, to);
  };
  let cr = input.indexOf(CR);
  for (let start = 0; ; ) {
    const lf = input.indexOf(LF, start);
    const end = lf === -1 ? n : lf;
    // The line's content ends before its CRLF, LF or the end of the input.
    const content = lf !== -1 && end > start && input[end - 1] === CR ? end - 1 : end;
    if (cr !== -1 && cr < end) {
      if (cr !== content) return null;
      cr = input.indexOf(CR, end + 1);
    }
    let b = content;
    while (b > start && isBlank(input[b - 1])) b--;
    if (b > start && input[b - 1] === EQ) {
      // A soft line break: the `=` and the line end go.
      copy(start, b - 1);
    } else {
      copy(start, b);
      if (lf !== -1) copy(content, lf + 1);
    }
    if (lf === -1) break;
    start = lf + 1;
  }
  return unescape(out, m);
}

/** `=XX` escapes decoded in place in the first `m` bytes of `buf`. */
function unescape(buf: Buffer, m: number): Buffer {
  const view = buf.subarray(0, m);
  let w = 0;
  for (let i = 0; i < m; ) {
    let q = i;
    const near = Math.min(m, i + SHORT);
    while (q < near && view[q] !== EQ) q++;
    if (q === near && q < m) {
      q = view.indexOf(EQ, q);
      if (q === -1) q = m;
    }
    if (w !== i) {
      if (q - i < SHORT) for (let k = i; k < q; k++) view[w + k - i] = view[k]!;
      else view.copyWithin(w, i, q);
    }
    w += q - i;
    if (q === m) break;
    if (q < m - 2) {
      const hi = HEX[view[q + 1]!]!;
      const lo = HEX[view[q + 2]!]!;
      if (hi >= 0 && lo >= 0) {
        view[w++] = hi * 16 + lo;
        i = q + 3;
        continue;
      }
    }
    view[w++] = EQ;
    i = q + 1;
  }
  return buf.subarray(0, w);
}

/** The same, one pass over the bytes per step: any line ends. */
function decodeByBytes(input: Buffer): Buffer {
  const n = input.length;
  const out = Buffer.allocUnsafe(n);
  let m = 0;
  for (let i = 0; i < n; ) {
    const c = input[i]!;
    if (isBlank(c)) {
      let j = i + 1;
      while (j < n && isBlank(input[j])) j++;
      const next = j < n ? input[j] : -1;
      if (next !== -1 && next !== LF && next !== CR) while (i < j) out[m++] = input[i++]!;
      i = j;
      continue;
    }
    out[m++] = c;
    i++;
  }
  let w = 0;
  for (let r = 0; r < m; r++) {
    const c = out[r]!;
    if (c === EQ) {
      if (r + 1 === m) continue;
      if (out[r + 1] === LF) {
        r += 1;
        continue;
      }
      if (out[r + 1] === CR && r + 2 < m && out[r + 2] === LF) {
        r += 2;
        continue;
      }
    }
    out[w++] = c;
  }
  return unescape(out, w);
}

/** A text part's string, as mailparser builds it: flowed text unfolded, the charset decoded, LF line ends. */
function textOf(node: MimeNode, content: Buffer): string {
  let bytes = content;
  if (node.flowed && bytes.length) bytes = Buffer.from(libmime.decodeFlowed(bytes.toString('binary'), node.delSp), 'binary');
  const charset = node.charset || 'utf-8';
  let text: string;
  if (['ascii', 'usascii', 'utf8'].includes(charset.toLowerCase().replace(/[^a-z0-9]+/g, ''))) text = bytes.toString();
  else {
    text = decodeCharset(bytes, charset);
    // mailparser carries the decoded text as UTF-8 bytes, which turns a lone surrogate into U+FFFD.
    if (/[\ud800-\udfff]/.test(text)) text = Buffer.from(text, 'utf8').toString();
  }
  return text.replace(/\r?\n/g, '\n');
}

/** The content id as mailparser's processHeaders gives it (the first Content-ID, decoded), or undefined. */
function contentIdOf(node: MimeNode): string | undefined {
  if (!node.headers) return undefined;
  const line = node.headers.getList().find((l) => l.key === 'content-id');
  if (!line) return undefined;
  const value = String(libmime.decodeHeader(line.line).value ?? '').trim();
  return Buffer.from(value, 'binary').toString() || undefined;
}

/** mailparser's getTextContent and attachment list over the tree, or NotDirect where it would convert. */
function assemble(root: Part): DirectBody {
  const attachments: DirectAttachment[] = [];
  const leaves: { part: Part; alternative: boolean; related: boolean; isRoot: boolean }[] = [];
  const walk = (part: Part, alternative: boolean, related: boolean, isRoot: boolean) => {
    const type = part.node.contentType || '';
    if (part.node.multipart) {
      for (const child of part.children) walk(child, alternative || type === 'multipart/alternative', related || type === 'multipart/related', false);
    } else leaves.push({ part, alternative, related, isRoot });
  };
  walk(root, false, false, true);

  let hasText = false;
  let hasHtml = false;
  const inline: typeof leaves = [];
  for (const leaf of leaves) {
    const node = leaf.part.node;
    const type = node.contentType || '';
    let disposition = node.disposition || '';
    if (disposition && disposition !== 'attachment' && disposition !== 'inline') disposition = 'attachment';
    if (!disposition) disposition = TEXT_TYPES.has(type) ? 'inline' : 'attachment';
    if (TEXT_TYPES.has(type) && disposition === 'inline') {
      if (type === 'text/plain') hasText = true;
      else hasHtml = true;
      inline.push(leaf);
      continue;
    }
    let contentType = type;
    if (contentType === 'application/octet-stream' && node.filename) contentType = libmime.detectMimeType(node.filename) || 'application/octet-stream';
    const a: DirectAttachment = {
      // mailsplit numbers parts IMAP style; a message that is one attachment has none.
      partId: node._parentBoundary && node.partNr ? node.partNr.filter((n) => typeof n === 'number').join('.') || null : null,
      contentType,
      size: leaf.part.content?.length ?? 0,
    };
    if (node.disposition) a.contentDisposition = node.disposition;
    if (node.filename) a.filename = node.filename;
    const contentId = contentIdOf(node);
    if (contentId) {
      a.contentId = contentId;
      if (leaf.related) a.related = true;
    }
    attachments.push(a);
  }

  // Text and HTML in tree order; the conversions mailparser would make are left to it.
  const text: string[] = [];
  const html: string[] = [];
  for (const { part, alternative, isRoot } of inline) {
    const value = textOf(part.node, part.content ?? Buffer.alloc(0));
    // mailparser skips an empty part, conversions included.
    if (!value) continue;
    if (part.node.contentType === 'text/plain') {
      if (!alternative && hasHtml) notDirect();
      text.push(value);
    } else {
      if ((!alternative && hasText) || (isRoot && !hasText) || /\bcid:/.test(value)) notDirect();
      html.push(value);
    }
  }
  return { html: html.length ? html.join('<br/>\n') : null, text: text.length ? text.join('\n') : null, attachments };
}
