/**
 * IMAP sequence sets of UIDs (RFC 3501 section 9, `sequence-set`) in their compact form,
 * "1:5,9,12:20": what the `uidset` delta carries and what UID FETCH takes. A 100k-message
 * folder with few gaps compacts to a few bytes instead of 600 kB of numbers.
 */

/** Ascending, de-duplicated ranges of UIDs, inclusive. */
export type UidRange = readonly [start: number, end: number];

/** The compact set of some UIDs (any order, duplicates allowed): "1:5,9". Empty for none. */
export function compactUids(uids: Iterable<number>): string {
  const sorted = Uint32Array.from(new Set(uids)).sort();
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i]!;
    parts.push(start === end ? String(start) : `${start}:${end}`);
    i++;
  }
  return parts.join(',');
}

/**
 * The ranges of a compact set, ascending and merged. `*` is not allowed: the sets here
 * always name concrete UIDs. Throws on anything malformed rather than guessing.
 */
export function parseUidSet(set: string): UidRange[] {
  if (set.trim() === '') return [];
  const ranges: [number, number][] = [];
  for (const part of set.split(',')) {
    const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(part.trim());
    if (!m) throw new Error(`Not a UID set: ${JSON.stringify(set.slice(0, 80))}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || b < 1 || a > 4_294_967_295 || b > 4_294_967_295) throw new Error(`UID out of range in ${JSON.stringify(part)}`);
    // RFC 3501: "2:4" and "4:2" are the same range.
    ranges.push(a <= b ? [a, b] : [b, a]);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** Every UID of a compact set, ascending. Refuses sets larger than `limit` (default 10M). */
export function expandUidSet(set: string, limit = 10_000_000): number[] {
  const ranges = parseUidSet(set);
  let count = 0;
  for (const [a, b] of ranges) count += b - a + 1;
  if (count > limit) throw new Error(`UID set of ${count} UIDs is larger than ${limit}`);
  const out = new Array<number>(count);
  let k = 0;
  for (const [a, b] of ranges) for (let u = a; u <= b; u++) out[k++] = u;
  return out;
}

/** Whether a UID is in ranges from `parseUidSet` (binary search). */
export function rangesContain(ranges: readonly UidRange[], uid: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = ranges[mid]!;
    if (uid < a) hi = mid - 1;
    else if (uid > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * Slices of ascending `uids` from the top (newest first), growing in size as `sizes`
 * says; the last size repeats. [1..10] with [2, 3] gives [9,10], [6,7,8], [3,4,5], [1,2].
 */
export function* descendingSlices(uids: readonly number[], sizes: readonly number[]): Generator<number[]> {
  if (sizes.length === 0 || sizes.some((s) => !(s >= 1))) throw new Error('batch sizes must be positive');
  let end = uids.length;
  let step = 0;
  while (end > 0) {
    const size = sizes[Math.min(step++, sizes.length - 1)]!;
    const start = Math.max(0, end - size);
    yield uids.slice(start, end);
    end = start;
  }
}
