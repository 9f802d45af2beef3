// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Account, MessageBody } from '../../../../shared/contract';
import { PetrelError } from '../../../../shared/errors';
import { applyBatch } from '../../db/apply-deltas';
import type { PetrelDb } from '../../db/schema';
import { A, batch, foldersDelta, header, newDb, upsert } from '../../db/test-fixtures';
import { replaceSignature, sanitizeEditorHtml } from './editor-html';
import { signatureHtml } from './respond';
import { quotable, respondContent, type RespondEngine } from './respond-loader';

const account: Account = {
  id: A,
  label: 'Me',
  name: 'Me',
  email: 'me@example.test',
  auth: { method: 'password' },
  imap: { host: 'imap.example.test', port: 993, security: 'tls', username: 'me' },
  smtp: { host: 'smtp.example.test', port: 587, security: 'starttls', username: 'me' },
  pins: [],
  color: '#336699',
  order: 0,
  identities: [
    { id: 'main', name: 'Me', email: 'me@example.test', signature: 'Me' },
    { id: 'alias', name: 'Me too', email: 'alias@example.test', signature: 'Alias sig' },
  ],
  separateSmtpPassword: false,
  createdAt: 0,
};

describe('respondContent', () => {
  let db: PetrelDb;
  afterEach(async () => {
    await db?.delete();
  });

  async function setUp() {
    db = newDb();
    await applyBatch(db, batch(1, foldersDelta(A, ['INBOX', 'Sent'])));
    await db.folders.update([A, 'Sent'], { specialUse: 'sent' });
    await applyBatch(
      db,
      batch(
        2,
        upsert(A, 'INBOX', [
          {
            ...header(A, 'INBOX', 5, { subject: 'RE: Plans' }),
            from: [{ name: 'Ann', address: 'ann@example.test' }],
            to: [{ name: '', address: 'alias@example.test' }],
            references: ['<r1@example.test>'],
            hasAttachments: true,
          },
        ]),
        upsert(A, 'Sent', [{ ...header(A, 'Sent', 9, { subject: 'Mine' }), from: [{ name: '', address: 'me@example.test' }], to: [{ name: 'Zoe', address: 'zoe@example.test' }] }]),
      ),
    );
  }

  function engine(body: Partial<MessageBody> = {}) {
    const calls: string[] = [];
    const e: RespondEngine = {
      call: (async (method: string, params: { uid: number; partId?: string }) => {
        calls.push(`${method}${params.partId ? `:${params.partId}` : ''}`);
        if (method === 'messages.body') {
          return { accountId: A, path: 'INBOX', uidValidity: '1', uid: params.uid, html: '<p>Hi <img src="https://x.example/t.gif"></p>', text: 'Hi', attachments: [], ...body };
        }
        if (method === 'messages.attachment') return { filename: 'a.pdf', contentType: 'application/pdf; name=a.pdf', size: 3, contentBase64: 'YWJj' };
        if (method === 'messages.raw') return { size: 3, contentBase64: 'eHl6' };
        throw new Error(method);
      }) as RespondEngine['call'],
    };
    return { e, calls };
  }

  it('a reply: from the identity it was addressed to, with its signature, quoted, threaded; the body cached', async () => {
    await setUp();
    const { e, calls } = engine();
    const c = await respondContent('reply', [A, 'INBOX', 5], { db, engine: e, accounts: [account], locale: 'en-GB' });
    expect(c).toMatchObject({
      accountId: A,
      identityId: 'alias',
      to: 'Ann <ann@example.test>',
      cc: '',
      subject: 'Re: Plans',
      inReplyTo: `<${A}.INBOX.5@example.test>`,
      references: ['<r1@example.test>', `<${A}.INBOX.5@example.test>`],
      respondsTo: { accountId: A, path: 'INBOX', uidValidity: '1', uid: 5, mark: 'answered' },
    });
    expect(c.html).toContain('Alias sig');
    expect(c.html).toContain('<blockquote><p>Hi </p></blockquote>');
    expect(c.html).not.toContain('x.example');
    // Fetched once, then from the cache.
    await respondContent('replyAll', [A, 'INBOX', 5], { db, engine: e, accounts: [account] });
    expect(calls).toEqual(['messages.body']);
  });

  it('a reply to my own sent message goes to its recipients', async () => {
    await setUp();
    const c = await respondContent('reply', [A, 'Sent', 9], { db, engine: engine().e, accounts: [account] });
    expect(c.to).toBe('Zoe <zoe@example.test>');
  });

  it('a forward carries the attachments fetched again; forward as attachment the raw message', async () => {
    await setUp();
    const { e, calls } = engine({
      attachments: [
        { partId: '2', filename: 'a.pdf', contentType: 'application/pdf', size: 3, contentId: null, inline: false },
        { partId: '3', filename: 'logo.png', contentType: 'image/png', size: 10, contentId: '<logo>', inline: true },
      ],
    });
    const fwd = await respondContent('forward', [A, 'INBOX', 5], { db, engine: e, accounts: [account] });
    expect(fwd.to).toBeUndefined();
    expect(fwd).toMatchObject({ subject: 'Fwd: RE: Plans', respondsTo: { uid: 5, mark: 'forwarded' } });
    expect(fwd.attachments?.map((a) => [a.filename, a.contentType, a.contentBase64])).toEqual([['a.pdf', 'application/pdf', 'YWJj']]);
    expect(calls).toEqual(['messages.body', 'messages.attachment:2']);
    const asAttachment = await respondContent('forwardAsAttachment', [A, 'INBOX', 5], { db, engine: e, accounts: [account] });
    expect(asAttachment.attachments?.map((a) => [a.filename, a.contentType, a.contentBase64])).toEqual([['RE Plans.eml', 'message/rfc822', 'eHl6']]);
    expect(asAttachment.text).toBe('\n-- \nAlias sig');
  });

  it('offline with the body not cached, a reply opens without the quote; a forward cannot', async () => {
    await setUp();
    const offline: RespondEngine = {
      call: (async () => {
        throw new PetrelError('DISCONNECTED', 'Lost the connection to the Petrel engine.');
      }) as RespondEngine['call'],
    };
    const c = await respondContent('reply', [A, 'INBOX', 5], { db, engine: offline, accounts: [account] });
    expect(c).toMatchObject({ unquoted: true, to: 'Ann <ann@example.test>', subject: 'Re: Plans', inReplyTo: `<${A}.INBOX.5@example.test>` });
    expect(c.html).not.toContain('blockquote');
    await expect(respondContent('forward', [A, 'INBOX', 5], { db, engine: offline, accounts: [account] })).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('a message no longer cached is a clear error', async () => {
    await setUp();
    await expect(respondContent('reply', [A, 'INBOX', 77], { db, engine: engine().e, accounts: [account] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('quotable', () => {
  it('takes nothing active and nothing remote from the original into the editor', () => {
    const q = quotable({
      html:
        '<p onclick="x()">Hi <b>Bob</b></p><img src="https://tracker.example/p.gif"><script>alert(1)</script>' +
        '<div style="background:url(https://x.example/a.png)">styled</div><a href="javascript:alert(1)">link</a><iframe src="https://x.example"></iframe>',
      text: null,
    });
    expect(q.html).toContain('<b>Bob</b>');
    expect(q.html).not.toMatch(/<img|<script|onclick|javascript:|<iframe|url\(|https:\/\/tracker/i);
    expect(q.text).toContain('Hi Bob');
    expect(q.text).toContain('styled');
  });

  it('keeps a plain-text body as text', () => {
    expect(quotable({ html: null, text: 'line 1\nline 2' })).toEqual({ html: null, text: 'line 1\nline 2' });
  });
});

describe('replaceSignature', () => {
  const editor = (html: string) => {
    const el = document.createElement('div');
    el.innerHTML = sanitizeEditorHtml(html);
    return el;
  };

  it('survives the editor sanitizer and is replaced, not stacked, when the sender changes', () => {
    const el = editor(`<div>Hello</div>${signatureHtml('Old sig')}<div data-petrel-quote="">On …, Ann wrote:</div><blockquote>q</blockquote>`);
    replaceSignature(el, signatureHtml('New sig\nline 2'));
    expect(el.querySelectorAll('[data-petrel-signature]')).toHaveLength(1);
    expect(el.innerHTML).not.toContain('Old sig');
    expect(el.innerHTML).toContain('-- <br>New sig<br>line 2');
    replaceSignature(el, '');
    expect(el.querySelectorAll('[data-petrel-signature]')).toHaveLength(0);
    expect(el.textContent).toContain('Hello');
  });

  it('with no signature yet, puts it above the quote, else at the end', () => {
    const reply = editor('<div>Hi</div><div data-petrel-quote="">On …, Ann wrote:</div><blockquote>q</blockquote>');
    replaceSignature(reply, signatureHtml('Sig'));
    expect(reply.innerHTML.indexOf('Sig')).toBeLessThan(reply.innerHTML.indexOf('Ann wrote'));
    const plain = editor('<div>Hi</div>');
    replaceSignature(plain, signatureHtml('Sig'));
    expect(plain.lastElementChild?.textContent).toBe('-- Sig');
  });
});
