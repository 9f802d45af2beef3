import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { ComposeInputSchema, type ComposeInputIn } from '../../../shared/contract';
import { buildMessage, messageIdOf, newMessageId } from './compose';

const from = { name: 'Alice Example', address: 'alice@example.test' };

function input(o: Partial<ComposeInputIn> = {}) {
  return ComposeInputSchema.parse({
    accountId: 'acct-alice',
    identityId: 'main',
    to: [{ name: 'Bob', address: 'bob@example.test' }],
    subject: 'Hello',
    text: 'Hi Bob,\r\nsee you.',
    ...o,
  });
}

describe('building a message', () => {
  it('has From, To, Cc, Subject, Date, our Message-ID, and no Bcc header; Bcc is in the envelope', async () => {
    const date = new Date('2030-01-02T03:04:05Z');
    const built = await buildMessage(
      input({ cc: [{ name: '', address: 'carol@example.test' }], bcc: [{ name: 'Dan', address: 'dan@example.test' }] }),
      from,
      { date },
    );
    expect(built.messageId).toMatch(/^<[A-Za-z0-9_-]{24}@example\.test>$/);
    expect(messageIdOf(built.raw)).toBe(built.messageId);
    expect(built.envelope).toEqual({ from: 'alice@example.test', to: ['bob@example.test', 'carol@example.test', 'dan@example.test'] });
    expect(built.date).toBe(date.getTime());
    const head = built.raw.toString('latin1').split('\r\n\r\n')[0]!;
    expect(head).not.toMatch(/^bcc:/im);
    expect(head).toMatch(/^Date: Wed, 02 Jan 2030 03:04:05 \+0000$/m);
    expect(head).not.toMatch(/^X-Mailer:/im);
    const parsed = await simpleParser(built.raw);
    expect(parsed.from?.value).toEqual([{ name: 'Alice Example', address: 'alice@example.test' }]);
    expect(parsed.subject).toBe('Hello');
    expect(parsed.messageId).toBe(built.messageId);
    expect(parsed.text?.trim()).toBe('Hi Bob,\nsee you.');
    expect(parsed.bcc).toBeUndefined();
  });

  it('keeps Bcc in a draft, and a draft may have no recipients', async () => {
    const built = await buildMessage(input({ to: [], bcc: [{ name: '', address: 'dan@example.test' }] }), from, { draft: true });
    expect(built.raw.toString('latin1')).toMatch(/^Bcc: dan@example\.test$/m);
    await expect(buildMessage(input({ to: [] }), from)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('encodes a non-ASCII subject and names as RFC 2047 encoded words, and decodes back', async () => {
    const subject = 'Grüße aus Köln – 日本語のテスト, a rather long subject line that must be folded somewhere';
    const built = await buildMessage(input({ subject, to: [{ name: 'Zoë Ünal', address: 'zoe@example.test' }] }), from);
    const head = built.raw.toString('latin1').split('\r\n\r\n')[0]!;
    expect(head).toMatch(/^Subject: =\?UTF-8\?[QB]\?/m);
    expect(head).toMatch(/^To: =\?UTF-8\?[QB]\?/m);
    // Header lines stay within 78 characters (RFC 5322 2.1.1), folded where needed.
    for (const line of head.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect([...head].every((ch) => ch.charCodeAt(0) < 128)).toBe(true);
    const parsed = await simpleParser(built.raw);
    expect(parsed.subject).toBe(subject);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0] : undefined).toMatchObject({ name: 'Zoë Ünal' });
  });

  it('sends html with a plain-text alternative made from it', async () => {
    const html = '<p>Hello <b>Bob</b>,</p><ul><li>one</li><li>two &amp; three</li></ul><p><a href="https://example.test/x">the link</a></p>';
    const built = await buildMessage(input({ text: '', html }), from);
    const raw = built.raw.toString('latin1');
    expect(raw).toMatch(/Content-Type: multipart\/alternative/);
    const parsed = await simpleParser(built.raw);
    expect(parsed.html).toContain('<b>Bob</b>');
    expect(parsed.text?.trim()).toBe('Hello Bob,\n\n- one\n- two & three\n\nthe link (https://example.test/x)');
  });

  it('attaches files byte for byte with their names and types', async () => {
    const bin = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    const built = await buildMessage(
      input({
        attachments: [
          { filename: 'data.bin', contentType: 'application/octet-stream', contentBase64: bin.toString('base64') },
          { filename: 'Übersicht.txt', contentType: 'text/plain', contentBase64: Buffer.from('größe\n').toString('base64') },
        ],
      }),
      from,
    );
    expect(built.raw.toString('latin1')).toMatch(/Content-Type: multipart\/mixed/);
    const parsed = await simpleParser(built.raw);
    expect(parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['data.bin', 'application/octet-stream'],
      ['Übersicht.txt', 'text/plain'],
    ]);
    expect(Buffer.compare(parsed.attachments[0]!.content, bin)).toBe(0);
    expect(parsed.attachments[1]!.content.toString('utf8')).toBe('größe\n');
  });

  it('attaches a forwarded message as a message/rfc822 attachment, not as inline text', async () => {
    const inner = Buffer.from('From: ann@example.test\r\nTo: bob@example.test\r\nSubject: Inner\r\nMessage-ID: <inner@example.test>\r\n\r\nhello\r\n');
    const built = await buildMessage(
      input({ attachments: [{ filename: 'Inner.eml', contentType: 'message/rfc822', contentBase64: inner.toString('base64') }] }),
      from,
    );
    const head = built.raw.toString('latin1');
    // RFC 2046 5.2.1: no base64 for message/rfc822.
    expect(head).toMatch(/Content-Type: message\/rfc822[^]*?Content-Transfer-Encoding: 7bit\r\nContent-Disposition: attachment/);
    const parsed = await simpleParser(built.raw);
    expect(parsed.attachments.map((a) => [a.contentType, a.filename])).toEqual([['message/rfc822', 'Inner.eml']]);
    expect(parsed.attachments[0]!.content.equals(inner)).toBe(true);
    expect(parsed.text?.trim()).toBe('Hi Bob,\nsee you.');
  });

  it('refuses attachments over the limit before building', async () => {
    // Each one is within the contract's limit, together they are not.
    const half = Buffer.alloc(13 * 1024 * 1024).toString('base64');
    const file = (filename: string) => ({ filename, contentType: 'application/octet-stream', contentBase64: half });
    await expect(buildMessage(input({ attachments: [file('a.bin'), file('b.bin')] }), from)).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      message: expect.stringMatching(/26\.0 MB.*25\.0 MB/),
    });
  });

  it('adds In-Reply-To and References for replies', async () => {
    const built = await buildMessage(input({ inReplyTo: '<a@x.test>', references: ['<root@x.test>', '<a@x.test>'] }), from);
    const parsed = await simpleParser(built.raw);
    expect(parsed.inReplyTo).toBe('<a@x.test>');
    expect(parsed.references).toEqual(['<root@x.test>', '<a@x.test>']);
  });

  it('makes a new random Message-ID each time, on the punycoded sender domain', () => {
    const a = newMessageId('me@example.test');
    expect(a).not.toBe(newMessageId('me@example.test'));
    expect(newMessageId('me@bücher.example')).toMatch(/@xn--bcher-kva\.example>$/);
  });

  it('reads the Message-ID from the header block only, folded or not', () => {
    expect(messageIdOf(Buffer.from('Subject: x\r\nMessage-ID:\r\n <a@b.test>\r\n\r\nMessage-ID: <c@d.test>\r\n'))).toBe('<a@b.test>');
    expect(messageIdOf(Buffer.from('Subject: x\r\n\r\nMessage-ID: <c@d.test>\r\n'))).toBeNull();
  });
});
