/**
 * Encoders for the corpus's charsets (Node encodes only UTF-8 and Latin-1 itself; the
 * reverse tables of KOI8-R and ISO-2022-JP come from TextDecoder, so no extra package),
 * RFC 2047 encoded-words for headers and quoted-printable for bodies.
 */

export type Charset = 'utf-8' | 'iso-8859-1' | 'koi8-r' | 'iso-2022-jp';

let koi8: Map<string, number> | null = null;
function koi8Table(): Map<string, number> {
  if (koi8) return koi8;
  koi8 = new Map();
  const decoder = new TextDecoder('koi8-r');
  for (let b = 0x80; b <= 0xff; b++) koi8.set(decoder.decode(Uint8Array.of(b)), b);
  return koi8;
}

let jis: Map<string, number> | null = null;
/** JIS X 0208 by character: the two bytes as (row << 8) | column. */
function jisTable(): Map<string, number> {
  if (jis) return jis;
  jis = new Map();
  const decoder = new TextDecoder('iso-2022-jp');
  for (let r = 0x21; r <= 0x7e; r++) {
    for (let c = 0x21; c <= 0x7e; c++) {
      const ch = decoder.decode(Uint8Array.of(0x1b, 0x24, 0x42, r, c, 0x1b, 0x28, 0x42));
      if (ch.length === 1 && ch !== '\ufffd' && !jis.has(ch)) jis.set(ch, (r << 8) | c);
    }
  }
  return jis;
}

/** `text` in `charset`; characters the charset lacks become '?'. */
export function encode(text: string, charset: Charset): Buffer {
  switch (charset) {
    case 'utf-8':
      return Buffer.from(text, 'utf8');
    case 'iso-8859-1':
      return Buffer.from(Array.from(text, (ch) => (ch.charCodeAt(0) <= 0xff ? ch.charCodeAt(0) : 0x3f)));
    case 'koi8-r': {
      const t = koi8Table();
      return Buffer.from(Array.from(text, (ch) => (ch.charCodeAt(0) < 0x80 ? ch.charCodeAt(0) : (t.get(ch) ?? 0x3f))));
    }
    case 'iso-2022-jp': {
      const t = jisTable();
      const out: number[] = [];
      let inJis = false;
      for (const ch of text) {
        const code = ch.charCodeAt(0);
        const pair = code < 0x80 ? undefined : t.get(ch);
        if (pair === undefined) {
          if (inJis) out.push(0x1b, 0x28, 0x42);
          inJis = false;
          out.push(code < 0x80 ? code : 0x3f);
        } else {
          if (!inJis) out.push(0x1b, 0x24, 0x42);
          inJis = true;
          out.push(pair >> 8, pair & 0xff);
        }
      }
      if (inJis) out.push(0x1b, 0x28, 0x42);
      return Buffer.from(out);
    }
  }
}

/** Whether every character of `text` exists in `charset`. */
export function representable(text: string, charset: Charset): boolean {
  switch (charset) {
    case 'utf-8':
      return true;
    case 'iso-8859-1':
      return Array.from(text).every((ch) => ch.charCodeAt(0) <= 0xff);
    case 'koi8-r':
      return Array.from(text).every((ch) => ch.charCodeAt(0) < 0x80 || koi8Table().has(ch));
    case 'iso-2022-jp':
      return Array.from(text).every((ch) => ch.charCodeAt(0) < 0x80 || jisTable().has(ch));
  }
}

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

/**
 * An unstructured header value as RFC 2047 encoded-words (B for multi-byte charsets, Q for
 * Latin-1), folded; plain ASCII stays as it is.
 */
export function encodeHeaderText(text: string, charset: Charset): string {
  if (isAscii(text)) return text;
  const chars = Array.from(text);
  const words: string[] = [];
  // Small chunks keep every encoded-word under 75 characters and whole (ISO-2022-JP words return to ASCII).
  for (let i = 0; i < chars.length; i += 12) {
    const bytes = encode(chars.slice(i, i + 12).join(''), charset);
    words.push(charset === 'iso-8859-1' ? `=?${charset}?Q?${qEncode(bytes)}?=` : `=?${charset.toUpperCase()}?B?${bytes.toString('base64')}?=`);
  }
  return words.join('\n ');
}

function qEncode(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x20) out += '_';
    else if (b > 0x20 && b < 0x7f && b !== 0x3d && b !== 0x3f && b !== 0x5f) out += String.fromCharCode(b);
    else out += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Quoted-printable (RFC 2045 6.7) of text with LF line breaks, lines of at most 76 characters. */
export function quotedPrintable(bytes: Buffer): string {
  const lines: string[] = [];
  let line = '';
  const push = (token: string) => {
    if (line.length + token.length > 75) {
      lines.push(`${line}=`);
      line = '';
    }
    line += token;
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0a) {
      lines.push(line);
      line = '';
      continue;
    }
    const trailingSpace = (b === 0x20 || b === 0x09) && (i + 1 === bytes.length || bytes[i + 1] === 0x0a);
    if ((b >= 0x21 && b <= 0x7e && b !== 0x3d) || ((b === 0x20 || b === 0x09) && !trailingSpace)) push(String.fromCharCode(b));
    else push(`=${b.toString(16).toUpperCase().padStart(2, '0')}`);
  }
  lines.push(line);
  return lines.join('\n');
}
