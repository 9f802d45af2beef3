import { describe, expect, it } from 'vitest';
import { childText, childrenNamed, parseXml, XmlError } from './xml';

describe('the small XML parser', () => {
  it('reads elements, attributes, text, CDATA, and skips the declaration, comments and PIs', () => {
    const root = parseXml(
      `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!-- hi -->\n<a x="1" y='two &amp; three'>\n` +
        `<b>Tom &amp; Jerry&#x27;s &#169; &lt;tag&gt; &quot;q&quot; &apos;</b><b/><?pi stuff?>` +
        `<c><![CDATA[<not> & parsed]]></c></a>\n<!-- bye -->\n`,
    );
    expect(root.name).toBe('a');
    expect([...root.attrs]).toEqual([
      ['x', '1'],
      ['y', 'two & three'],
    ]);
    expect(childrenNamed(root, 'b')).toHaveLength(2);
    expect(childText(root, 'b')).toBe(`Tom & Jerry's © <tag> "q" '`);
    expect(childText(root, 'c')).toBe('<not> & parsed');
    expect(childText(root, 'missing')).toBeUndefined();
  });

  it.each([
    ['an unclosed element', '<a><b></b>'],
    ['a mismatched end tag', '<a><b></a></b>'],
    ['two roots', '<a/><b/>'],
    ['text outside the root', 'junk<a/>'],
    ['no root at all', '  <!-- only a comment -->  '],
    ['an unknown entity', '<a>&nbsp;</a>'],
    ['a bare ampersand', '<a>fish & chips</a>'],
    ['a NUL character reference', '<a>&#0;</a>'],
    ['a surrogate character reference', '<a>&#xD800;</a>'],
    ['a duplicate attribute', '<a x="1" x="2"/>'],
    ['an unquoted attribute', '<a x=1/>'],
    ['"<" in an attribute', '<a x="<"/>'],
    ['a truncated tag', '<a x="1"'],
    ['an unterminated comment', '<a><!-- </a>'],
    ['an unterminated CDATA section', '<a><![CDATA[ </a>'],
  ])('refuses %s', (_why, xml) => {
    expect(() => parseXml(xml)).toThrow(XmlError);
  });

  it('refuses any DOCTYPE, so no entity can be declared or expanded (billion laughs, XXE)', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><a>&lol2;</a>';
    const xxe = '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>';
    expect(() => parseXml(laughs)).toThrow(/DOCTYPE/);
    expect(() => parseXml(xxe)).toThrow(/DOCTYPE/);
  });

  it('caps the size and the nesting depth', () => {
    expect(() => parseXml(`<a>${'x'.repeat(300 * 1024)}</a>`)).toThrow(/larger than/);
    expect(() => parseXml('<a>x</a>', 4)).toThrow(/larger than/);
    expect(() => parseXml('<a>'.repeat(100) + '</a>'.repeat(100))).toThrow(/nested too deeply/);
  });
});
