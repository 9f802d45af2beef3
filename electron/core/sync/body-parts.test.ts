import type { MessageStructureObject } from 'imapflow';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { assembleMessage, estimatedDecodedSize, planBody, PRUNE_MIN_BYTES, type BodyPlan } from './body-parts';

const leaf = (part: string, type: string, extra: Partial<MessageStructureObject> = {}): MessageStructureObject => ({ part, type, size: 100, ...extra });
const multipart = (part: string | undefined, type: string, childNodes: MessageStructureObject[], boundary = `b${part ?? 0}`): MessageStructureObject => ({
  ...(part ? { part } : {}),
  type,
  parameters: { boundary },
  childNodes,
});
const big = { size: 40_000, encoding: 'base64' };

describe('planBody', () => {
  it('reads single-part, small, embedded and odd messages whole', () => {
    expect(planBody(undefined)).toMatchObject({ kind: 'whole', why: 'no BODYSTRUCTURE' });
    expect(planBody({ type: 'text/plain', size: 1e6 })).toMatchObject({ kind: 'whole', why: 'single part' });
    expect(planBody({ type: 'application/pdf', size: 2000 })).toMatchObject({ kind: 'whole', why: 'single part' });
    expect(planBody({ type: 'message/rfc822', size: 1e6 })).toMatchObject({ kind: 'whole', why: 'single part' });
    expect(planBody(multipart(undefined, 'multipart/mixed', [leaf('1', 'text/plain'), leaf('2', 'application/pdf', { size: PRUNE_MIN_BYTES - 200 })]))).toMatchObject({
      kind: 'whole',
      why: 'small attachments',
    });
    expect(planBody(multipart(undefined, 'multipart/mixed', [leaf('1', 'text/plain'), leaf('2', 'message/rfc822', big)]))).toMatchObject({
      kind: 'whole',
      why: 'an embedded message',
    });
    const noBoundary = multipart(undefined, 'multipart/mixed', [leaf('1', 'text/plain'), leaf('2', 'application/pdf', big)]);
    delete noBoundary.parameters;
    expect(planBody(noBoundary)).toMatchObject({ kind: 'whole', why: 'a multipart without a boundary' });
    expect(planBody(multipart(undefined, 'multipart/mixed', [leaf('1', 'text/plain'), { type: 'application/pdf', ...big }]))).toMatchObject({
      kind: 'whole',
      why: 'a part without a number',
    });
  });

  it('leaves out attachments the way mailparser tells them from text, keeping images the HTML shows', () => {
    const plan = planBody(
      multipart(undefined, 'multipart/mixed', [
        multipart('1', 'multipart/related', [
          multipart('1.1', 'multipart/alternative', [leaf('1.1.1', 'text/plain'), leaf('1.1.2', 'text/html')]),
          leaf('1.2', 'image/png', { ...big, id: '<logo@x>' }),
        ]),
        leaf('2', 'application/pdf', big),
        leaf('3', 'text/plain', { disposition: 'attachment', size: 3000 }),
        leaf('4', 'text/html', { disposition: 'inline' }),
        leaf('5', 'message/delivery-status'),
        leaf('6', 'text/calendar', { size: 900 }),
      ]),
    ) as Extract<BodyPlan, { kind: 'parts' }>;
    expect(plan.kind).toBe('parts');
    expect(plan.sections).toEqual(
      ['1.MIME', '1.1.MIME', '1.1.1.MIME', '1.1.1', '1.1.2.MIME', '1.1.2', '1.2.MIME', '1.2', '2.MIME', '3.MIME', '4.MIME', '4', '5.MIME', '5', '6.MIME'].sort(),
    );
    expect([...plan.pruned]).toEqual([
      ['2', estimatedDecodedSize(leaf('2', 'application/pdf', big))],
      ['3', 3000],
      ['6', 900],
    ]);
  });

  it('reads a message that is one big file as its header alone', () => {
    const plan = planBody({ type: 'application/pdf', size: 78_000, encoding: 'base64' });
    expect(plan).toMatchObject({ kind: 'parts', sections: [] });
    expect([...(plan as Extract<BodyPlan, { kind: 'parts' }>).pruned]).toEqual([['1', 57_000]]);
  });

  it('estimates a base64 part at 57 bytes per 78-byte line', () => {
    expect(estimatedDecodedSize(leaf('2', 'x/y', { size: 78 * 100, encoding: 'BASE64' }))).toBe(5700);
    expect(estimatedDecodedSize(leaf('2', 'x/y', { size: 1234, encoding: '7bit' }))).toBe(1234);
  });
});

describe('assembleMessage', () => {
  const root = multipart(undefined, 'multipart/mixed', [leaf('1', 'text/plain'), leaf('2', 'application/pdf', big)], 'zz');
  const plan = planBody(root) as Extract<BodyPlan, { kind: 'parts' }>;
  const sections: Record<string, string> = {
    '1.MIME': 'Content-Type: text/plain; charset=utf-8\r\n\r\n',
    '1': 'Hello there.',
    // A server that leaves off the blank line after a part's header.
    '2.MIME': 'Content-Type: application/pdf; name="a.pdf"\r\nContent-Disposition: attachment; filename="a.pdf"\r\nContent-Transfer-Encoding: base64',
  };
  const get = (key: string) => (key in sections ? Buffer.from(sections[key]!) : undefined);
  const header = Buffer.from('Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="zz"\r\n\r\n');

  it('rebuilds the tree with the attachment left empty, which mailparser reads as the original', async () => {
    const raw = assembleMessage(plan, header, get)!;
    expect(raw.toString()).toContain('--zz\r\nContent-Type: application/pdf; name="a.pdf"\r\nContent-Disposition: attachment; filename="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n\r\n--zz--');
    const parsed = await simpleParser(raw);
    expect(parsed.text?.trim()).toBe('Hello there.');
    expect(parsed.attachments.map((a) => [a.partId, a.filename, a.size])).toEqual([['2', 'a.pdf', 0]]);
  });

  it('gives up when the header does not name the boundary BODYSTRUCTURE gave', () => {
    expect(assembleMessage(plan, Buffer.from('Subject: s\r\nContent-Type: multipart/mixed; boundary="other"\r\n\r\n'), get)).toBeNull();
  });

  it('gives up when the server left out a section or the header', () => {
    expect(assembleMessage(plan, header, (key) => (key === '1' ? undefined : get(key)))).toBeNull();
    expect(assembleMessage(plan, header, (key) => (key === '2.MIME' ? undefined : get(key)))).toBeNull();
    expect(assembleMessage(plan, undefined, get)).toBeNull();
  });
});
