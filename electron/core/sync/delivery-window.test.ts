import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeliveryWindow } from './delivery-window';

/** Whether `p` has settled after the pending microtasks. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe('DeliveryWindow', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds nothing back until the renderer has reported once', async () => {
    const w = new DeliveryWindow({ windowItems: 100 });
    w.sent(1, 5000);
    expect(await settled(w.room())).toBe(true);
  });

  it('keeps a bounded list when nobody reports any more, without losing count of the items', () => {
    const w = new DeliveryWindow({ windowItems: 100 });
    w.applied(0);
    for (let seq = 1; seq <= 10_000; seq++) w.sent(seq, 1);
    expect(w.unapplied).toBe(10_000);
    expect((w as unknown as { outstanding: unknown[] }).outstanding.length).toBeLessThanOrEqual(256);
    w.applied(10_000);
    expect(w.unapplied).toBe(0);
  });

  it('holds the fetch while more than the window is unreported, and lets it go when the renderer catches up', async () => {
    const w = new DeliveryWindow({ windowItems: 100 });
    w.sent(1, 60);
    w.applied(1);
    w.sent(2, 60);
    w.sent(3, 60);
    expect(w.unapplied).toBe(120);
    const waiting = w.room();
    expect(await settled(waiting)).toBe(false);
    w.applied(2);
    expect(w.unapplied).toBe(60);
    expect(await settled(waiting)).toBe(true);
    // Within the window: no wait.
    expect(await settled(w.room())).toBe(true);
  });

  it('counts a report of a later batch for every batch before it', async () => {
    const w = new DeliveryWindow({ windowItems: 10 });
    for (let seq = 1; seq <= 5; seq++) w.sent(seq, 20);
    w.applied(4);
    expect(w.unapplied).toBe(20);
    w.applied(3); // late, out of order: changes nothing
    expect(w.unapplied).toBe(20);
  });

  it('starts afresh when a renderer resumes, and lets every waiter go when closed', async () => {
    const w = new DeliveryWindow({ windowItems: 10 });
    w.applied(0);
    w.sent(1, 50);
    const a = w.room();
    expect(await settled(a)).toBe(false);
    w.reset();
    expect(w.unapplied).toBe(0);
    expect(await settled(a)).toBe(true);
    w.sent(2, 50);
    const b = w.room();
    expect(await settled(b)).toBe(false);
    w.close();
    expect(await settled(b)).toBe(true);
    w.sent(3, 50);
    expect(await settled(w.room())).toBe(true);
  });

  it('ends a wait after the longest wait even with no report (a renderer that went away)', async () => {
    vi.useFakeTimers();
    const w = new DeliveryWindow({ windowItems: 10, maxWaitMs: 1000 });
    w.applied(0);
    w.sent(1, 50);
    const waiting = w.room();
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
  });
});
