import { describe, expect, it } from 'vitest';
import { collapsePreview, htmlToText, pickPreviewPart, previewFromPart, stripQuotes } from './preview';

describe('preview', () => {
  it('collapses whitespace and cuts at 200 characters without splitting a character', () => {
    expect(collapsePreview('  a\r\n\tb\u00a0 c\u200b ')).toBe('a b c');
    const long = '😀'.repeat(300);
    expect(Array.from(collapsePreview(long))).toHaveLength(200);
    expect(collapsePreview(long).endsWith('😀')).toBe(true);
  });

  it('gives what collapsing every whitespace run gives, also when it skips the work', () => {
    const reference = (s: string) => {
      const c = s.replace(/[\s\u200b-\u200d]+/g, ' ').trim();
      const chars = Array.from(c);
      return chars.length <= 200 ? c : chars.slice(0, 200).join('').trimEnd();
    };
    let seed = 3;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pieces = ['a', 'word', ' ', ' ', '  ', '\t', '\n', '\u00a0', '\u200b', '\u2028', '\ufeff', 'é', '😀'];
    for (let k = 0; k < 5000; k++) {
      const s = Array.from({ length: Math.floor(rand() * 60) }, () => pieces[Math.floor(rand() * pieces.length)]).join('');
      expect(collapsePreview(s), JSON.stringify(s)).toBe(reference(s));
    }
    expect(collapsePreview(' already collapsed text ')).toBe('already collapsed text');
  });

  it('picks the first text/plain, else the first text/html, never an attached file', () => {
    expect(pickPreviewPart({ type: 'text/plain', encoding: 'base64', parameters: { charset: 'ISO-8859-1' } })).toEqual({
      part: '1',
      html: false,
      encoding: 'base64',
      charset: 'ISO-8859-1',
    });
    expect(
      pickPreviewPart({
        type: 'multipart/mixed',
        childNodes: [
          { part: '1', type: 'multipart/related', childNodes: [{ part: '1.1', type: 'text/html' }, { part: '1.2', type: 'image/png' }] },
          { part: '2', type: 'text/plain', disposition: 'attachment', dispositionParameters: { filename: 'x.txt' } },
        ],
      }),
    ).toMatchObject({ part: '1.1', html: true });
    expect(pickPreviewPart({ type: 'multipart/alternative', childNodes: [{ part: '1', type: 'text/html' }, { part: '2', type: 'text/plain' }] })).toMatchObject({
      part: '2',
      html: false,
    });
    expect(pickPreviewPart({ type: 'application/pdf' })).toBeNull();
    expect(pickPreviewPart(undefined)).toBeNull();
  });

  it('decodes partial base64 and quoted-printable in any charset', () => {
    const b64 = Buffer.from(Buffer.from('Grüße, wie geht es?').toString('base64').slice(0, 18));
    expect(previewFromPart(b64, { part: '1', html: false, encoding: 'base64', charset: 'utf-8' })).toBe('Grüße, wie');
    const qp = Buffer.from('Caf=E9 au lait, tr=E8s bon=\r\n! Et puis =C');
    expect(previewFromPart(qp, { part: '1', html: false, encoding: 'quoted-printable', charset: 'iso-8859-1' })).toBe('Café au lait, très bon! Et puis');
    // A UTF-8 character cut in half by the partial fetch disappears instead of showing as garbage.
    const cut = Buffer.from('abc€').subarray(0, 5);
    expect(previewFromPart(cut, { part: '1', html: false, encoding: '8bit', charset: 'utf-8' })).toBe('abc');
    expect(previewFromPart(Buffer.from('x'), { part: '1', html: false, encoding: '7bit', charset: 'no-such-charset' })).toBe('x');
  });

  it('turns HTML into its visible text, even cut off', () => {
    expect(htmlToText('<html><head><title>T</title><style>p{color:red}</style></head><body><p>Hi&nbsp;<b>there</b> &amp; &#x263A; &#9731;</p><!-- c --></body>')).toMatch(
      /^\s*Hi there & ☺ ☃\s*$/,
    );
    expect(collapsePreview(htmlToText('<p>Visible</p><style>a{b:c'))).toBe('Visible');
    expect(previewFromPart(Buffer.from('<div>Hello <a href="x">you</a></div>'), { part: '1', html: true, encoding: '7bit', charset: 'utf-8' })).toBe('Hello you');
  });

  it('leaves out quoted text', () => {
    expect(stripQuotes('Sounds good.\n\nOn Mon, Bob wrote:\n> earlier\n> text\n')).toBe('Sounds good.');
  });
});
