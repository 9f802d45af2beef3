import { describe, expect, it } from 'vitest';
import { formatAddress, formatSize } from './format';
import { foldQuotes, hrefFor, linkify, type TextPiece } from './plain-text';

const links = (pieces: TextPiece[]) => pieces.filter((p) => p.kind === 'link').map((p) => [p.text, p.href]);

describe('linkify', () => {
  it('keeps all the text, in order', () => {
    const text = 'Hi, see https://example.com/a?b=1 and mail me@example.com. Bye';
    expect(
      linkify(text)
        .map((p) => p.text)
        .join(''),
    ).toBe(text);
  });

  it('finds http, https, mailto, www and bare addresses', () => {
    expect(
      links(linkify('a http://a.example/x b https://b.example c mailto:x@y.example d www.w.example e me@z.example')),
    ).toEqual([
      ['http://a.example/x', 'http://a.example/x'],
      ['https://b.example', 'https://b.example/'],
      ['mailto:x@y.example', 'mailto:x@y.example'],
      ['www.w.example', 'https://www.w.example/'],
      ['me@z.example', 'mailto:me@z.example'],
    ]);
  });

  it('leaves trailing punctuation and unbalanced brackets to the sentence', () => {
    expect(links(linkify('(see https://a.example/x).'))).toEqual([['https://a.example/x', 'https://a.example/x']]);
    expect(links(linkify('https://en.wikipedia.org/wiki/Foo_(bar), ok'))).toEqual([
      ['https://en.wikipedia.org/wiki/Foo_(bar)', 'https://en.wikipedia.org/wiki/Foo_(bar)'],
    ]);
    expect(links(linkify('Go to <https://a.example/path>!'))).toEqual([['https://a.example/path', 'https://a.example/path']]);
  });

  it('never links other schemes', () => {
    expect(links(linkify('javascript:alert(1) file:///etc/passwd data:text/html,x ftp://f.example'))).toEqual([]);
  });

  it('does not treat an address inside a URL as a separate link', () => {
    expect(links(linkify('https://a.example/?to=me@b.example'))).toEqual([
      ['https://a.example/?to=me@b.example', 'https://a.example/?to=me@b.example'],
    ]);
  });

  it('handles text with no links', () => {
    expect(linkify('nothing here')).toEqual([{ kind: 'text', text: 'nothing here' }]);
    expect(linkify('')).toEqual([]);
  });

  it('hrefFor refuses hosts without a dot', () => {
    expect(hrefFor('http://intranet')).toBeNull();
    expect(hrefFor('https://ok.example')).toBe('https://ok.example/');
  });
});

describe('foldQuotes', () => {
  it('groups consecutive > lines into quote blocks', () => {
    const text = 'Sounds good.\r\n\r\nOn Monday, A wrote:\r\n> first\r\n>> nested\r\n> last\r\nThanks\n> again';
    expect(foldQuotes(text)).toEqual([
      { kind: 'text', text: 'Sounds good.\n\nOn Monday, A wrote:' },
      { kind: 'quote', text: '> first\n>> nested\n> last', lines: 3 },
      { kind: 'text', text: 'Thanks' },
      { kind: 'quote', text: '> again', lines: 1 },
    ]);
  });

  it('does not fold lines that only contain > later on', () => {
    expect(foldQuotes('a > b\n  > indented')).toEqual([{ kind: 'text', text: 'a > b\n  > indented' }]);
  });

  it('returns one text block for plain text', () => {
    expect(foldQuotes('one\ntwo')).toEqual([{ kind: 'text', text: 'one\ntwo' }]);
  });
});

describe('format', () => {
  it('formats sizes in a locale', () => {
    expect(formatSize(512, 'en-US')).toBe('512 bytes');
    expect(formatSize(1536, 'en-US')).toBe('1.5 kB');
    expect(formatSize(25 * 1024 * 1024, 'en-US')).toBe('25 MB');
    expect(formatSize(1536, 'de-DE')).toBe('1,5 kB');
  });

  it('formats addresses', () => {
    expect(formatAddress({ name: 'Ann', address: 'ann@example.com' })).toBe('Ann <ann@example.com>');
    expect(formatAddress({ name: ' ', address: 'ann@example.com' })).toBe('ann@example.com');
  });
});
