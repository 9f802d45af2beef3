import { describe, expect, it } from 'vitest';
import { FetchResponses, previewAttribute } from './fetch-headers';

describe('previewAttribute', () => {
  const response = (items: unknown[]) => ({ tag: '*', command: '12', attributes: [{ type: 'ATOM', value: 'FETCH' }, items] }) as never;

  it('reads PREVIEW (RFC 8970) as a quoted string, a literal or NIL', () => {
    expect(previewAttribute(response([{ type: 'ATOM', value: 'UID' }, { type: 'ATOM', value: '4' }, { type: 'ATOM', value: 'PREVIEW' }, { type: 'STRING', value: 'Hello' }]))).toBe('Hello');
    expect(previewAttribute(response([{ type: 'ATOM', value: 'preview' }, { type: 'LITERAL', value: Buffer.from('Grüße') }]))).toBe('Grüße');
    expect(previewAttribute(response([{ type: 'ATOM', value: 'PREVIEW' }, null]))).toBeNull();
    expect(previewAttribute(response([{ type: 'ATOM', value: 'UID' }, { type: 'ATOM', value: '4' }]))).toBeNull();
    expect(previewAttribute({ tag: '*' } as never)).toBeNull();
  });
});

describe('FetchResponses', () => {
  const ctx = { accountId: 'a1', path: 'INBOX', uidValidity: '7' };
  const header = (uid: number, flags: string[], modseq: bigint) =>
    ({
      uid,
      seq: uid,
      flags: new Set(flags),
      modseq,
      envelope: { subject: `Message ${uid}`, from: [{ name: 'Ann', address: 'ann@example.test' }], date: new Date('2026-11-01T10:00:00Z') },
      internalDate: new Date('2026-11-01T10:00:05Z'),
      size: 1200,
    }) as never;
  // What another client's change looks like in the middle of our answer (RFC 3501 7.4.2).
  const update = (uid: number, flags: string[], modseq: bigint) => ({ uid, seq: uid, flags: new Set(flags), modseq }) as never;

  it('keeps a flag update for a message outside the answer apart from the headers, instead of an empty header', () => {
    const r = new FetchResponses();
    r.add(header(5, [], 10n), ctx, 'Hi');
    r.add(update(3, ['\\Seen'], 12n), ctx, null);
    const { headers, flags } = r.result();
    expect(headers.map((h) => [h.uid, h.subject])).toEqual([[5, 'Message 5']]);
    expect(flags).toEqual([{ uid: 3, flags: ['\\Seen'], modseq: '12' }]);
  });

  it('merges an update that follows its header into it, and lets a header supersede an earlier update', () => {
    const r = new FetchResponses();
    r.add(update(4, ['\\Flagged'], 11n), ctx, null);
    r.add(header(4, ['\\Flagged', '\\Seen'], 13n), ctx, null);
    r.add(header(5, [], 10n), ctx, null);
    r.add(update(5, ['\\Recent', '\\Seen'], 14n), ctx, null);
    const { headers, flags } = r.result();
    expect(flags).toEqual([]);
    expect(headers.map((h) => [h.uid, h.flags, h.modseq, h.subject])).toEqual([
      [4, ['\\Flagged', '\\Seen'], '13', 'Message 4'],
      [5, ['\\Seen'], '14', 'Message 5'],
    ]);
  });

  it('keeps the last of several updates for one message, and ignores responses without a UID or flags', () => {
    const r = new FetchResponses();
    r.add(update(3, ['\\Seen'], 12n), ctx, null);
    r.add(update(3, [], 15n), ctx, null);
    r.add({ seq: 9, flags: new Set(['\\Seen']) } as never, ctx, null);
    r.add({ uid: 8, seq: 8 } as never, ctx, null);
    expect(r.result()).toEqual({ headers: [], flags: [{ uid: 3, flags: [], modseq: '15' }] });
  });
});
