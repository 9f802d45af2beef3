import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText } from './html-to-text';

describe('html to text', () => {
  it('keeps paragraphs and line breaks, collapses whitespace', () => {
    expect(htmlToText('<p>One   two\nthree</p><p>Four<br>five</p>')).toBe('One two three\n\nFour\nfive');
    expect(htmlToText('<div>a</div><div>b</div>')).toBe('a\nb');
  });

  it('writes lists, nested lists and numbered lists', () => {
    expect(htmlToText('<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>')).toBe('- a\n- b\n  - c');
    expect(htmlToText('<ol start="3"><li>x</li><li>y</li></ol>')).toBe('3. x\n4. y');
  });

  it('shows link targets unless the text already says them', () => {
    expect(htmlToText('<a href="https://e.test/a">site</a>')).toBe('site (https://e.test/a)');
    expect(htmlToText('<a href="https://e.test/a">https://e.test/a</a>')).toBe('https://e.test/a');
    expect(htmlToText('<a href="mailto:x@e.test">x@e.test</a>')).toBe('x@e.test');
    expect(htmlToText('<a href="javascript:alert(1)">click</a>')).toBe('click');
  });

  it('drops head, style, script and comments; decodes entities', () => {
    expect(htmlToText('<html><head><title>T</title><style>p{}</style></head><body><!-- c --><script>x()</script><p>&lt;ok&gt; &amp; &#233;&#x20AC;&nbsp;!</p></body></html>')).toBe(
      '<ok> & é€ !',
    );
    expect(decodeEntities('&bogus; &#0;')).toBe('&bogus; &#0;');
  });

  it('quotes blockquotes and keeps pre-formatted text', () => {
    expect(htmlToText('<p>Hi</p><blockquote>quoted<br>line</blockquote><p>end</p>')).toBe('Hi\n\n> quoted\n> line\n\nend');
    expect(htmlToText('<pre>a  b\n  c</pre>')).toBe('a  b\n  c');
  });
});
