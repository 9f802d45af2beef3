/**
 * The compact UID set of the `uidset` delta: "1:5,9,12:20" (IMAP sequence-set syntax without
 * `*`). Ranges may be reversed ("20:12") and may overlap; the empty string is the empty set.
 */
export interface UidSet {
  /** Sorted, disjoint, non-adjacent inclusive ranges: [start0, end0, start1, end1, ...]. */
  readonly ranges: readonly number[];
  /** How many UIDs the set holds. */
  readonly size: number;
  has(uid: number): boolean;
}

const MAX_UID = 4_294_967_295;

/** Parses a UID set; null when it is malformed (a caller must then delete nothing). */
export function parseUidSet(text: string): UidSet | null {
  const pairs: number[] = [];
  const n = text.length;
  let i = 0;
  if (n > 0) {
    for (;;) {
      const a = readUid();
      if (a === null) return null;
      let b = a;
      if (i < n && text.charCodeAt(i) === 58 /* : */) {
        i++;
        const c = readUid();
        if (c === null) return null;
        b = c;
      }
      pairs.push(Math.min(a, b), Math.max(a, b));
      if (i === n) break;
      if (text.charCodeAt(i) !== 44 /* , */) return null;
      i++;
    }
  }
  return fromRanges(pairs);

  function readUid(): number | null {
    const start = i;
    let value = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      i++;
      if (i - start > 10) return null;
    }
    if (i === start || value < 1 || value > MAX_UID) return null;
    return value;
  }
}

function fromRanges(pairs: number[]): UidSet {
  const count = pairs.length / 2;
  let sorted = true;
  for (let k = 1; k < count; k++) {
    if (pairs[2 * k]! <= pairs[2 * k - 1]! + 1) {
      sorted = false;
      break;
    }
  }
  let ranges: number[];
  if (sorted) {
    ranges = pairs;
  } else {
    const order = Array.from({ length: count }, (_, k) => k).sort((x, y) => pairs[2 * x]! - pairs[2 * y]!);
    ranges = [];
    for (const k of order) {
      const s = pairs[2 * k]!;
      const e = pairs[2 * k + 1]!;
      const last = ranges.length - 1;
      if (last > 0 && s <= ranges[last]! + 1) {
        if (e > ranges[last]!) ranges[last] = e;
      } else {
        ranges.push(s, e);
      }
    }
  }
  let size = 0;
  for (let k = 0; k < ranges.length; k += 2) size += ranges[k + 1]! - ranges[k]! + 1;
  return {
    ranges,
    size,
    has(uid: number): boolean {
      // Binary search for the last range starting at or before uid.
      let lo = 0;
      let hi = ranges.length / 2 - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const s = ranges[2 * mid]!;
        if (uid < s) hi = mid - 1;
        else if (uid > ranges[2 * mid + 1]!) lo = mid + 1;
        else return true;
      }
      return false;
    },
  };
}
