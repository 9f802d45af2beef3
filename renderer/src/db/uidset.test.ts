import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { parseUidSet } from './uidset';

describe('parseUidSet', () => {
  it('parses single UIDs and ranges', () => {
    const set = parseUidSet('1:5,9,12:20')!;
    expect(set.ranges).toEqual([1, 5, 9, 9, 12, 20]);
    expect(set.size).toBe(5 + 1 + 9);
    for (const uid of [1, 3, 5, 9, 12, 20]) expect(set.has(uid)).toBe(true);
    for (const uid of [0, 6, 8, 10, 11, 21, 1000]) expect(set.has(uid)).toBe(false);
  });

  it('treats the empty string as the empty set', () => {
    const set = parseUidSet('')!;
    expect(set.size).toBe(0);
    expect(set.has(1)).toBe(false);
  });

  it('normalizes reversed, unordered, overlapping and adjacent ranges', () => {
    const set = parseUidSet('20:12,3,1:2,15:25,30,4')!;
    expect(set.ranges).toEqual([1, 4, 12, 25, 30, 30]);
    expect(set.size).toBe(4 + 14 + 1);
  });

  it('handles the largest UID', () => {
    const set = parseUidSet('4294967290:4294967295')!;
    expect(set.has(4_294_967_295)).toBe(true);
    expect(set.size).toBe(6);
  });

  it.each(['*', '1:*', '0', '1,,2', ',1', '1,', '1:', ':2', '1:2:3', 'a', '1 2', '4294967296', '-1', '1.5'])(
    'rejects %j',
    (text) => {
      expect(parseUidSet(text)).toBeNull();
    },
  );

  it('parses a set of 666k ranges', () => {
    const parts: string[] = [];
    for (let i = 1; i < 2_000_000; i += 3) parts.push(`${i}:${i + 1}`);
    const set = parseUidSet(parts.join(','))!;
    expect(set.has(1)).toBe(true);
    expect(set.has(3)).toBe(false);
    expect(set.has(1_999_999)).toBe(true);
  });
});
