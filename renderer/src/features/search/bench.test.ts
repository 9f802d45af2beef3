import { describe, expect, it } from 'vitest';
import { benchmarkSearch, BENCH_QUERIES, syntheticMessages } from './bench';

// The benchmark runs (no timed assertions: timings belong to the benchmark suite).
describe('benchmarkSearch', () => {
  it('indexes synthetic mail and reports every query', async () => {
    const r = await benchmarkSearch(3000, { runs: 1 });
    expect(r.n).toBe(3000);
    expect(r.index.docs).toBe(3000);
    expect(r.queries.map((q) => q.query)).toEqual(BENCH_QUERIES);
    const total = (q: string) => r.queries.find((x) => x.query === q)!.total;
    expect(total('budget')).toBeGreaterThan(0);
    expect(total('budget review')).toBeLessThanOrEqual(total('budget'));
    expect(total('is:unread has:attachment')).toBeLessThanOrEqual(total('is:unread'));
    expect(total('xyzzy')).toBe(0);
    expect(r.idb).toBeUndefined();
  });

  it('generates the same mail for the same seed', () => {
    expect(syntheticMessages(50, 7)).toEqual(syntheticMessages(50, 7));
  });
});
