import { describe, expect, it } from 'vitest';
import { generateMessage } from '../../../bench/corpus';
import libqp from 'libqp';
import { decodeQuotedPrintable, readBodyDirect } from './body-direct';
import { attachmentMeta, contentHeadersOnly, parseWithMailparser } from './body-fetcher';

/**
 * readBodyDirect must give what mailparser gives wherever it answers at all. Every case runs
 * through both; `direct` says whether the direct reader is expected to answer, so a reader
 * that left everything to mailparser fails too.
 */

const qp = (s: string) =>
  Buffer.from(s, 'utf8')
    .toString('latin1')
    .replace(/[=\u0080-\u00ff]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
    .replace(/(.{70})/g, '$1=\n');
function b64(b: Buffer | string, width = 76): string {
  const s = (Buffer.isBuffer(b) ? b : Buffer.from(b, 'utf8')).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += width) lines.push(s.slice(i, i + width));
  return lines.join('\n');
}

function msg(headers: string[], body: string, eol = '\r\n'): Buffer {
  return Buffer.from(`${headers.join(eol)}${eol}${eol}${body.replace(/\r?\n/g, eol)}`, 'latin1');
}
const part = (headers: string[], body: string) => `${headers.join('\n')}\n\n${body}`;
const multi = (boundary: string, parts: string[], { preamble = '', epilogue = '' } = {}) =>
  `${preamble ? `${preamble}\n` : ''}${parts.map((p) => `--${boundary}\n${p}\n`).join('')}--${boundary}--\n${epilogue}`;

const PLAIN = 'Hello Zoë,\n\nthe numbers for Q3 are in: 42 € net.\nSee you — Friday.\n';
const HTML = '<html><body><p>Hello <b>Zoë</b>,</p><p>the numbers are in: 42&nbsp;€</p></body></html>\n';
const PDF = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37) % 256));

interface Case {
  name: string;
  raw: Buffer;
  direct: boolean;
}

const cases: Case[] = [
  { name: 'plain utf-8 7bit-ish', raw: msg(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'], Buffer.from(PLAIN).toString('latin1')), direct: true },
  { name: 'plain without any content header', raw: msg(['Subject: x'], 'just text\nand more'), direct: true },
  { name: 'plain us-ascii, LF line ends', raw: msg(['Content-Type: text/plain; charset="us-ascii"'], 'one\ntwo\n', '\n'), direct: true },
  { name: 'plain quoted-printable', raw: msg(['Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: Quoted-Printable'], qp(PLAIN)), direct: true },
  { name: 'plain base64', raw: msg(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'], b64(PLAIN)), direct: true },
  { name: 'plain base64 without padding', raw: msg(['Content-Type: text/plain', 'Content-Transfer-Encoding: base64'], b64('ab')), direct: true },
  { name: 'plain iso-8859-1', raw: msg(['Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: 8bit'], 'Grüße aus Köln\n'), direct: true },
  { name: 'plain windows-1252 qp', raw: msg(['Content-Type: text/plain; charset=windows-1252', 'Content-Transfer-Encoding: quoted-printable'], 'price =80 5 =93quoted=94\n'), direct: true },
  { name: 'plain koi8-r', raw: msg(['Content-Type: text/plain; charset=koi8-r', 'Content-Transfer-Encoding: base64'], b64(Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4, 0x0a]))), direct: true },
  { name: 'plain iso-2022-jp', raw: msg(['Content-Type: text/plain; charset=ISO-2022-JP', 'Content-Transfer-Encoding: 7bit'], '\x1b$B$3$s$K$A$O\x1b(B\n'), direct: true },
  { name: 'plain unknown charset', raw: msg(['Content-Type: text/plain; charset=x-unknown-42'], Buffer.from('hé\n').toString('latin1')), direct: true },
  { name: 'plain invalid utf-8', raw: msg(['Content-Type: text/plain; charset=utf-8'], 'bad \xff\xfe bytes\n'), direct: true },
  { name: 'plain utf-16 with a lone surrogate', raw: msg(['Content-Type: text/plain; charset=utf-16le', 'Content-Transfer-Encoding: base64'], b64(Buffer.from([0x61, 0x00, 0x00, 0xd8, 0x62, 0x00]))), direct: true },
  {
    name: 'flowed',
    raw: msg(['Content-Type: text/plain; charset=utf-8; format=flowed'], 'This is a long line \nthat was folded.\n> quoted and \n> folded\n-- \nsig\n'),
    direct: true,
  },
  { name: 'flowed delsp', raw: msg(['Content-Type: text/plain; format=flowed; delsp=yes'], 'Sp lit \nwor \nds\n'), direct: true },
  { name: 'empty plain', raw: msg(['Content-Type: text/plain'], ''), direct: true },
  {
    name: 'alternative',
    raw: msg(
      ['MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="=_alt 1"'],
      multi('=_alt 1', [part(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'], qp(PLAIN)), part(['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64'], b64(HTML))], {
        preamble: 'This is a multi-part message in MIME format.',
        epilogue: 'trailing words\n',
      }),
    ),
    direct: true,
  },
  {
    name: 'alternative, LF only, parts without trailing newline',
    raw: msg(['Content-Type: multipart/alternative; boundary=b1'], `--b1\nContent-Type: text/plain\n\nplain\n--b1\nContent-Type: text/html\n\n<p>html</p>\n--b1--`, '\n'),
    direct: true,
  },
  {
    name: 'alternative with a part without headers and an empty last part',
    raw: msg(['Content-Type: multipart/alternative; boundary=b1'], `--b1\n\nno headers here\n--b1\nContent-Type: text/html\n\n<p>x</p>\n--b1\nContent-Type: text/plain\n\n\n--b1--\n`),
    direct: true,
  },
  {
    name: 'big parts across the parser’s chunks',
    raw: msg(
      ['Content-Type: multipart/mixed; boundary=big'],
      multi('big', [
        part(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'], qp(PLAIN.repeat(4000))),
        part(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'], Buffer.from(`${'ÿ€ line of text\n'.repeat(20000)}end`).toString('latin1')),
        part(['Content-Type: application/octet-stream; name=blob.bin', 'Content-Transfer-Encoding: base64'], b64(Buffer.concat(Array.from({ length: 400 }, () => PDF)))),
      ]),
    ),
    direct: true,
  },
  {
    name: 'mixed: alternative and attachments',
    raw: msg(
      ['Content-Type: multipart/mixed; boundary=outer'],
      multi('outer', [
        part(['Content-Type: multipart/alternative; boundary=inner'], multi('inner', [part(['Content-Type: text/plain'], PLAIN), part(['Content-Type: text/html'], HTML)])),
        part(['Content-Type: application/pdf; name="report.pdf"', 'Content-Disposition: attachment; filename="report.pdf"', 'Content-Transfer-Encoding: base64'], b64(PDF)),
        part(['Content-Type: application/octet-stream', 'Content-Disposition: attachment;', ' filename*=utf-8\'\'%C3%BCbersicht%20Q3.xlsx', 'Content-Transfer-Encoding: base64'], b64(PDF.subarray(0, 100))),
        part(['Content-Type: text/plain; name="=?utf-8?B?bm90ZXMudHh0?="', 'Content-Disposition: attachment'], 'a text file\n'),
        part(['Content-Type: text/calendar; method=REQUEST'], 'BEGIN:VCALENDAR\nEND:VCALENDAR\n'),
        part(['Content-Type: application/zip', 'Content-Disposition: attachment; filename=empty.zip', 'Content-Transfer-Encoding: base64'], ''),
      ]),
    ),
    direct: true,
  },
  {
    name: 'mixed: text and attachments, odd disposition, Content-ID',
    raw: msg(
      ['Content-Type: multipart/mixed; boundary=m'],
      multi('m', [
        part(['Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: quoted-printable'], 'Gr=FC=DFe\n'),
        part(['Content-Type: image/png', 'Content-Disposition: weird; filename=a.png', 'Content-ID: <img1@x>', 'Content-Transfer-Encoding: base64'], b64(PDF.subarray(0, 64))),
        part(['Content-Type: text/plain', 'Content-Disposition: inline'], 'second text part\n'),
      ]),
    ),
    direct: true,
  },
  {
    name: 'related: html and an image it does not reference by cid',
    raw: msg(
      ['Content-Type: multipart/alternative; boundary=a'],
      multi('a', [
        part(['Content-Type: text/plain'], 'plain'),
        part(
          ['Content-Type: multipart/related; boundary=r; type="text/html"'],
          multi('r', [part(['Content-Type: text/html'], '<p>logo below</p>'), part(['Content-Type: image/gif', 'Content-ID: <logo>', 'Content-Transfer-Encoding: base64'], b64(PDF.subarray(0, 30)))]),
        ),
      ]),
    ),
    direct: true,
  },
  {
    name: 'a message that is one attachment',
    raw: msg(['Content-Type: application/pdf', 'Content-Disposition: attachment; filename=scan.pdf', 'Content-Transfer-Encoding: base64'], b64(PDF)),
    direct: true,
  },
  {
    name: 'three levels deep',
    raw: msg(
      ['Content-Type: multipart/mixed; boundary=l1'],
      multi('l1', [
        part(
          ['Content-Type: multipart/mixed; boundary=l2'],
          multi('l2', [part(['Content-Type: multipart/alternative; boundary=l3'], multi('l3', [part(['Content-Type: text/plain'], 'deep'), part(['Content-Type: text/html'], '<i>deep</i>')])), part(['Content-Type: application/x-thing'], 'x')]),
        ),
        part(['Content-Type: image/jpeg; name=photo.jpg', 'Content-Transfer-Encoding: base64'], b64(PDF.subarray(0, 200))),
      ]),
    ),
    direct: true,
  },
  {
    name: 'lines longer than mailsplit’s 64 KB line buffer',
    raw: msg(
      ['Content-Type: multipart/alternative; boundary=long'],
      multi('long', [
        part(['Content-Type: text/plain', 'Content-Transfer-Encoding: base64'], b64(PLAIN.repeat(3000), 10_000_000)),
        part(['Content-Type: text/html'], `<p>${'word '.repeat(40_000)}</p>`),
      ]),
    ),
    direct: true,
  },
  // Left to mailparser.
  { name: 'html only (mailparser derives the text)', raw: msg(['Content-Type: text/html; charset=utf-8'], HTML), direct: false },
  {
    name: 'text and html side by side in a mixed (mailparser converts)',
    raw: msg(['Content-Type: multipart/mixed; boundary=m'], multi('m', [part(['Content-Type: text/plain'], 'a'), part(['Content-Type: text/html'], '<p>b</p>')])),
    direct: false,
  },
  {
    name: 'html referring to an image by cid (mailparser inlines it)',
    raw: msg(
      ['Content-Type: multipart/related; boundary=r'],
      multi('r', [part(['Content-Type: text/html'], '<img src="cid:logo">'), part(['Content-Type: image/gif', 'Content-ID: <logo>', 'Content-Transfer-Encoding: base64'], b64(PDF.subarray(0, 30)))]),
    ),
    direct: false,
  },
  {
    name: 'an embedded message',
    raw: msg(['Content-Type: multipart/mixed; boundary=m'], multi('m', [part(['Content-Type: text/plain'], 'fwd'), part(['Content-Type: message/rfc822'], 'Subject: inner\n\ninner body')])),
    direct: false,
  },
  { name: 'delivery status', raw: msg(['Content-Type: multipart/report; boundary=m'], multi('m', [part(['Content-Type: text/plain'], 'failed'), part(['Content-Type: message/delivery-status'], 'Status: 5.0.0')])), direct: false },
  { name: 'a delimiter with blanks after it', raw: msg(['Content-Type: multipart/alternative; boundary=b'], '--b \nContent-Type: text/plain\n\nx\n--b--\n'), direct: false },
  { name: 'no close delimiter', raw: msg(['Content-Type: multipart/alternative; boundary=b'], '--b\nContent-Type: text/plain\n\nx\n'), direct: false },
  {
    name: 'a part whose body is a lone line ending, with a part after it (mailsplit keeps the line ending)',
    raw: msg(['Content-Type: multipart/alternative; boundary=b1'], '--b1\nContent-Type: text/plain\n\n\n--b1\nContent-Type: text/plain\n\nsecond\n--b1--\n'),
    direct: false,
  },
  {
    name: 'a part with no line after its header block',
    raw: msg(['Content-Type: multipart/alternative; boundary=b1'], '--b1\nContent-Type: text/plain\n\n--b1\nContent-Type: text/plain\n\nsecond\n--b1--\n'),
    direct: false,
  },
  {
    name: 'a header block past mailsplit’s limit',
    raw: msg(['Content-Type: text/plain', ...Array.from({ length: 9000 }, (_, k) => `Content-X-${k}: v`)], 'x'),
    direct: false,
  },
  {
    name: 'a nested multipart that reuses the boundary around it',
    raw: msg(
      ['Content-Type: multipart/mixed; boundary=same'],
      multi('same', [part(['Content-Type: multipart/alternative; boundary=same'], multi('same', [part(['Content-Type: text/plain'], 'a'), part(['Content-Type: text/html'], '<p>b</p>')]))]),
    ),
    direct: false,
  },
  { name: 'a multipart without a boundary', raw: msg(['Content-Type: multipart/mixed'], 'text'), direct: false },
  { name: 'uuencode', raw: msg(['Content-Type: text/plain', 'Content-Transfer-Encoding: x-uuencode'], 'begin 644 a\n`\nend\n'), direct: false },
  { name: 'base64 padded segment by segment', raw: msg(['Content-Type: text/plain', 'Content-Transfer-Encoding: base64'], `${b64('a')}\n${b64('b')}`), direct: false },
  { name: 'a header without its end', raw: Buffer.from('Content-Type: text/plain\r\nX-Other: y'), direct: false },
  {
    name: 'a part header without its end',
    raw: msg(['Content-Type: multipart/alternative; boundary=b'], '--b\nContent-Type: text/plain\n--b--\n'),
    direct: false,
  },
];

async function both(raw: Buffer) {
  const direct = readBodyDirect(raw);
  const mp = await parseWithMailparser(raw);
  const meta = (list: Parameters<typeof attachmentMeta>[0][]) => list.map(attachmentMeta);
  return {
    direct: direct && { html: direct.html, text: direct.text, attachments: meta(direct.attachments) },
    mailparser: { html: mp.html, text: mp.text, attachments: meta(mp.attachments) },
  };
}

describe('decodeQuotedPrintable', () => {
  it('gives what libqp.decode gives, byte for byte', () => {
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const alphabet = ['=', '=', '3', 'D', 'a', 'F', 'g', ' ', '\t', '\r', '\n', '\r\n', 'x', '\u00e9', '\u00ff', '=\r\n', '= \n'];
    const fixed = ['', '=', '=\r', '=\n', 'a = \r\nb', '=4', '=4=\n1', '=E2=82=AC', '=e2=82=ac', 'tail  ', 'x\t \r\ny', '==\n41', '=\r\n=\r\n', '=\r=0A', '3=\r\t\nD', '= \r \n', '=\r \r\n', '= \r', '=  '];
    const inputs = [...fixed];
    for (let k = 0; k < 20000; k++) inputs.push(Array.from({ length: Math.floor(rand() * 40) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''));
    // Line ends all CRLF or LF (the line-by-line path), with stretches long enough for its native copies.
    const lines = ['=', '=3D', '=C3=BC', '=c3=bc', ' ', '\t', 'plain text of a line', 'a'.repeat(40), '=\r\n', '=\n', '\r\n', '\n', ' \r\n', '=  \n', '=4'];
    for (let k = 0; k < 20000; k++) inputs.push(Array.from({ length: Math.floor(rand() * 30) }, () => lines[Math.floor(rand() * lines.length)]).join(''));
    for (const s of inputs) {
      const raw = Buffer.from(s, 'latin1');
      expect(decodeQuotedPrintable(raw).toString('hex'), JSON.stringify(s)).toBe(libqp.decode(raw).toString('hex'));
    }
  });
});

describe('readBodyDirect', () => {
  for (const c of cases) {
    it(`${c.direct ? 'reads' : 'leaves to mailparser'}: ${c.name}`, async () => {
      const r = await both(c.raw);
      if (!c.direct) {
        expect(r.direct).toBeNull();
        return;
      }
      expect(r.direct).not.toBeNull();
      expect(r.direct).toEqual(r.mailparser);
    });
  }

  it('gives mailparser’s attachment fields, part numbers included', async () => {
    const raw = cases.find((c) => c.name === 'mixed: alternative and attachments')!.raw;
    const direct = readBodyDirect(raw)!;
    const mp = await parseWithMailparser(raw);
    const fields = (a: { partId?: unknown; filename?: unknown; contentType?: unknown; size?: unknown; contentDisposition?: unknown }) => ({ partId: a['partId'], filename: a['filename'], contentType: a['contentType'], size: a['size'], contentDisposition: a['contentDisposition'] });
    expect(direct.attachments.map(fields)).toEqual(mp.attachments.map(fields));
    expect(direct.attachments.map((a) => a.partId)).toEqual(['2', '3', '4', '5', '6']);
    expect(direct.attachments[1]!.filename).toBe('übersicht Q3.xlsx');
    expect(direct.attachments[0]!.size).toBe(PDF.length);
  });

  it('agrees with mailparser on the benchmark corpus, and reads nearly all of it itself', async () => {
    const spec = { seed: 11, count: 400, to: { name: 'Alice Example', address: 'alice@example.test' } };
    let direct = 0;
    for (let i = 0; i < spec.count; i++) {
      const raw = contentHeadersOnly(generateMessage(spec, i).raw);
      const r = await both(raw);
      if (r.direct === null) continue;
      direct++;
      expect(r.direct, `message ${i}`).toEqual(r.mailparser);
    }
    expect(direct).toBe(spec.count);
  });

  it('agrees with mailparser on random trees, odd line ends, blanks and encodings included', async () => {
    let seed = 20261127;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const texts = ['', '\n', 'x', 'line one\nline two\n', 'trailing blanks   \n', 'Zoë — 42 €\n', '=3D literal =\n', '--not-a-boundary\n', 'soft \nbreak \n', '\r\n\r\n'];
    const leafOf = (): string => {
      const type = pick(['text/plain', 'text/plain', 'text/html', 'application/pdf', 'image/png', 'application/octet-stream', 'text/calendar']);
      const params = pick(['', '; charset=utf-8', '; charset=iso-8859-1', '; charset="windows-1252"', '; format=flowed', '; format=flowed; delsp=yes', '; name="f.bin"', ' (comment); charset=utf-8']);
      const headers = [`${pick(['Content-Type', 'content-type', 'CONTENT-TYPE'])}:${pick([' ', '\t', ''])}${rand() < 0.2 ? type.toUpperCase() : type}${rand() < 0.3 ? params.replace('; ', ';\n\t') : params}`];
      const disposition = pick(['', '', 'Content-Disposition: inline', 'Content-Disposition: attachment; filename="a b.txt"', 'Content-Disposition: attachment; filename*=utf-8\'\'%C3%A4.txt']);
      if (disposition) headers.push(disposition);
      if (rand() < 0.2) headers.push(`Content-ID: <${Math.floor(rand() * 100)}@x>`);
      const text = Buffer.from(pick(texts), 'utf8').toString('latin1');
      const encoding = pick(['', '7bit', 'quoted-printable', 'base64', 'BASE64', '8bit']);
      if (encoding) headers.push(`Content-Transfer-Encoding: ${encoding}`);
      const body = /base64/i.test(encoding) ? b64(Buffer.from(text, 'latin1'), pick([76, 4, 1000])) : encoding === 'quoted-printable' ? qp(Buffer.from(text, 'latin1').toString('utf8')) : text;
      return part(headers, body);
    };
    const nodeOf = (depth: number): string => {
      if (depth > 2 || rand() < 0.45) return leafOf();
      const boundary = pick(['b', 'bnd', '=_x', 'b b', 'b-1']) + depth;
      const n = 1 + Math.floor(rand() * 3);
      let body = multi(boundary, Array.from({ length: n }, () => nodeOf(depth + 1)), { preamble: pick(['', '', 'preamble']), epilogue: pick(['', '', 'epilogue\n']) });
      // Now and then a delimiter with blanks after it, or no close delimiter.
      if (rand() < 0.05) body = body.replace(`--${boundary}\n`, `--${boundary} \n`);
      if (rand() < 0.05) body = body.replace(`--${boundary}--\n`, '');
      return part([`Content-Type: multipart/${pick(['mixed', 'alternative', 'related', 'signed'])};${pick([' ', '\n '])}boundary=${pick(['"', ''])}${boundary}${boundary.includes(' ') ? '"' : pick(['"', ''])}`.replace(/=([^"]*)"$/, '="$1"')], body);
    };
    let direct = 0;
    const runs = 600;
    for (let i = 0; i < runs; i++) {
      const eol = pick(['\r\n', '\r\n', '\n']);
      const raw = Buffer.from(nodeOf(0).replace(/\r?\n/g, eol), 'latin1');
      const r = await both(raw);
      if (r.direct === null) continue;
      direct++;
      expect(r.direct, `case ${i}: ${JSON.stringify(raw.toString('latin1'))}`).toEqual(r.mailparser);
    }
    // Most of them are shapes it reads itself (the rest convert text and HTML, or are odd).
    expect(direct).toBeGreaterThan(runs / 3);
  });

  it('leaves a message with CR-only or mixed line ends to the same reading', async () => {
    const raw = Buffer.from('Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\n\nmixed\r\nends\n--b\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--b--\r\n');
    const r = await both(raw);
    if (r.direct) expect(r.direct).toEqual(r.mailparser);
  });
});
