/**
 * A reader for the one response line that makes up most of a sync's traffic, the untagged
 * FETCH (`* 12 FETCH (UID 34 FLAGS (\Seen) ENVELOPE (…) …)`), giving exactly what imapflow's
 * parser gives for it, at a fraction of the cost.
 *
 * Why: in CPU profiles of the 100k first sync imapflow's tokenizer was ~43% of the host's time.
 * It reads the line as a JS string one character at a time through a state machine, builds a
 * node per token with a parent link, then walks that tree into the attribute arrays, with a few
 * promise turns per line. Here the line is decoded once, as imapflow decodes it, and scanned once,
 * with native searches for the ends of quoted strings, straight into the same arrays and objects
 * ({type, value}, null for NIL, nested arrays for lists, `section` on the BODY atom it follows):
 * ~5 µs for a typical header line against ~35 µs.
 *
 * Only a plain shape is read: `* <number> FETCH (…)` with lists, quoted strings, literals
 * (from the stream's buffers), atoms of the usual characters and BODY[…] sections. Anything
 * else (a partial range, a sequence set, literal8, a `+` literal, a character an atom may hold
 * only in imapflow's tolerant readings, deep nesting) returns null, and the caller hands the
 * line to imapflow's parser. A unit test compares both readings over generated lines
 * (fetch-line.test.ts).
 */

export interface FetchLine {
  tag: '*';
  /** The message's sequence number, as imapflow gives it (the digits). */
  command: string;
  attributes: [{ type: 'ATOM'; value: 'FETCH' }, FetchValue[]];
}

export type FetchValue = null | FetchValue[] | { type: 'ATOM' | 'STRING' | 'LITERAL'; value: string | Buffer; section?: FetchValue[] };

const SP = 0x20;
const DQUOTE = 0x22;
const LPAREN = 0x28;
const RPAREN = 0x29;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const CR = 0x0d;
const LF = 0x0a;
const ZERO = 0x30;
const NINE = 0x39;
/** `* ` then digits then ` FETCH (`. */
const FETCH_OPEN = ' FETCH (';
const FETCH_OPEN_BYTES = Buffer.from(FETCH_OPEN, 'latin1');
/** Far below imapflow's 100, whose per-item truncation is left to it. */
const MAX_DEPTH = 40;
/** imapflow's default bound on the tokens of one response (MAX_RESPONSE_TOKENS). */
const DEFAULT_MAX_TOKENS = 1_000_000;
const SECTION_ATOMS = ['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK'];

/** Whether `[` after this atom opens a section (imapflow's test, in any case). */
function isSectionAtom(value: string): boolean {
  return SECTION_ATOMS.includes(value) || SECTION_ATOMS.includes(value.toUpperCase());
}

/**
 * Whether a byte may be read as part of an atom here: a printable ASCII ATOM-CHAR (RFC 3501)
 * other than `[` (a section, or an atom imapflow reads tolerantly), `<` (a partial), `~`
 * (literal8), `,` and `:` (a sequence set after digits). A backslash may only start a flag.
 */
const ATOM_CHAR = new Uint8Array(256);
for (let b = 0x21; b < 0x7f; b++) ATOM_CHAR[b] = 1;
for (const c of '(){%*"\\][<~,:') ATOM_CHAR[c.charCodeAt(0)] = 0;

const ESCAPE = /\\([\s\S])/g;

/**
 * The line as imapflow's parser reads it, or null when it is not an untagged FETCH of the plain
 * shape (see the file comment). `literals` are the stream's buffers, one per `{n}` marker.
 */
export function parseFetchLine(payload: Buffer, literals: readonly Buffer[], maxTokens = DEFAULT_MAX_TOKENS): FetchLine | null {
  if (payload.length < 12 || payload[0] !== 0x2a || payload[1] !== SP) return null;
  // The head is checked on the bytes, so other untagged lines (a SEARCH of a million numbers)
  // are not decoded for nothing; it is ASCII, so byte and character positions agree up to there.
  let i = 2;
  while (i < payload.length && payload[i]! >= ZERO && payload[i]! <= NINE) i++;
  if (i === 2 || i - 2 > 10 || !FETCH_OPEN_BYTES.equals(payload.subarray(i, i + FETCH_OPEN_BYTES.length))) return null;
  // Decoded whole, as imapflow does: the values are then the same strings, invalid UTF-8 included.
  const line = payload.toString();
  const len = line.length;
  const command = line.slice(2, i);
  i += FETCH_OPEN.length;

  const root: FetchValue[] = [];
  // What holds the next value, and above it what holds that; `sections` says which are
  // sections (closed by `]`) rather than lists.
  const holders: FetchValue[][] = [];
  const sections: boolean[] = [];
  let items = root;
  let inSection = false;
  let literalIndex = 0;
  let tokens = 2;
  let closed = false;
  // Where the next backslash is, looked up again only once passed: most lines have none.
  let backslash = line.indexOf('\\', i);

  while (i < len) {
    const b = line.charCodeAt(i);
    if (b === SP) {
      i++;
      continue;
    }
    if (closed) return null; // more after the list: left to imapflow
    if (++tokens >= maxTokens) return null;
    if (b === DQUOTE) {
      const quote = line.indexOf('"', i + 1);
      if (quote < 0) return null;
      if (backslash >= 0 && backslash <= i) backslash = line.indexOf('\\', i + 1);
      let end = quote;
      let escaped = false;
      if (backslash >= 0 && backslash < quote) {
        // `\x` stands for x: imapflow skips the character after a backslash whatever it is.
        escaped = true;
        end = i + 1;
        for (;;) {
          const c = line.charCodeAt(end);
          if (c === DQUOTE) break;
          end += c === BACKSLASH ? 2 : 1;
          if (end >= len) return null;
        }
      }
      let value = line.slice(i + 1, end);
      if (escaped) value = value.replace(ESCAPE, '$1');
      items.push({ type: 'STRING', value });
      i = end + 1;
    } else if (b === LPAREN) {
      const list: FetchValue[] = [];
      items.push(list);
      holders.push(items);
      sections.push(inSection);
      if (holders.length > MAX_DEPTH) return null;
      items = list;
      inSection = false;
      i++;
    } else if (b === RPAREN || b === RBRACKET) {
      if (inSection !== (b === RBRACKET)) return null;
      i++;
      const parent = holders.pop();
      if (parent) {
        items = parent;
        // (A partial range after a section, `BODY[]<0>`, then fails as an atom: `<` is not one.)
        inSection = sections.pop() === true;
      } else {
        closed = true;
      }
    } else if (b === LBRACE) {
      let j = i + 1;
      while (j < len && line.charCodeAt(j) >= ZERO && line.charCodeAt(j) <= NINE) j++;
      // {} and a length with a leading zero are parse errors to imapflow; {n+} needs LITERAL+.
      if (j === i + 1 || j >= len || line.charCodeAt(j) !== RBRACE || (line.charCodeAt(i + 1) === ZERO && j > i + 2)) return null;
      j++;
      if (line.charCodeAt(j) === LF) j++;
      else if (line.charCodeAt(j) === CR && line.charCodeAt(j + 1) === LF) j += 2;
      else return null;
      const value = literals[literalIndex++];
      if (value === undefined) return null;
      items.push({ type: 'LITERAL', value });
      i = j;
    } else {
      const start = i;
      if (b === BACKSLASH) i++;
      while (i < len && ATOM_CHAR[line.charCodeAt(i)] === 1) i++;
      if (i === start || (b === BACKSLASH && i === start + 1)) return null;
      const value = line.slice(start, i);
      const stop = i < len ? line.charCodeAt(i) : -1;
      if (stop === LBRACKET) {
        if (!isSectionAtom(value)) return null;
        const section: FetchValue[] = [];
        items.push({ type: 'ATOM', value, section });
        holders.push(items);
        sections.push(inSection);
        if (holders.length > MAX_DEPTH) return null;
        items = section;
        inSection = true;
        i++;
        continue;
      }
      // An atom ends at a space or at the bracket that closes what holds it.
      if (stop !== SP && stop !== (inSection ? RBRACKET : RPAREN)) return null;
      items.push(value.length === 3 && value.toUpperCase() === 'NIL' ? null : { type: 'ATOM', value });
    }
  }
  if (!closed || literalIndex !== literals.length) return null;
  return { tag: '*', command, attributes: [{ type: 'ATOM', value: 'FETCH' }, root] };
}

/** The parts of imapflow's connection the reader is installed into (internals, checked at install). */
interface ClientInternals {
  handleResponse(data: { payload: Buffer; literals?: Buffer[] }): Promise<boolean>;
  getUntaggedHandler(command: string, attributes: unknown[]): ((parsed: unknown) => Promise<void>) | undefined;
  isLogLevelEnabled(level: string): boolean;
  log: { warn(entry: object): void };
  options?: { maxResponseTokens?: number };
  id?: string;
}

/** How many lines the installed readers took, for tests. */
export const fetchLineStats = { read: 0 };

/**
 * Lets `client` read untagged FETCH lines with parseFetchLine instead of its own parser. What
 * imapflow does with such a line once parsed is done the same way: its untagged handler (the
 * running command's, else the connection's) gets it, and a handler's error is logged and the line
 * skipped. Every other line, and every FETCH line the reader declines, goes to imapflow as before,
 * and so does everything while imapflow's protocol log is on (it logs each parsed line).
 * Returns false, changing nothing, if this imapflow lacks the internals it needs.
 */
export function installFetchLineReader(client: object): boolean {
  const c = client as Partial<ClientInternals>;
  const original = c.handleResponse;
  if (typeof original !== 'function' || typeof c.getUntaggedHandler !== 'function' || typeof c.isLogLevelEnabled !== 'function') {
    return false;
  }
  c.handleResponse = async function handleResponse(this: ClientInternals, data) {
    const parsed =
      data && Buffer.isBuffer(data.payload) && data.payload[0] === 0x2a
        ? parseFetchLine(data.payload, data.literals ?? [], this.options?.maxResponseTokens)
        : null;
    if (parsed === null || this.isLogLevelEnabled('trace')) return original.call(this, data);
    fetchLineStats.read++;
    const handler = this.getUntaggedHandler(parsed.command, parsed.attributes);
    if (handler) {
      try {
        await handler(parsed);
      } catch (err) {
        this.log.warn({ msg: 'Failed to process untagged response', command: 'FETCH', err, cid: this.id });
      }
    }
    return true;
  };
  return true;
}
