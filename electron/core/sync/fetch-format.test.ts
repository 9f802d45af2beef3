import type { ImapResponse, MailboxObject } from 'imapflow';
import { parser } from 'imapflow/lib/handler/imap-handler';
import { formatMessageResponse } from 'imapflow/lib/tools';
import { describe, expect, it } from 'vitest';
import { formatHeaderResponse } from './fetch-format';
import { toMessageHeader } from './header-map';

const ENVELOPE =
  'ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "=?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?= =?utf-8?B?8J+Ygg==?=" ' +
  '(("=?utf-8?q?J=C3=BCrgen?= Gray" NIL "gray" "cac.washington.edu")) (("Terry" NIL "gray" "cac.washington.edu")) NIL ' +
  '((NIL NIL "imap" "cac.washington.edu")("=?koi8-r?B?8NLJ18XU?=" NIL "ivan" "example.ru")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")) NIL ' +
  '"<parent@example.test>" "<B27397-0100000@cac.washington.edu>")';
const MULTIPART =
  'BODYSTRUCTURE ((("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 120 4 NIL NIL NIL NIL)' +
  '("TEXT" "HTML" ("CHARSET" "UTF-8") NIL NIL "BASE64" 400 6 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "b2") NIL NIL NIL)' +
  '("APPLICATION" "PDF" ("NAME" "=?utf-8?q?R=C3=A9sum=C3=A9.pdf?=") NIL NIL "BASE64" 52000 NIL ("ATTACHMENT" ("FILENAME*" "utf-8\'\'R%C3%A9sum%C3%A9.pdf")) NIL NIL) ' +
  '"MIXED" ("BOUNDARY" "b1") NIL NIL NIL)';
const SINGLE = 'BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)';
const REFS = 'References: <a@x.test>\r\n <b@x.test>\r\nIn-Reply-To: <b@x.test>\r\n\r\n';

/** A FETCH line as imapflow's stream hands it to the parser: `{n}\r\n` stays in the line, each literal's bytes come separately. */
async function parse(line: string, literals: string[] = []): Promise<ImapResponse> {
  return (await parser(Buffer.from(line), { literals: literals.map((l) => Buffer.from(l)) })) as ImapResponse;
}

const mailbox = (): MailboxObject => ({ path: 'INBOX', uidValidity: 7n, uidNext: 10, highestModseq: 5n, exists: 3, flags: new Set(), delimiter: '/', permanentFlags: new Set() }) as unknown as MailboxObject;

const CASES: { name: string; line: string; literals?: string[] }[] = [
  {
    name: 'every item, header fields as a literal',
    line: `* 12 FETCH (UID 345 FLAGS (\\Seen \\Recent $Label1) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 MODSEQ (12121231000) PREVIEW "hello there" BODY[HEADER.FIELDS (REFERENCES IN-REPLY-TO)] {${REFS.length}}\r\n ${ENVELOPE} ${MULTIPART})`,
    literals: [REFS],
  },
  {
    name: 'without CONDSTORE, single part, header fields quoted',
    line: `* 1 FETCH (UID 9 FLAGS () ${ENVELOPE} INTERNALDATE "01-Jan-2026 00:00:00 +0000" RFC822.SIZE 10 BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1 NIL NIL NIL NIL) BODY[HEADER.FIELDS (REFERENCES IN-REPLY-TO)] "")`,
  },
  {
    name: 'NIL envelope and structure, a PREVIEW literal, an unreadable date',
    line: '* 3 FETCH (UID 11 FLAGS (\\Flagged) ENVELOPE NIL BODYSTRUCTURE NIL INTERNALDATE "not a date" RFC822.SIZE 0 PREVIEW {5}\r\n MODSEQ (77))',
    literals: ['Hallo'],
  },
  {
    name: 'an envelope with empty and odd fields',
    line: `* 4 FETCH (UID 12 ENVELOPE (NIL "" NIL NIL NIL NIL NIL NIL NIL NIL) ${SINGLE} FLAGS (\\Answered))`,
  },
  {
    name: "another client's flag change (no ENVELOPE)",
    line: '* 5 FETCH (UID 13 FLAGS (\\Seen) MODSEQ (90))',
  },
  {
    name: 'a whole message (the body fetch), as a literal',
    line: '* 7 FETCH (UID 14 BODY[] {25}\r\n)',
    literals: ['Subject: x\r\n\r\nbody text\r\n'],
  },
  {
    name: 'a whole message quoted, the UID after it',
    line: '* 8 FETCH (BODY[] "short body" UID 15)',
  },
  {
    name: 'a UID past every bound, a huge size',
    line: '* 6 FETCH (UID 99999999999 RFC822.SIZE 123456789012345678901234 FLAGS ())',
  },
];

describe('formatHeaderResponse', () => {
  for (const c of CASES) {
    it(`reads the same as imapflow's formatMessageResponse: ${c.name}`, async () => {
      const ours = mailbox();
      const theirs = mailbox();
      const lean = formatHeaderResponse(await parse(c.line, c.literals), ours);
      const full = await formatMessageResponse(await parse(c.line, c.literals), theirs);
      expect(lean).not.toBeNull();
      // imapflow's id (an MD5 of path:UIDVALIDITY:UID) and flag colour are not read by the engine.
      const { id: _id, flagColor: _color, ...expected } = full as typeof full & { flagColor?: string };
      expect({ ...lean }).toEqual({ ...expected });
      expect(ours).toEqual(theirs); // uidNext and highestModseq move the same way
      if (full.envelope) {
        const ctx = { accountId: 'a', path: 'INBOX', uidValidity: '7' };
        expect(toMessageHeader(lean!, ctx, 'p')).toEqual(toMessageHeader(full, ctx, 'p'));
      }
    });
  }

  it('leaves anything it was not written for to imapflow', async () => {
    // A partial section, a body part, an item the header fetch never asks for.
    expect(formatHeaderResponse(await parse('* 1 FETCH (UID 1 BODY[1]<0> {3}\r\n)', ['abc']), mailbox())).toBeNull();
    expect(formatHeaderResponse(await parse('* 1 FETCH (UID 1 BODY[TEXT] {3}\r\n)', ['abc']), mailbox())).toBeNull();
    expect(formatHeaderResponse(await parse('* 1 FETCH (UID 1 BODY[]<0> {3}\r\n)', ['abc']), mailbox())).toBeNull();
    expect(formatHeaderResponse(await parse('* 1 FETCH (UID 1 X-GM-LABELS (\\Inbox))'), mailbox())).toBeNull();
    expect(formatHeaderResponse(await parse('* 1 FETCH (UID 1 EMAILID (M123))'), mailbox())).toBeNull();
  });
});
