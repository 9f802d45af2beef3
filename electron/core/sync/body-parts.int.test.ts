/**
 * Reading messages without their attachments (body-parts.ts), against the real test IMAP
 * server (Dovecot):
 *   npx tsx scripts/with-mail-servers.ts npx vitest run --project integration body-parts
 * Every message is read both ways, whole (parseBody over BODY[]) and by `readBodies`; the
 * results must be the same but for the sizes of the attachments left on the server, which
 * are estimated from BODYSTRUCTURE. The FETCH commands are recorded, so the test also shows
 * which messages were read in parts.
 */
import { randomBytes } from 'node:crypto';
import type { FetchQueryObject, ImapFlow } from 'imapflow';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMailServersFromEnv, type MailServers } from '../../../e2e/mailserver/mailserver';
import type { MessageBody } from '../../../shared/contract';
import { readBodyDirect } from './body-direct';
import { attachmentMeta, contentHeadersOnly, parseBody, parseWithMailparser, readBodies } from './body-fetcher';
import { PRUNE_MIN_BYTES } from './body-parts';
import { otherClient } from './testing/mail-store';

/** Incompressible bytes, so the attachment sizes are what they say. */
const file = (n: number) => randomBytes(n);

function compose(options: Mail.Options): Promise<Buffer> {
  return new MailComposer({ from: 'Bob <bob@example.test>', to: 'alice@example.test', date: new Date('2026-11-20T10:00:00Z'), ...options })
    .compile()
    .build();
}

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

/** name → raw message, and whether it should be read in parts. */
async function corpus(): Promise<{ name: string; raw: Buffer; parts: boolean }[]> {
  const b64 = (buf: Buffer) => buf.toString('base64').replace(/.{76}/g, '$&\r\n');
  return [
    {
      name: 'text and a PDF',
      parts: true,
      raw: await compose({ subject: 'Report', text: 'Grüße aus Köln — the report is attached.\n', attachments: [{ filename: 'report.pdf', content: file(40_000) }] }),
    },
    {
      name: 'alternative, related image and a zip',
      parts: true,
      raw: await compose({
        subject: 'Photos',
        text: 'See the logo.',
        html: '<p>See the <b>logo</b>: <img src="cid:logo@petrel"></p>',
        attachments: [
          { filename: 'logo.png', content: file(30_000), cid: 'logo@petrel' },
          { filename: 'photos.zip', content: file(50_000) },
          { filename: 'tiny.txt', content: 'a small text file\n' },
        ],
      }),
    },
    {
      name: 'HTML only (text from the HTML) and a file with an RFC 2231 name',
      parts: true,
      raw: await compose({ subject: 'HTML', html: '<h1>Hello</h1><p>Zweite Zeile</p>', attachments: [{ filename: 'Übersicht März.xlsx', content: file(20_000) }] }),
    },
    {
      name: 'ISO-8859-1 flowed text, a part without headers, a preamble, an inline image',
      parts: true,
      raw: crlf([
        'From: Carol <carol@example.test>',
        'To: alice@example.test',
        'Subject: =?ISO-8859-1?Q?Caf=E9?=',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="outer"',
        '',
        'This is a preamble nobody reads.',
        '--outer',
        'Content-Type: text/plain; charset=ISO-8859-1; format=flowed; delsp=yes',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Un caf=E9 cr=E8me, s\'il vous pla=EEt, avec une ligne qui continue  ',
        'sur la suivante.',
        '--outer',
        'Content-Type: image/jpeg; name="photo.jpg"',
        'Content-Disposition: inline; filename="photo.jpg"',
        'Content-Transfer-Encoding: base64',
        '',
        b64(file(24_000)),
        '--outer',
        '',
        'A part without headers is text/plain.',
        '--outer',
        'Content-Type: text/plain; charset=utf-8; name="notes.txt"',
        'Content-Disposition: attachment; filename="notes.txt"',
        '',
        'x'.repeat(100) + '\r\n' + 'y'.repeat(100),
        '--outer--',
        'An epilogue.',
        '',
      ]),
    },
    {
      name: 'a nested multipart/mixed inside multipart/mixed',
      parts: true,
      raw: crlf([
        'From: dave@example.test',
        'Subject: nested',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="a"',
        '',
        '--a',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'First text.',
        '--b',
        'Content-Type: application/octet-stream; name="data.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        b64(file(18_000)),
        '--b--',
        '',
        '--a',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>Second, in HTML.</p>',
        '--a--',
        '',
      ]),
    },
    {
      name: 'a message that is one file (its header alone)',
      parts: true,
      raw: crlf([
        'From: scanner@example.test',
        'Subject: Scan',
        'MIME-Version: 1.0',
        'Content-Type: application/pdf; name="scan.pdf"',
        'Content-Disposition: attachment; filename="scan.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        b64(file(60_000)),
        '',
      ]),
    },
    {
      name: 'a forwarded message (read whole)',
      parts: false,
      raw: await compose({
        subject: 'Fwd: big',
        text: 'Forwarding this.',
        attachments: [{ filename: 'original.eml', contentType: 'message/rfc822', content: await compose({ subject: 'big', text: 'inner', attachments: [{ filename: 'in.bin', content: file(30_000) }] }) }],
      }),
    },
    {
      name: 'a small attachment (read whole)',
      parts: false,
      raw: await compose({ subject: 'small', text: 'hi', attachments: [{ filename: 'a.txt', content: 'tiny' }] }),
    },
    { name: 'plain text (read whole)', parts: false, raw: await compose({ subject: 'plain', text: 'Just text.' }) },
  ];
}

/** Equal, but for the sizes of attachments left on the server: within 3% (base64 line breaks). */
function expectSame(read: MessageBody, whole: MessageBody, name: string): void {
  const strip = (b: MessageBody) => ({ ...b, attachments: b.attachments.map((a) => ({ ...a, size: 0 })) });
  expect(strip(read), name).toEqual(strip(whole));
  read.attachments.forEach((a, i) => {
    const exact = whole.attachments[i]!.size;
    expect(Math.abs(a.size - exact), `${name}: ${a.filename} ${a.size} vs ${exact}`).toBeLessThanOrEqual(Math.max(4, exact * 0.03));
  });
}

describe('reading messages without their attachments', () => {
  let servers: MailServers;
  let client: ImapFlow;
  const folder = `BodyParts-${randomBytes(4).toString('hex')}`;
  let messages: { name: string; uid: number; parts: boolean; raw: Buffer }[] = [];
  let uidValidity = '';
  const fetches: { range: string; query: FetchQueryObject }[] = [];

  beforeAll(async () => {
    servers = loadMailServersFromEnv();
    client = await otherClient(servers, 'alice');
    await client.mailboxCreate(folder);
    const list = await corpus();
    for (const m of list) await client.append(folder, m.raw);
    const mb = await client.mailboxOpen(folder, { readOnly: true });
    uidValidity = mb.uidValidity.toString();
    const uids = (await client.search({ all: true }, { uid: true })) || [];
    messages = list.map((m, i) => ({ ...m, uid: uids[i]! }));
    const fetch = client.fetch.bind(client);
    client.fetch = ((range: string, query: FetchQueryObject, options?: object) => {
      fetches.push({ range, query });
      return fetch(range, query, options);
    }) as typeof client.fetch;
    // Whole messages are fetched through imapflow's exec (fetchEach): recorded as a `source` query.
    const raw = client as unknown as { exec: (command: string, attributes: unknown[], options: unknown) => Promise<unknown> };
    const exec = raw.exec.bind(client);
    raw.exec = (command, attributes, options) => {
      const [set, items] = attributes as [{ value: string }, { value: string; section?: unknown[] }[]];
      if (command === 'UID FETCH' && Array.isArray(items) && items.some((i) => i.value === 'BODY.PEEK' && i.section?.length === 0)) {
        fetches.push({ range: set.value, query: { uid: true, source: true } });
      }
      return exec(command, attributes, options);
    };
  });

  afterAll(async () => {
    await client?.mailboxDelete(folder).catch(() => undefined);
    await client?.logout().catch(() => undefined);
  });

  const ref = (uid: number) => ({ accountId: 'acct-alice', path: folder, uidValidity, uid });

  async function wholeBody(uid: number): Promise<MessageBody> {
    const msg = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
    return parseBody(ref(uid), msg && msg.source ? msg.source : Buffer.alloc(0));
  }

  it('reads each message the same as whole, leaving the attachments of the big ones on the server', async () => {
    for (const m of messages) {
      fetches.length = 0;
      const [read] = await readBodies(client, ref(m.uid), [m.uid]);
      const wholeRead = fetches.some((f) => f.query.source);
      expect(wholeRead, `${m.name}: read whole`).toBe(!m.parts);
      expectSame(read!, await wholeBody(m.uid), m.name);
    }
  });

  it('reads a batch of mixed shapes with one FETCH per shape, and nothing twice', async () => {
    fetches.length = 0;
    const uids = messages.map((m) => m.uid);
    const bodies = await readBodies(client, ref(0), uids);
    const requested = fetches.slice(1).flatMap((f) => f.range.split(',').map(Number));
    expect(requested.sort((a, b) => a - b)).toEqual(uids);
    const whole = fetches.find((f) => f.query.source)!;
    expect(whole.range.split(',').map(Number)).toEqual(messages.filter((m) => !m.parts).map((m) => m.uid));
    const partFetches = fetches.filter((f) => f.query.bodyParts).length;
    expect(partFetches).toBeLessThanOrEqual(messages.filter((m) => m.parts).length);
    expect(bodies.map((b) => b.uid).sort((a, b) => a - b)).toEqual(uids);
    for (const body of bodies) expectSame(body, await wholeBody(body.uid), messages.find((m) => m.uid === body.uid)!.name);
  });

  it('reads messages the renderer says are small whole, without asking for their structure; a wrong size costs no content', async () => {
    const uids = messages.map((m) => m.uid);
    const sizes = new Map<number, number>();
    for await (const m of client.fetch(uids.join(','), { uid: true, size: true }, { uid: true })) sizes.set(m.uid, m.size ?? 0);
    fetches.length = 0;
    const small = messages.filter((m) => sizes.get(m.uid)! < PRUNE_MIN_BYTES);
    expect(small.length).toBeGreaterThan(0);
    const bodies = await readBodies(client, ref(0), uids, uids.map((u) => sizes.get(u)!));
    expect(bodies.map((b) => b.uid).sort((a, b) => a - b)).toEqual(uids);
    for (const body of bodies) expectSame(body, await wholeBody(body.uid), messages.find((m) => m.uid === body.uid)!.name);
    const probed = fetches.filter((f) => f.query.bodyStructure).flatMap((f) => f.range.split(',').map(Number));
    expect(probed.sort((a, b) => a - b)).toEqual(messages.filter((m) => !small.includes(m)).map((m) => m.uid));
    // Every size claimed small (wrongly for the big ones): all read whole, the same content.
    fetches.length = 0;
    const all = await readBodies(client, ref(0), uids, uids.map(() => 1));
    expect(fetches.some((f) => f.query.bodyStructure)).toBe(false);
    for (const body of all) expect(body).toEqual(await wholeBody(body.uid));
  });

  it('reads every message as mailparser alone reads it, most of them without mailparser', async () => {
    let direct = 0;
    for (const m of messages) {
      const msg = await client.fetchOne(String(m.uid), { uid: true, source: true }, { uid: true });
      const source = msg && msg.source ? msg.source : Buffer.alloc(0);
      const content = contentHeadersOnly(source);
      if (readBodyDirect(content)) direct++;
      const ours = await parseBody(ref(m.uid), source);
      const theirs = await parseWithMailparser(content);
      expect({ html: ours.html, text: ours.text, attachments: ours.attachments }, m.name).toEqual({
        html: theirs.html,
        text: theirs.text,
        attachments: theirs.attachments.map(attachmentMeta),
      });
    }
    expect(direct).toBeGreaterThan(messages.length / 2);
  });

  it('keeps the text of a message whose text parts the server returns empty', async () => {
    const raw = crlf([
      'Subject: empty text',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="z"',
      '',
      '--z',
      'Content-Type: text/plain',
      '',
      '',
      '--z',
      'Content-Type: application/pdf; name="e.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      file(30_000).toString('base64'),
      '--z--',
      '',
    ]);
    await client.append(folder, raw);
    await client.mailboxOpen(folder, { readOnly: true });
    const uid = Math.max(...((await client.search({ all: true }, { uid: true })) || []));
    const [read] = await readBodies(client, ref(uid), [uid]);
    expectSame(read!, await wholeBody(uid), 'empty text');
  });
});
