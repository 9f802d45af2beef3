import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { BENCH_KEYSTROKES, benchmarkContacts, syntheticMail } from './bench';

// The benchmark runs (no timed assertions: timings belong to the benchmark suite).
describe('benchmarkContacts', () => {
  it('indexes synthetic mail and reports every keystroke', async () => {
    const r = await benchmarkContacts(3000, { runs: 1 });
    expect(r.n).toBe(3000);
    expect(r.contacts).toBeGreaterThan(100);
    expect(r.keystrokes.map((k) => k.query)).toEqual(BENCH_KEYSTROKES);
    expect(r.keystrokes.find((k) => k.query === 'ann')!.hits).toBeGreaterThan(0);
    expect(r.keystrokes.find((k) => k.query === 'zz')!.hits).toBe(0);
  });

  it('generates the same mail for the same seed', () => {
    expect(syntheticMail(50, 7)).toEqual(syntheticMail(50, 7));
  });
});
