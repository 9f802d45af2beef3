// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SyncDelta } from '../../../../shared/contract';
import { applyBatch, type PetrelDb } from '../../db';
import { A, header, newDb, upsert } from '../../db/test-fixtures';
import { BUSY_FACTOR, Throttle, useThrottledQuery } from './throttled-query';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

describe('Throttle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a lone request at once, and a burst once per interval', () => {
    vi.useFakeTimers();
    let clock = 0;
    const runs: number[] = [];
    const t = new Throttle(() => runs.push(clock), 1000, () => clock);
    t.ask();
    expect(runs).toEqual([0]);
    // A burst within the interval: one run at its end.
    for (const at of [100, 200, 300, 900]) {
      clock = at;
      t.ask();
    }
    expect(runs).toEqual([0]);
    clock = 1000;
    vi.advanceTimersByTime(1000);
    expect(runs).toEqual([0, 1000]);
    // Quiet for longer than the interval: at once again.
    clock = 5000;
    t.ask();
    expect(runs).toEqual([0, 1000, 5000]);
    clock = 5100;
    t.ask();
    t.close();
    vi.advanceTimersByTime(5000);
    expect(runs).toEqual([0, 1000, 5000]);
  });

  it('reads its interval at each ask', () => {
    vi.useFakeTimers();
    let clock = 0;
    let interval = 1000;
    const runs: number[] = [];
    const t = new Throttle(() => runs.push(clock), () => interval, () => clock);
    t.ask();
    interval = 3000;
    clock = 1500;
    t.ask();
    clock = 3000;
    vi.advanceTimersByTime(1500);
    expect(runs).toEqual([0, 3000]);
    t.close();
  });
});

describe('useThrottledQuery', () => {
  let db: PetrelDb;
  let root: Root | undefined;
  let host: HTMLElement;

  afterEach(async () => {
    await act(async () => root?.unmount());
    root = undefined;
    host.remove();
    await db.delete();
  });

  function Count(props: { path: string }) {
    const n = useThrottledQuery(
      db,
      () => db.messages.where('[accountId+path+date]').between([A, props.path, -Infinity], [A, props.path, Infinity]).count(),
      [props.path],
      { tables: ['messages'], intervalMs: 50 },
    );
    return <output>{n ?? 'loading'}</output>;
  }

  const shown = () => host.querySelector('output')?.textContent ?? '';
  async function waitFor(expected: string) {
    for (let i = 0; i < 200 && shown() !== expected; i++) {
      await act(async () => {
        await new Promise((r) => setTimeout(r, 10));
      });
    }
    expect(shown()).toBe(expected);
  }
  async function write(...deltas: SyncDelta[]) {
    await act(async () => {
      await applyBatch(db, deltas);
    });
  }

  it('reads when its deps change and again after writes to its tables, the last of a burst included', async () => {
    db = newDb();
    await applyBatch(db, [upsert(A, 'INBOX', [header(A, 'INBOX', 1)])]);
    host = document.createElement('div');
    document.body.append(host);
    await act(async () => {
      root = createRoot(host);
      root.render(<Count path="INBOX" />);
    });
    await waitFor('1');
    // A burst of writes (each a batch of 60: Dexie reports the whole table): the last is seen.
    for (let b = 0; b < 5; b++) {
      await write(upsert(A, 'INBOX', Array.from({ length: 60 }, (_, i) => header(A, 'INBOX', 100 + b * 60 + i))));
    }
    await waitFor('301');
    // Other deps: read at once.
    await act(async () => {
      root!.render(<Count path="Other" />);
    });
    await waitFor('0');
    await write(upsert(A, 'Other', [header(A, 'Other', 1)]));
    await waitFor('1');
  });

  it('runs a slow read again for writes only after BUSY_FACTOR times what it took', async () => {
    db = newDb();
    await applyBatch(db, [upsert(A, 'INBOX', [header(A, 'INBOX', 1)])]);
    const starts: number[] = [];
    const TOOK = 80;
    function Slow() {
      const v = useThrottledQuery(
        db,
        async () => {
          starts.push(performance.now());
          await new Promise((r) => setTimeout(r, TOOK));
          return starts.length;
        },
        [],
        { tables: ['messages'], intervalMs: 10 },
      );
      return <output>{v ?? 'loading'}</output>;
    }
    host = document.createElement('div');
    document.body.append(host);
    await act(async () => {
      root = createRoot(host);
      root.render(<Slow />);
    });
    // Writes every 20 ms for 1.5 s: a read is always wanted.
    for (let uid = 2; uid < 77; uid++) {
      await write(upsert(A, 'INBOX', [header(A, 'INBOX', uid)]));
      await act(async () => {
        await new Promise((r) => setTimeout(r, 20));
      });
    }
    const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    // At one read per 10 ms they would follow each other as soon as one ends (~TOOK apart).
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(BUSY_FACTOR * TOOK * 0.9);
  });

  it('stops a read still running when its deps change', async () => {
    db = newDb();
    const signals: AbortSignal[] = [];
    function Pending(props: { path: string }) {
      const v = useThrottledQuery(
        db,
        (signal) => {
          signals.push(signal);
          // Never answers unless stopped (a long walk).
          return new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        },
        [props.path],
        { tables: ['messages'], intervalMs: 50 },
      );
      return <output>{v ?? 'loading'}</output>;
    }
    host = document.createElement('div');
    document.body.append(host);
    await act(async () => {
      root = createRoot(host);
      root.render(<Pending path="INBOX" />);
    });
    expect(signals.map((s) => s.aborted)).toEqual([false]);
    await act(async () => {
      root!.render(<Pending path="Other" />);
    });
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
    expect(shown()).toBe('loading');
  });
});
