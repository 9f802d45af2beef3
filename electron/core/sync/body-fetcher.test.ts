import { describe, expect, it } from 'vitest';
import { MessageBodySchema } from '../../../shared/contract';
import { parseBody } from './body-fetcher';

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
