import type { FetchMessageObject, MessageStructureObject } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { MAX_REFERENCES, MessageHeaderSchema } from '../../../shared/contract';
import { hasAttachments, parseHeaderFields, parseMessageIds, pickDate, storedFlags, toMessageHeader } from './header-map';

const ctx = { accountId: 'acct-alice', path: 'INBOX', uidValidity: '1700000000' };

/** Shaped as imapflow 2.10 returns it for ENVELOPE, BODYSTRUCTURE and BODY[HEADER.FIELDS (REFERENCES IN-REPLY-TO)]. */
const fixture: FetchMessageObject = {
  seq: 3,
  uid: 42,
  modseq: 1234567890123456789n,
  flags: new Set(['\\Seen', '\\Recent', '$Label1']),
  size: 5120,
  internalDate: new Date('2024-03-01T10:00:05Z'),
  envelope: {
    date: new Date('2024-03-01T09:59:00Z'),
    subject: 'Grüße aus Berlin',
    messageId: '<abc@example.test>',
    inReplyTo: '<parent@example.test>',
    from: [{ name: 'Anna Müller', address: 'anna@example.test' }],
    to: [{ name: '', address: 'alice@example.test' }, { name: 'Undisclosed' }, {}],
    cc: [{ name: 'Carol, C.', address: 'carol@example.test' }],
    replyTo: [{ name: 'Anna Müller', address: 'anna@example.test' }],
  },
  bodyStructure: {
    type: 'multipart/mixed',
    childNodes: [
      {
        part: '1',
        type: 'multipart/alternative',
        childNodes: [
          { part: '1.1', type: 'text/plain', parameters: { charset: 'utf-8' }, encoding: 'quoted-printable', size: 100 },
          { part: '1.2', type: 'text/html', parameters: { charset: 'utf-8' }, encoding: 'quoted-printable', size: 300 },
        ],
      },
      { part: '2', type: 'application/pdf', disposition: 'attachment', dispositionParameters: { filename: 'a.pdf' }, size: 2000 },
    ],
  },
  headers: Buffer.from('References: <root@example.test>\r\n <mid@example.test>\r\n\t<parent@example.test>\r\nIn-Reply-To: <parent@example.test>\r\n\r\n'),
};

describe('toMessageHeader', () => {
  it('puts In-Reply-To into References when a reply has no References (RFC 5322 3.6.4)', () => {
    const only = toMessageHeader({ ...fixture, headers: Buffer.from('In-Reply-To: <parent@example.test>\r\n\r\n') }, ctx, null);
    expect(only).toMatchObject({ inReplyTo: '<parent@example.test>', references: ['<parent@example.test>'] });
    const neither = toMessageHeader({ ...fixture, envelope: { ...fixture.envelope, inReplyTo: undefined }, headers: Buffer.from('\r\n') }, ctx, null);
    expect(neither).toMatchObject({ inReplyTo: null, references: [] });
  });

  it('maps an imapflow FETCH result to a header the contract accepts', () => {
    const h = toMessageHeader(fixture, ctx, '  Hello\n\n  there  ');
    expect(MessageHeaderSchema.parse(h)).toEqual(h);
    expect(h).toMatchObject({
      accountId: 'acct-alice',
      path: 'INBOX',
      uid: 42,
      uidValidity: '1700000000',
      modseq: '1234567890123456789',
      messageId: '<abc@example.test>',
      inReplyTo: '<parent@example.test>',
      references: ['<root@example.test>', '<mid@example.test>', '<parent@example.test>'],
      subject: 'Grüße aus Berlin',
      from: [{ name: 'Anna Müller', address: 'anna@example.test' }],
      to: [
        { name: '', address: 'alice@example.test' },
        { name: 'Undisclosed', address: '' },
      ],
      cc: [{ name: 'Carol, C.', address: 'carol@example.test' }],
      date: Date.parse('2024-03-01T09:59:00Z'),
      internalDate: Date.parse('2024-03-01T10:00:05Z'),
      size: 5120,
      flags: ['$Label1', '\\Seen'],
      hasAttachments: true,
      preview: 'Hello there',
    });
  });

  it('copes with a message that has almost nothing', () => {
    const h = toMessageHeader({ seq: 1, uid: 1 }, ctx, null);
    expect(MessageHeaderSchema.parse(h)).toEqual(h);
    expect(h).toMatchObject({ subject: '', from: [], references: [], messageId: null, inReplyTo: null, date: 0, hasAttachments: false, preview: '' });
  });

  it('takes In-Reply-To from the header when the envelope has none, and clips huge values', () => {
    const refs = Array.from({ length: 600 }, (_, i) => `<r${i}@x>`).join(' ');
    const h = toMessageHeader(
      { seq: 1, uid: 2, envelope: { subject: 'x'.repeat(20_000) }, headers: Buffer.from(`In-Reply-To: <p@x>\r\nReferences: ${refs}\r\n`) },
      ctx,
      null,
    );
    expect(h.inReplyTo).toBe('<p@x>');
    // A deep thread: its root and nearest ancestors, each an entry of the conversation index.
    expect(h.references).toHaveLength(MAX_REFERENCES);
    expect(h.references[0]).toBe('<r0@x>');
    expect(h.references.slice(1)).toEqual(Array.from({ length: MAX_REFERENCES - 1 }, (_, i) => `<r${600 - MAX_REFERENCES + 1 + i}@x>`));
    expect(h.subject).toHaveLength(10_000);
    expect(MessageHeaderSchema.safeParse(h).success).toBe(true);
  });
});

describe('pieces', () => {
  it('parses Message-IDs and header fields', () => {
    expect(parseMessageIds('<a@x> junk <b@y>\t<a@x>')).toEqual(['<a@x>', '<b@y>']);
    expect(parseHeaderFields(Buffer.from('References: <a@x>\r\n <b@x>\r\nIn-Reply-To: <b@x>\r\n')).get('references')).toBe('<a@x> <b@x>');
  });

  it('falls back to the internal date for a missing or absurd Date header', () => {
    const internal = Date.parse('2024-03-01T10:00:00Z');
    expect(pickDate(undefined, internal)).toBe(internal);
    expect(pickDate('not a date', internal)).toBe(internal);
    expect(pickDate(new Date('1970-01-01T00:00:00Z'), internal)).toBe(internal);
    expect(pickDate(new Date('2099-01-01T00:00:00Z'), internal)).toBe(internal);
    // An old message imported today keeps its own date.
    expect(pickDate(new Date('2005-06-01T00:00:00Z'), internal)).toBe(Date.parse('2005-06-01T00:00:00Z'));
    // Clocks a little ahead are fine.
    expect(pickDate(new Date(internal + 3600_000), internal)).toBe(internal + 3600_000);
  });

  it('drops \\Recent and sorts flags', () => {
    expect(storedFlags(new Set(['\\Recent', '\\Seen', '\\Answered']))).toEqual(['\\Answered', '\\Seen']);
    expect(storedFlags(undefined)).toEqual([]);
  });
});

describe('hasAttachments', () => {
  const leaf = (type: string, extra: Partial<MessageStructureObject> = {}): MessageStructureObject => ({ type, ...extra });
  it('sees attached files, not bodies, inline images of HTML or signatures', () => {
    expect(hasAttachments(leaf('text/plain'))).toBe(false);
    expect(hasAttachments(leaf('text/html'))).toBe(false);
    expect(hasAttachments(leaf('application/pdf'))).toBe(true);
    expect(hasAttachments({ type: 'multipart/alternative', childNodes: [leaf('text/plain'), leaf('text/html')] })).toBe(false);
    expect(
      hasAttachments({
        type: 'multipart/related',
        childNodes: [leaf('text/html'), leaf('image/png', { id: '<logo@x>', disposition: 'inline' })],
      }),
    ).toBe(false);
    expect(hasAttachments({ type: 'multipart/signed', childNodes: [leaf('text/plain'), leaf('application/pgp-signature')] })).toBe(false);
    expect(hasAttachments({ type: 'multipart/mixed', childNodes: [leaf('text/plain'), leaf('image/jpeg')] })).toBe(true);
    expect(hasAttachments({ type: 'multipart/mixed', childNodes: [leaf('text/plain'), leaf('message/rfc822')] })).toBe(true);
    expect(
      hasAttachments({ type: 'multipart/mixed', childNodes: [leaf('text/plain'), leaf('text/plain', { disposition: 'attachment', dispositionParameters: { filename: 'notes.txt' } })] }),
    ).toBe(true);
    expect(hasAttachments(undefined)).toBe(false);
  });
});
