// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { replaceSignature, sanitizeEditorHtml } from './editor-html';
import { signatureHtml } from './respond';
import { quotable } from './respond-loader';

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
