import { isDeepStrictEqual } from 'node:util';
import { parser } from 'imapflow/lib/handler/imap-handler';
import { describe, expect, it } from 'vitest';
import { rng, type Rng } from '../../../bench/corpus';
import { installFetchLineReader, parseFetchLine } from './fetch-line';

interface Line {
  payload: Buffer;
  literals: Buffer[];
}

/** imapflow's reading of the line, or 'throws'. */
async function imapflowReads(line: Line): Promise<unknown> {
  try {
    return await parser(line.payload, { literals: line.literals });
  } catch {
    return 'throws';
  }
}

/** A line from its pieces: strings are latin1 bytes, `{n}` markers take the next literal. */
function line(text: string, ...literals: string[]): Line {
  return { payload: Buffer.from(text, 'latin1'), literals: literals.map((l) => Buffer.from(l, 'latin1')) };
}

const HEADERS = 'References: <a@x> <b@x>\r\nIn-Reply-To: <b@x>\r\n\r\n';

/** Answers Dovecot gives to the engine's commands. */
const TYPICAL: Line[] = [
  line(
    `* 12 FETCH (UID 34 FLAGS (\\Seen $Forwarded) ENVELOPE ("Tue, 03 Nov 2026 10:12:13 +0100" "=?UTF-8?Q?Re:_r=C3=A9sum=C3=A9?=" (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) (("Bob" NIL "bob" "example.org")("Carol \\"CJ\\" Jones" NIL "carol" "example.net")) NIL NIL "<b@x>" "<c@x>") INTERNALDATE "03-Nov-2026 10:12:14 +0100" RFC822.SIZE 23456 BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 1234 30 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "quoted-printable" 4567 80 NIL NIL NIL NIL) "alternative" ("boundary" "=_abc") NIL NIL NIL) MODSEQ (123456) PREVIEW "Hello Bob" BODY[HEADER.FIELDS (REFERENCES IN-REPLY-TO)] {${HEADERS.length}}\r\n)`,
    HEADERS,
  ),
  line('* 5 FETCH (UID 9 FLAGS () MODSEQ (12))'),
  line('* 5 FETCH (FLAGS (\\Seen \\Flagged) UID 9 MODSEQ (13))'),
  line('* 7 FETCH (UID 11 BODY[] {5}\r\n)', 'hello'),
  line('* 7 FETCH (UID 11 RFC822.SIZE 0 BODY[] {0}\r\n PREVIEW NIL)', ''),
  line('* 7 FETCH (UID 11 PREVIEW {3}\r\n)', 'a"b'),
  line('* 7 FETCH (UID 11 BODY[1.2.MIME] "x" BODY.PEEK[TEXT] NIL binary[1] "y")'),
  line('* 1 FETCH (UID 1 ENVELOPE (NIL "" NIL NIL NIL NIL NIL NIL NIL NIL))  '),
  line('* 1 FETCH (UID 1 ENVELOPE ("\xc3\xa9t\xc3\xa9 \xff\xfe \xe2\x82" nil Nil))'),
];

describe('parseFetchLine', () => {
  it("reads the server's usual answers as imapflow does", async () => {
    for (const l of TYPICAL) {
      const ours = parseFetchLine(l.payload, l.literals);
      expect(ours, l.payload.toString('latin1')).not.toBeNull();
      expect(ours).toStrictEqual(await imapflowReads(l));
    }
  });

  it('leaves every other shape to imapflow', () => {
    const declined = [
      line('* 7 FETCH (UID 11 BODY[]<0> {5}\r\n)', 'hello'), // partial
      line('* 7 FETCH (UID 11 BODY[] {5+}\r\n)', 'hello'), // LITERAL+
      line('* 7 FETCH (UID 11 BINARY[1] ~{5}\r\n)', 'hello'), // literal8
      line('* 7 FETCH (UID 11 BODY[] {05}\r\n)', 'hello'),
      line('* 7 FETCH (UID 11 BODY[] {5}\r\n)'), // a marker without its literal
      line('* 7 FETCH (UID 11 BODY[] {5}\r\n)', 'hello', 'extra'),
      line('* 7 FETCH (UID 11) (UID 12)'),
      line('* 7 FETCH (UID 11'),
      line('* 7 FETCH (UID 11 FLAGS (\\Seen\\Deleted))'), // two flags run together
      line('* 7 FETCH (UID 11 X-LABELS (2024:Q1 1,a))'), // read as sequence sets first
      line('* 7 FETCH (UID 11 X (\xc3\xa9))'), // 8-bit atom
      line('* 7 FETCH (UID 11 X (a]))'),
      line('* 7 FETCH (UID 11 X *)'),
      line('* 7 EXISTS'),
      line('* 7 fetch (UID 11)'),
      line('* OK [READ-WRITE] done'),
      line('A1 OK FETCH completed'),
      line('\0* 7 FETCH (UID 11)'),
      line(`* 7 FETCH (UID 11 BODYSTRUCTURE ${'('.repeat(120)}${')'.repeat(120)})`), // truncated by imapflow
    ];
    for (const l of declined) expect(parseFetchLine(l.payload, l.literals), l.payload.toString('latin1')).toBeNull();
  });

  it('stops where imapflow would count too many tokens', () => {
    const l = line(`* 1 FETCH (X (${'a '.repeat(50)}))`);
    expect(parseFetchLine(l.payload, l.literals, 20)).toBeNull();
    expect(parseFetchLine(l.payload, l.literals, 1000)).not.toBeNull();
  });

  it('agrees with imapflow on every line it reads, over random lines of every shape', async () => {
    let read = 0;
    const N = 30_000;
    for (let n = 0; n < N; n++) {
      const l = randomLine(rng(n + 1));
      const ours = parseFetchLine(l.payload, l.literals);
      if (ours === null) continue;
      read++;
      const theirs = await imapflowReads(l);
      if (!isDeepStrictEqual(ours, theirs)) {
        // The line in the failure message, to reproduce it.
        expect({ line: l.payload.toString('latin1'), literals: l.literals.length, ours }).toStrictEqual({
          line: l.payload.toString('latin1'),
          literals: l.literals.length,
          ours: theirs,
        });
      }
    }
    // Most lines are of the plain shape, so the comparison covers them; the rest is declined.
    expect(read).toBeGreaterThan(N * 0.3);
    expect(read).toBeLessThan(N * 0.95);
  });
});

describe('installFetchLineReader', () => {
  it('changes nothing on a client without the internals it needs', () => {
    const client = { handleResponse: () => Promise.resolve(true) };
    expect(installFetchLineReader(client)).toBe(false);
    expect(installFetchLineReader({})).toBe(false);
  });

  function fakeClient(trace = false) {
    const handled: unknown[] = [];
    const original: unknown[] = [];
    const warned: unknown[] = [];
    const client = {
      options: {},
      log: { warn: (e: unknown) => warned.push(e) },
      isLogLevelEnabled: (level: string) => trace && level === 'trace',
      getUntaggedHandler: (command: string, attributes: unknown[]) =>
        /^\d+$/.test(command) && (attributes[0] as { value?: string }).value === 'FETCH'
          ? async (parsed: unknown) => {
              if ((parsed as { command: string }).command === '13') throw new Error('handler failed');
              handled.push(parsed);
            }
          : undefined,
      handleResponse: (data: unknown) => {
        original.push(data);
        return Promise.resolve(true);
      },
    };
    expect(installFetchLineReader(client)).toBe(true);
    return { client, handled, original, warned };
  }

  it("hands a FETCH line to the handler imapflow would pick, and the rest to imapflow's own path", async () => {
    const { client, handled, original, warned } = fakeClient();
    const fetch = line('* 12 FETCH (UID 34 FLAGS (\\Seen))');
    expect(await client.handleResponse(fetch)).toBe(true);
    expect(handled).toStrictEqual([await imapflowReads(fetch)]);
    const others = [line('* 3 EXISTS'), line('A1 OK done'), line('* 7 FETCH (UID 11 BODY[]<0> "x")')];
    for (const l of others) await client.handleResponse(l);
    expect(original).toStrictEqual(others);
    // A handler's failure is logged and the line skipped, as imapflow does.
    expect(await client.handleResponse(line('* 13 FETCH (UID 35)'))).toBe(true);
    expect(warned).toHaveLength(1);
  });

  it("leaves every line to imapflow while its protocol log is on", async () => {
    const { client, handled, original } = fakeClient(true);
    const fetch = line('* 12 FETCH (UID 34)');
    await client.handleResponse(fetch);
    expect(handled).toHaveLength(0);
    expect(original).toStrictEqual([fetch]);
  });
});

// ---------------------------------------------------------------------------------------
// Random lines: mostly the plain shape, with every kind of oddity mixed in.

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** A chance of this much for each oddity: a line holds tens of values, so about half the lines hold one. */
const ODD = 0.025;

const ATOMS = ['UID', 'FLAGS', 'ENVELOPE', 'BODYSTRUCTURE', 'RFC822.SIZE', 'MODSEQ', 'PREVIEW', '12', '0', '4294967295', '\\Seen', '\\Answered', '$Forwarded', 'Junk', 'NIL', 'nil', 'NiL', 'NILS', 'x.y-z_w', '}', 'a}', '&'];
const ODD_ATOMS = ['\\', '\\*', '%', 'a%', '2024:Q1', '1,a', '1:5', '10:', 'a[b', 'a]', '<x>', '~', '~a', 'x"y', '\xe9t\xe9', 'A\x01B', '{', 'a\\b'];
const PIECES = ['a', 'Hello world', ' ', '\\"', '\\\\', '\\x', '\xc3\xa9', '\xe2\x82\xac', '(', ')', '[', ']', '{3}', "'", '=?UTF-8?B?w6k=?='];
const ODD_PIECES = ['\\', '\xff', '\xc3', '\x00', '\r'];

function randomString(r: Rng): string {
  let s = '';
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) s += r() < ODD ? pick(r, ODD_PIECES) : pick(r, PIECES);
  return `"${s}"`;
}

function randomValue(r: Rng, depth: number, literals: Buffer[]): string {
  const k = r();
  if (k < 0.3) return r() < ODD ? pick(r, ODD_ATOMS) : pick(r, ATOMS);
  if (k < 0.55) return randomString(r);
  if (k < 0.62) {
    const body = pick(r, ['', 'abc', 'x\r\ny', '"']);
    if (r() > ODD) literals.push(Buffer.from(body, 'latin1'));
    if (r() > ODD * 2) return pick(r, [`{${body.length}}\r\n`, `{${body.length}}\n`]);
    return pick(r, [`{${body.length}}`, `{0${body.length}}\r\n`, `{${body.length}+}\r\n`, `~{${body.length}}\r\n`, '{}\r\n']);
  }
  if (k < 0.7) {
    const odd = r() < ODD * 4;
    const name = odd ? pick(r, ['BODYX', 'RFC822', 'BINARY.PEEKS']) : pick(r, ['BODY', 'BODY.PEEK', 'body', 'BINARY', 'BINARY.PEEK']);
    const inner = r() < ODD * 4 ? pick(r, ['a]b', '(x', 'x)', '"a]"']) : pick(r, ['', 'TEXT', '1.2', 'HEADER.FIELDS (REFERENCES IN-REPLY-TO)', 'HEADER.FIELDS ("X")', '1 2', ' HEADER ', '{1}\r\n']);
    if (inner.startsWith('{')) literals.push(Buffer.from('x'));
    const partial = r() < ODD * 4 ? pick(r, ['<0>', '<0.10>']) : '';
    return `${name}[${inner}]${partial}`;
  }
  if (depth > 6) return 'NIL';
  const n = Math.floor(r() * 5);
  const items: string[] = [];
  for (let i = 0; i < n; i++) items.push(randomValue(r, depth + 1, literals));
  const sep = r() > ODD ? ' ' : pick(r, ['', '  ']);
  return `(${items.join(sep)})`;
}

function randomLine(r: Rng): Line {
  const literals: Buffer[] = [];
  const n = 1 + Math.floor(r() * 8);
  const items: string[] = [];
  for (let i = 0; i < n; i++) items.push(randomValue(r, 1, literals));
  const head = r() > ODD ? `* ${Math.floor(r() * 100000)} FETCH ` : pick(r, ['* 1 FETCH', '* x FETCH ', '*  1 FETCH ', '* 1 STORE ', '+ ']);
  const tail = r() > ODD ? '' : pick(r, [' ', ' X', ')', '(']);
  const text = `${head}(${items.join(r() > ODD ? ' ' : '')})${tail}`;
  return { payload: Buffer.from(text, 'latin1'), literals };
}
