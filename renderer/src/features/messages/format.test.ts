import { describe, expect, it } from 'vitest';
import { listDate, messageCount, senderOf } from './format';

describe('listDate', () => {
  const now = new Date(2026, 10, 26, 15, 30);

  it('formats as toLocale*String does: the time today, day and month this year, the date before', () => {
    const today = new Date(2026, 10, 26, 9, 5);
    const thisYear = new Date(2026, 2, 3, 12, 0);
    const older = new Date(2019, 6, 14, 8, 0);
    expect(listDate(today.getTime(), now)).toBe(today.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' }));
    expect(listDate(thisYear.getTime(), now)).toBe(thisYear.toLocaleDateString(undefined, { day: 'numeric', month: 'short' }));
    expect(listDate(older.getTime(), now)).toBe(older.toLocaleDateString(undefined, { dateStyle: 'medium' }));
    // Again, from the cached formatters.
    expect(listDate(older.getTime() + 86_400_000, now)).toBe(new Date(2019, 6, 15, 8, 0).toLocaleDateString(undefined, { dateStyle: 'medium' }));
  });

  it('gives nothing for an invalid date', () => {
    expect(listDate(Number.NaN, now)).toBe('');
  });
});

describe('senderOf', () => {
  it('prefers the name, then the address', () => {
    expect(senderOf([{ name: ' Ada ', address: 'ada@example.test' }])).toBe('Ada');
    expect(senderOf([{ name: '', address: 'ada@example.test' }])).toBe('ada@example.test');
    expect(senderOf([])).toBe('(no sender)');
  });
});

describe('messageCount', () => {
  it('says "message" for one and "messages" otherwise', () => {
    expect(messageCount(1)).toBe('1 message');
    expect(messageCount(0)).toBe(`${(0).toLocaleString()} messages`);
    expect(messageCount(2048)).toBe(`${(2048).toLocaleString()} messages`);
  });
});
