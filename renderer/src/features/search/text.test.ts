import { describe, expect, it } from 'vitest';
import { containsUnits, fold, htmlToText, indexTokens, queryTokens, units } from './text';

const tokens = (s: string) => {
  const out: string[] = [];
  indexTokens(s, (t) => out.push(t));
  return out;
};

describe('fold', () => {
  it('lowercases and drops diacritics, width and ligature differences', () => {
    expect(fold('Crème Brûlée')).toBe('creme brulee');
    expect(fold('Ärger ÖL Übermut Straße')).toBe('arger ol ubermut strasse');
    expect(fold('Łódź Ørsted Æble')).toBe('lodz orsted aeble');
    expect(fold('ＡＢＣ１２３')).toBe('abc123');
    expect(fold('İstanbul')).toBe('istanbul');
  });

  it('folds ё to е but keeps й, and keeps Japanese voiced kana', () => {
    expect(fold('Ёлка ЙОГУРТ')).toBe('елка йогурт');
    expect(fold('がぎぐ ｶﾞｷﾞ')).toBe('がぎぐ ガギ');
  });
});

describe('tokenizer', () => {
  it('splits words on punctuation, addresses included', () => {
    expect(tokens('Re: Q3-plan, see alice@example.test!')).toEqual(['re', 'q3', 'plan', 'see', 'alice', 'example', 'test']);
  });

  it('indexes Cyrillic decoded from KOI8-R like any other text', () => {
    // "Привет, мир! Отчёт" in KOI8-R, as a legacy message body would carry it.
    const koi8 = new Uint8Array([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4, 0x2c, 0x20, 0xcd, 0xc9, 0xd2, 0x21, 0x20, 0xef, 0xd4, 0xde, 0xa3, 0xd4]);
    const text = new TextDecoder('koi8-r').decode(koi8);
    expect(text).toBe('Привет, мир! Отчёт');
    expect(tokens(text)).toEqual(['привет', 'мир', 'отчет']);
    expect(queryTokens('ОТЧЁТ').tokens).toEqual(['отчет']);
  });

  it('indexes CJK runs as characters and bigrams, and queries them by bigrams', () => {
    expect(tokens('東京都')).toEqual(['東', '東京', '京', '京都', '都']);
    expect(tokens('会議は明日')).toEqual(['会', '会議', '議', '議は', 'は', 'は明', '明', '明日', '日']);
    expect(queryTokens('京都')).toEqual({ tokens: ['京都'], units: ['京', '都'], phrase: false });
    expect(queryTokens('東京都')).toEqual({ tokens: ['東京', '京都'], units: ['東', '京', '都'], phrase: true });
    expect(queryTokens('都').tokens).toEqual(['都']);
    // Mixed scripts split at the script boundary.
    expect(tokens('iPhone発売')).toEqual(['iphone', '発', '発売', '売']);
  });

  it('cuts very long runs', () => {
    expect(tokens('x'.repeat(500))[0]).toHaveLength(40);
  });
});

describe('phrases', () => {
  it('matches consecutive units, the last optionally as a prefix', () => {
    const hay = units('The quick brown fox; 東京都に行く');
    expect(containsUnits(hay, units('quick brown'))).toBe(true);
    expect(containsUnits(hay, units('brown quick'))).toBe(false);
    expect(containsUnits(hay, units('quick bro'))).toBe(false);
    expect(containsUnits(hay, units('quick bro'), true)).toBe(true);
    expect(containsUnits(hay, units('京都'))).toBe(true);
    expect(containsUnits(hay, units('都京'))).toBe(false);
  });
});

describe('htmlToText', () => {
  it('drops markup, scripts and styles, decodes entities', () => {
    expect(htmlToText('<style>p{x:y}</style><p>Fish &amp; chips&nbsp;&#233;t&#xE9;</p><script>evil()</script>').trim()).toBe('Fish & chips été');
  });
});
