import { describe, expect, it } from 'vitest';
import { isEmptyQuery, parseDay, parseQuery, toServerQuery } from './query';

const local = (y: number, m: number, d: number) => new Date(y, m - 1, d).getTime();

describe('parseQuery', () => {
  it('splits words, keeps quoted phrases together, and marks the word being typed as a prefix', () => {
    const q = parseQuery('quarterly "budget review" meet');
    expect(q.text).toEqual([
      { field: 'any', text: 'quarterly', quoted: false, negated: false, prefix: false },
      { field: 'any', text: 'budget review', quoted: true, negated: false, prefix: false },
      { field: 'any', text: 'meet', quoted: false, negated: false, prefix: true },
    ]);
    // A trailing space ends the word: no prefix.
    expect(parseQuery('meet ').text[0]!.prefix).toBe(false);
    // A closed quote is a finished phrase; an open one is still being typed.
    expect(parseQuery('"budget review"').text[0]!.prefix).toBe(false);
    expect(parseQuery('"budget rev').text[0]).toMatchObject({ text: 'budget rev', quoted: true, prefix: true });
  });

  it('reads field operators, with quoted values and case-insensitive names', () => {
    const q = parseQuery('FROM:alice to:"Bob Smith" Subject:report cc:carol@example.test ');
    expect(q.text.map((t) => [t.field, t.text])).toEqual([
      ['from', 'alice'],
      ['to', 'Bob Smith'],
      ['subject', 'report'],
      ['to', 'carol@example.test'],
    ]);
  });

  it('reads flags, attachment and negation', () => {
    const q = parseQuery('is:unread is:starred has:attachment -invoice -"out of office" -from:noreply');
    expect(q.unread).toBe(true);
    expect(q.starred).toBe(true);
    expect(q.attachment).toBe(true);
    expect(q.text.filter((t) => t.negated).map((t) => [t.field, t.text])).toEqual([
      ['any', 'invoice'],
      ['any', 'out of office'],
      ['from', 'noreply'],
    ]);
    expect(parseQuery('is:read').unread).toBe(false);
    expect(parseQuery('-is:unread').unread).toBe(false);
    expect(parseQuery('is:flagged').starred).toBe(true);
    expect(parseQuery('-is:starred').starred).toBe(false);
    expect(parseQuery('-has:attachment').attachment).toBe(false);
  });

  it('reads dates as local days: after is inclusive, before exclusive; the tightest bound wins', () => {
    const q = parseQuery('after:2024-03-01 before:2024/4/1 before:2024-05-01');
    expect(q.after).toEqual({ day: '2024-03-01', ms: local(2024, 3, 1) });
    expect(q.before).toEqual({ day: '2024-04-01', ms: local(2024, 4, 1) });
    expect(parseQuery('since:2024-03-01').after?.day).toBe('2024-03-01');
    // -before:X means on or after X.
    expect(parseQuery('-before:2024-03-01').after?.day).toBe('2024-03-01');
  });

  it('reports bad operator values and runs the rest', () => {
    const q = parseQuery('before:2024-02-30 is:nonsense has:cake report ');
    expect(q.before).toBeNull();
    expect(q.unread).toBeNull();
    expect(q.errors).toHaveLength(3);
    expect(q.text.map((t) => t.text)).toEqual(['report']);
    // While typing an operator value, nothing is reported yet.
    expect(parseQuery('is:unr').errors).toEqual([]);
    expect(parseQuery('before:2024-0').errors).toEqual([]);
  });

  it('reads in: with special names, folder names and negation', () => {
    const q = parseQuery('in:Sent -in:trash in:"Project X" ');
    expect(q.in).toEqual(['sent', 'project x']);
    expect(q.notIn).toEqual(['trash']);
  });

  it('treats unknown operators, empty operators and lone punctuation sensibly', () => {
    const q = parseQuery('http://example.test/x foo:bar from: - ');
    expect(q.text.map((t) => t.text)).toEqual(['http://example.test/x', 'foo:bar']);
    expect(isEmptyQuery(parseQuery('   '))).toBe(true);
    expect(isEmptyQuery(parseQuery('from:'))).toBe(true);
    expect(isEmptyQuery(parseQuery('is:unread'))).toBe(false);
  });

  it('keeps non-Latin text as typed (the index folds it)', () => {
    expect(parseQuery('Привет 東京都 "Crème brûlée"').text.map((t) => t.text)).toEqual(['Привет', '東京都', 'Crème brûlée']);
  });
});

describe('parseDay', () => {
  it('accepts real dates only', () => {
    expect(parseDay('2024-02-29')?.day).toBe('2024-02-29');
    expect(parseDay('2023-02-29')).toBeNull();
    expect(parseDay('2024-13-01')).toBeNull();
    expect(parseDay('yesterday')).toBeNull();
  });
});

describe('toServerQuery', () => {
  it('maps every operator the server understands', () => {
    const q = parseQuery('budget "q3 plan" from:alice to:bob subject:report -spam -from:noreply is:unread is:starred has:attachment after:2024-01-01 before:2024-02-01 in:sent');
    expect(toServerQuery(q)).toEqual({
      text: ['budget', 'q3 plan'],
      from: ['alice'],
      to: ['bob'],
      subject: ['report'],
      not: { text: ['spam'], from: ['noreply'] },
      unseen: true,
      flagged: true,
      attachment: true,
      since: '2024-01-01',
      before: '2024-02-01',
    });
    expect(toServerQuery(parseQuery('is:read -is:starred'))).toEqual({ unseen: false, flagged: false });
  });
});
