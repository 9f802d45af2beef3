import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HeapTrimmer } from './heap';

describe('keepYoungGenerationSmall', () => {
  // A process of its own: the flag acts on V8's next growth, and this one's has grown already.
  const newSpaceMb = (call: boolean) =>
    Number(
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `import v8 from 'node:v8';
           import { keepYoungGenerationSmall } from ${JSON.stringify(fileURLToPath(new URL('./heap.ts', import.meta.url)))};
           if (${call}) keepYoungGenerationSmall();
           const keep = [];
           for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 40000) keep.splice(0, 20000); }
           const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
           process.stdout.write(String(s.space_size / 1048576));`,
        ],
        { encoding: 'utf8' },
      ),
    );

  it('stops V8 from growing the young generation under a high allocation rate', () => {
    expect(newSpaceMb(false)).toBeGreaterThanOrEqual(16);
    expect(newSpaceMb(true)).toBeLessThanOrEqual(4);
  });
});

describe('HeapTrimmer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('collects during a burst only past the soft limit and at most once per interval, then once when quiet', () => {
    vi.useFakeTimers();
    let used = 10;
    let now = 0;
    const gc = vi.fn();
    const t = new HeapTrimmer({ softLimitBytes: 100, minIntervalMs: 1000, quietMs: 3000, gc, usedHeap: () => used, now: () => now });
    t.activity();
    expect(gc).not.toHaveBeenCalled();
    used = 150;
    now = 1500;
    t.activity();
    expect(gc).toHaveBeenCalledTimes(1);
    now = 1800; // past the limit again, but too soon
    t.activity();
    expect(gc).toHaveBeenCalledTimes(1);
    now = 2600;
    t.activity();
    expect(gc).toHaveBeenCalledTimes(2);
    // Quiet: one more collection, and no more after it.
    used = 10;
    vi.advanceTimersByTime(3000);
    expect(gc).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(60_000);
    expect(gc).toHaveBeenCalledTimes(3);
    t.close();
  });

  it('takes a higher limit for work that keeps more alive', () => {
    vi.useFakeTimers();
    const gc = vi.fn();
    let now = 0;
    const t = new HeapTrimmer({ softLimitBytes: 100, minIntervalMs: 1000, quietMs: 3000, gc, usedHeap: () => 150, now: () => now });
    t.activity(200);
    expect(gc).not.toHaveBeenCalled();
    now = 5000;
    t.activity();
    expect(gc).toHaveBeenCalledTimes(1);
    t.close();
  });

  it('does nothing where no collector is available', () => {
    vi.useFakeTimers();
    const t = new HeapTrimmer({ gc: null, usedHeap: () => Number.MAX_SAFE_INTEGER });
    t.activity();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reaches V8\'s collector in this process (no --expose-gc needed)', async () => {
    const ref = new WeakRef({ payload: new Array<number>(1000).fill(1) });
    // A WeakRef's target survives the job that created it; collected only after that.
    await new Promise((r) => setImmediate(r));
    const t = new HeapTrimmer({ softLimitBytes: 0, minIntervalMs: 0 });
    t.activity();
    t.close();
    expect(ref.deref()).toBeUndefined();
  });
});
