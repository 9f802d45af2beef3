import type { ImapFlow } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { MessageBodySchema } from '../../../shared/contract';
import { createLogger } from '../log';
import { BodyFetcher, contentHeadersOnly, parseBody, readBodies } from './body-fetcher';

const ref = { accountId: 'acct-alice', path: 'INBOX', uidValidity: '7', uid: 3 };
const raw = [
  'From: a@example.test',
  'Subject: files',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="m"',
  '',
  '--m',
  'Content-Type: multipart/related; boundary="r"',
  '',
  '--r',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>Hi <img src="cid:logo@x"></p>',
  '--r',
  'Content-Type: image/png',
  'Content-ID: <logo@x>',
  'Content-Disposition: inline',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('png-bytes').toString('base64'),
  '--r--',
  '--m',
  'Content-Type: application/pdf; name="a.pdf"',
  'Content-Disposition: attachment; filename="a.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF').toString('base64'),
  '--m--',
  '',
].join('\r\n');

describe('parseBody', () => {
  it('returns html, text and attachment metadata with IMAP part numbers', async () => {
    const body = await parseBody(ref, Buffer.from(raw));
    expect(MessageBodySchema.parse(body)).toEqual(body);
    expect(body.html).toContain('<p>Hi');
    expect(body.attachments).toEqual([
      { partId: '1.2', filename: '', contentType: 'image/png', size: 9, contentId: '<logo@x>', inline: true },
      { partId: '2', filename: 'a.pdf', contentType: 'application/pdf', size: 4, contentId: null, inline: false },
    ]);
  });

  it('handles a plain text message and one that is only a file', async () => {
    const text = await parseBody(ref, Buffer.from('Subject: x\r\n\r\nJust text\r\n'));
    expect(text).toMatchObject({ html: null, attachments: [] });
    expect(text.text?.trim()).toBe('Just text');
    const file = await parseBody(
      ref,
      Buffer.from('Content-Type: application/zip; name="x.zip"\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n'),
    );
    expect(file.attachments).toMatchObject([{ partId: '1', filename: 'x.zip', contentType: 'application/zip' }]);
  });
});

/**
 * An IMAP connection that records commands; each request's first FETCH (BODYSTRUCTURE)
 * waits until `release` is called. Its messages are single-part, so they are read whole.
 */
function fakeImap() {
  const commands: string[] = [];
  const gates: (() => void)[] = [];
  const client = {
    isClosed: false,
    usable: true,
    mailbox: false as false | { path: string; uidValidity: bigint },
    async mailboxOpen(path: string) {
      commands.push(`EXAMINE ${path}`);
      client.mailbox = { path, uidValidity: 7n };
      return client.mailbox;
    },
    async *fetch(range: string, query: { bodyStructure?: boolean; source?: boolean }) {
      const uids = range.split(',').map(Number);
      if (query.bodyStructure) {
        commands.push(`FETCH ${range} BODYSTRUCTURE`);
        await new Promise<void>((r) => gates.push(r));
        for (const uid of uids) yield { uid, bodyStructure: { type: 'text/plain', size: 10 } };
      } else {
        commands.push(`FETCH ${range} BODY[]`);
        for (const uid of uids) yield { uid, source: Buffer.from(`Subject: ${uid}\r\n\r\nbody ${uid}\r\n`) };
      }
    },
    logout: async () => undefined,
    close: () => undefined,
  };
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  };
  return { client: client as unknown as ImapFlow, commands, release };
}

describe('BodyFetcher', () => {
  const folder = { accountId: 'acct-alice', path: 'INBOX', uidValidity: '7' };

  it('keeps the folder selected between batches and serves a message being opened before waiting batches', async () => {
    const imap = fakeImap();
    const fetcher = new BodyFetcher(async () => imap.client, 60_000, createLogger('test', () => undefined));
    const first = fetcher.fetchMany(folder, [10, 9]);
    const second = fetcher.fetchMany(folder, [8, 7]);
    const opened = fetcher.fetch({ ...folder, uid: 3 });
    await imap.release();
    expect((await first).map((b) => b.uid)).toEqual([10, 9]);
    await imap.release();
    expect((await opened).text?.trim()).toBe('body 3');
    await imap.release();
    expect((await second).map((b) => b.uid)).toEqual([8, 7]);
    expect(imap.commands).toEqual([
      'EXAMINE INBOX',
      ...['10,9', '3', '8,7'].flatMap((range) => [`FETCH ${range} BODYSTRUCTURE`, `FETCH ${range} BODY[]`]),
    ]);
    fetcher.close();
  });

  it('selects again when the folder was selected under another UIDVALIDITY, and refuses it', async () => {
    const imap = fakeImap();
    const fetcher = new BodyFetcher(async () => imap.client, 60_000, createLogger('test', () => undefined));
    const stale = fetcher.fetchMany({ ...folder, uidValidity: '6' }, [1]);
    await expect(stale).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(imap.commands).toEqual(['EXAMINE INBOX']);
    fetcher.close();
  });
});

describe('contentHeadersOnly', () => {
  it('keeps the Content-* and MIME-Version fields with their folded lines and the body byte for byte', () => {
    const raw = Buffer.concat([
      Buffer.from(
        'Received: from x\r\n\tby y\r\nFrom: =?UTF-8?Q?K=C3=A4the?= <k@x>\r\nContent-Type: multipart/mixed;\r\n boundary="b"\r\nSubject: s\r\nMIME-Version: 1.0\r\ncontent-transfer-encoding: 8bit\r\n\r\n',
        'latin1',
      ),
      Buffer.from([0xe4, 0x0d, 0x0a, 0x0d, 0x0a, 0x41]),
    ]);
    const out = contentHeadersOnly(raw);
    expect(out.toString('latin1')).toBe('Content-Type: multipart/mixed;\r\n boundary="b"\r\nMIME-Version: 1.0\r\ncontent-transfer-encoding: 8bit\r\n\r\n\u00e4\r\n\r\nA');
  });

  it('reads bare-LF headers and leaves a message without a body alone', () => {
    expect(contentHeadersOnly(Buffer.from('Subject: s\nContent-Type: text/plain\n\nhi\n')).toString()).toBe('Content-Type: text/plain\r\n\r\nhi\n');
    expect(contentHeadersOnly(Buffer.from('Subject: only a header\r\n')).toString()).toBe('Subject: only a header\r\n');
  });

  it('gives parseBody the same result as the whole header', async () => {
    const withNoise = Buffer.from(`Received: from a\r\nX-Long: ${'y'.repeat(5000)}\r\n${raw}`);
    expect(await parseBody(ref, withNoise)).toEqual(await parseBody(ref, Buffer.from(raw)));
  });
});

describe('readBodies', () => {
  const folder = { accountId: 'acct-alice', path: 'INBOX', uidValidity: '7' };
  const pdf = { type: 'application/pdf', part: '2', size: 40_000, encoding: 'base64' };
  const structure = { type: 'multipart/mixed', parameters: { boundary: 'b' }, childNodes: [{ type: 'text/plain', part: '1', size: 20 }, pdf] };

  /** A server whose answer to the sections FETCH is a refusal (or a dropped connection). */
  function refusingServer(usableAfter: boolean) {
    const queries: string[] = [];
    const client = {
      usable: true,
      async *fetch(range: string, query: { bodyStructure?: boolean; bodyParts?: string[]; source?: boolean }) {
        queries.push(query.bodyStructure ? 'BODYSTRUCTURE' : query.bodyParts ? 'sections' : `BODY[] ${range}`);
        if (query.bodyStructure) for (const uid of range.split(',').map(Number)) yield { uid, bodyStructure: structure };
        else if (query.bodyParts) {
          client.usable = usableAfter;
          throw new Error('NO [SERVERBUG] cannot fetch that section');
        } else for (const uid of range.split(',').map(Number)) yield { uid, source: Buffer.from(`Content-Type: text/plain\r\n\r\nwhole ${uid}\r\n`) };
      },
    };
    return { client: client as unknown as ImapFlow, queries };
  }

  it('reads messages whole when the server refuses their sections', async () => {
    const { client, queries } = refusingServer(true);
    const bodies = await readBodies(client, folder, [4, 5]);
    expect(bodies.map((b) => b.text?.trim())).toEqual(['whole 4', 'whole 5']);
    expect(queries).toEqual(['BODYSTRUCTURE', 'sections', 'BODY[] 4,5']);
  });

  it('fails when the connection is lost, rather than trying the whole messages on it', async () => {
    const { client, queries } = refusingServer(false);
    await expect(readBodies(client, folder, [4])).rejects.toThrow(/SERVERBUG/);
    expect(queries).toEqual(['BODYSTRUCTURE', 'sections']);
  });
});
