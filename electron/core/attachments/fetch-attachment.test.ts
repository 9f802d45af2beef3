import type { MessageStructureObject } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { decodedAtLeast, planPart } from './fetch-attachment';

const leaf = (part: string | undefined, type: string, extra: Partial<MessageStructureObject> = {}): MessageStructureObject => ({
  ...(part ? { part } : {}),
  type,
  ...extra,
});

// multipart/mixed: 1 text, 2 a file, 3 a forwarded message (with 3.1 text and 3.2 a file inside).
const mixed: MessageStructureObject = {
  type: 'multipart/mixed',
  childNodes: [
    leaf('1', 'text/plain'),
    leaf('2', 'application/pdf', { encoding: 'base64', size: 1000 }),
    {
      part: '3',
      type: 'message/rfc822',
      childNodes: [{ part: '3', type: 'multipart/mixed', childNodes: [leaf('3.1', 'text/plain'), leaf('3.2', 'image/png')] }],
    },
  ],
};

describe('planPart', () => {
  it('fetches ordinary leaf parts by their IMAP number', () => {
    expect(planPart(mixed, '2')).toMatchObject({ kind: 'part', node: { type: 'application/pdf' } });
    expect(planPart(mixed, '3.2')).toMatchObject({ kind: 'part', node: { type: 'image/png' } });
  });

  it('takes the body of a single-part message as part 1', () => {
    const single = leaf(undefined, 'application/pdf');
    expect(planPart(single, '1')).toEqual({ kind: 'part', node: single });
    expect(planPart(single, '2')).toEqual({ kind: 'missing' });
  });

  it('parses the whole message for embedded messages and idx: markers', () => {
    expect(planPart(mixed, '3')).toMatchObject({ kind: 'parse' });
    expect(planPart(mixed, 'idx:2')).toMatchObject({ kind: 'parse' });
    expect(planPart(undefined, '2')).toMatchObject({ kind: 'parse' });
  });

  it('refuses what is not an attachment part', () => {
    expect(planPart(mixed, '4')).toEqual({ kind: 'missing' });
    expect(planPart(mixed, '0')).toEqual({ kind: 'missing' });
    expect(planPart(mixed, '1.MIME')).toEqual({ kind: 'missing' });
    expect(planPart(mixed, '../etc')).toEqual({ kind: 'missing' });
    const nested: MessageStructureObject = { type: 'multipart/mixed', childNodes: [{ part: '1', type: 'multipart/alternative', childNodes: [] }] };
    expect(planPart(nested, '1')).toEqual({ kind: 'missing' });
  });
});

describe('decodedAtLeast', () => {
  it('never overestimates the decoded size', () => {
    // 1000 bytes base64 in 76-character lines with CRLF.
    const encoded = Buffer.alloc(1000).toString('base64').replace(/.{76}/g, '$&\r\n');
    expect(decodedAtLeast(leaf('2', 'x/y', { encoding: 'base64', size: encoded.length }))).toBeLessThanOrEqual(1000);
    expect(decodedAtLeast(leaf('2', 'x/y', { encoding: 'quoted-printable', size: 300 }))).toBe(100);
    expect(decodedAtLeast(leaf('2', 'x/y', { encoding: '7bit', size: 300 }))).toBe(300);
  });
});
