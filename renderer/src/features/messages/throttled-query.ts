import { Dexie, type ObservabilitySet } from 'dexie';
import { useEffect, useState } from 'react';
import type { PetrelDb } from '../../db';

/**
 * Runs `run` at once when asked, unless it ran less than `intervalMs` ago: then once, at the end
 * of the interval, however often it was asked meanwhile. A lone change is seen at once; a burst
 * (a first sync committing batch after batch) costs one run per interval.
 */
export class Throttle {
  private lastAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly run: () => void,
    /** Read at each ask: it may grow with what the last run cost (useThrottledQuery). */
    private readonly intervalMs: number | (() => number),
    private readonly now: () => number = () => performance.now(),
  ) {}

  ask(): void {
    if (this.closed || this.timer !== undefined) return;
    const interval = typeof this.intervalMs === 'number' ? this.intervalMs : this.intervalMs();
    const wait = this.lastAt + interval - this.now();
    if (wait <= 0) {
      this.fire();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, wait);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    if (this.closed) return;
    this.lastAt = this.now();
    this.run();
  }
}

/**
 * A read that took d is run again for writes no sooner than BUSY_FACTOR x d after it started.
 * Under a first sync the list's conversation walk waits behind the sync's write transactions:
 * in a 30k sync its runs took 0.2-3.3 s, and at one a second it was under way for 8 of the
 * sync's 12 s, adding its reads to the IndexedDB backend's queue. So it takes at most about a
 * quarter of the time, whatever the load.
 */
export const BUSY_FACTOR = 4;

/**
 * Like useLiveQuery, for queries too costly to re-run after every write of a burst: the result
 * of `query` (the last one until the next arrives), read again when `deps` change (at once, or
 * after `firstDelayMs`: deps changing again before that cancel the read) and after writes to
 * `tables` (throttled: at most once per `intervalMs`, or BUSY_FACTOR times what the last read
 * took; see Throttle). Dexie's own live queries re-run after every batch of a sync whatever they
 * read: it reports any bulk write of 50 or more records as a change of the whole table.
 */
export function useThrottledQuery<T>(
  db: PetrelDb,
  query: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  options: { tables: readonly string[]; intervalMs: number; firstDelayMs?: number },
): T | undefined {
  const [value, setValue] = useState<T | undefined>(undefined);
  useEffect(() => {
    let closed = false;
    // A read still running when the deps change is stopped: its result would be dropped anyway.
    const stop = new AbortController();
    let running = false;
    let again = false;
    let took = 0;
    const read = () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      const started = performance.now();
      query(stop.signal)
        .then(
          (value) => {
            if (!closed) setValue(value);
          },
          (e: unknown) => {
            if (!stop.signal.aborted) console.error('query:', e);
          },
        )
        .finally(() => {
          running = false;
          took = performance.now() - started;
          if (again && !closed) {
            again = false;
            throttle.ask();
          }
        });
    };
    const throttle = new Throttle(read, () => Math.max(options.intervalMs, BUSY_FACTOR * took));
    const parts = options.tables.map((t) => `idb://${db.name}/${t}/`);
    const onMutated = (changed: ObservabilitySet) => {
      if (changed.all !== undefined || parts.some((p) => changed[p] !== undefined)) throttle.ask();
    };
    Dexie.on('storagemutated', onMutated);
    const first = options.firstDelayMs ? setTimeout(() => throttle.ask(), options.firstDelayMs) : undefined;
    if (first === undefined) throttle.ask();
    return () => {
      closed = true;
      stop.abort();
      if (first !== undefined) clearTimeout(first);
      throttle.close();
      Dexie.on.storagemutated.unsubscribe(onMutated);
    };
    // The caller's deps stand for the query.
  }, [db, ...deps]);
  // Until the first read for new deps, the last result stands (a keyed result, such as counts by
  // row, stays right for the rows it has).
  return value;
}
