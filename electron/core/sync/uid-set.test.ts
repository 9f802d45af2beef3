import { describe, expect, it } from 'vitest';
import { compactUids, descendingSlices, expandUidSet, parseUidSet, rangesContain } from './uid-set';

describe('compactUids', () => {
  it('compacts runs and singles, in any order, without duplicates', () => {
    expect(compactUids([9, 1, 2, 3, 4, 5, 5, 12, 13])).toBe('1:5,9,12:13');
    expect(compactUids([])).toBe('');
    expect(compactUids([7])).toBe('7');
    expect(compactUids([4294967295, 4294967294])).toBe('4294967294:4294967295');
  });

  it('is the inverse of expandUidSet', () => {
    const uids = [1, 2, 3, 10, 11, 20, 22, 23, 24, 100000];
    expect(expandUidSet(compactUids(uids))).toEqual(uids);
    expect(compactUids(expandUidSet('3:1,7,5:6'))).toBe('1:3,5:7');
  });

  it('keeps a 100k folder with few gaps tiny', () => {
    const uids = Array.from({ length: 100_000 }, (_, i) => i + 1).filter((u) => u % 25_000 !== 0);
    expect(compactUids(uids)).toBe('1:24999,25001:49999,50001:74999,75001:99999');
  });
});

describe('parseUidSet', () => {
  it('merges overlapping and adjacent ranges and accepts reversed ones (RFC 3501)', () => {
    expect(parseUidSet('5:1,3,6,10:12')).toEqual([
      [1, 6],
      [10, 12],
    ]);
    expect(parseUidSet('')).toEqual([]);
  });

  it('refuses anything that is not a concrete UID set', () => {
    for (const bad of ['1:*', 'a', '1,,2', '0', '1:4294967296', '-1']) expect(() => parseUidSet(bad)).toThrow();
  });

  it('finds UIDs with rangesContain', () => {
    const r = parseUidSet('1:5,9,12:20');
    expect([0, 1, 5, 6, 9, 10, 12, 20, 21].map((u) => rangesContain(r, u))).toEqual([false, true, true, false, true, false, true, true, false]);
  });

  it('expandUidSet refuses huge sets', () => {
    expect(() => expandUidSet('1:20000000')).toThrow(/larger/);
  });
});

describe('descendingSlices', () => {
  it('slices from the top in growing batches, the last size repeating', () => {
    const uids = Array.from({ length: 10 }, (_, i) => i + 1);
    expect([...descendingSlices(uids, [2, 3])]).toEqual([[9, 10], [6, 7, 8], [3, 4, 5], [1, 2]]);
    expect([...descendingSlices([], [50])]).toEqual([]);
  });
});
