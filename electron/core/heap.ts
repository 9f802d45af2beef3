/**
 * Gives memory back after bursts of work. V8 grows its heap lazily while a sync allocates
 * fast (imapflow parsing 100k FETCH responses): the live set stays near 40 MB, but the heap
 * grows to 150+ MB before a full collection, and Node never tells V8 it went idle, so the
 * process keeps that size at rest. Two nudges, no heap-size flags:
 *
 * - during a burst, a full collection whenever the used heap passed `softLimitBytes` (at most
 *   once per `minIntervalMs`): the peak stays near the live set plus one limit;
 * - once the burst is over (nothing for `quietMs`), one more, so the engine rests small.
 *
 * `gc` comes from V8 itself (`--expose-gc` set at run time, the way Node's docs show for
 * v8.setFlagsFromString); where that is refused, this does nothing.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** V8's `gc`, called without options: with them it scans the stack conservatively and may keep garbage. */
type Gc = () => void;
let cached: Gc | null | undefined;

function gcFunction(): Gc | null {
  if (cached !== undefined) return cached;
  try {
    const existing = (globalThis as { gc?: unknown }).gc;
    if (typeof existing === 'function') cached = existing as Gc;
    else {
      v8.setFlagsFromString('--expose-gc');
      const fn: unknown = vm.runInNewContext('gc');
      cached = typeof fn === 'function' ? (fn as Gc) : null;
    }
  } catch {
    cached = null;
  }
  return cached;
}

/**
 * Keeps V8's young generation at its first size (two 1 MB semi-spaces). Under a sync's
 * allocation rate V8 doubles it up to two 16 MB semi-spaces, and keeps them: 32 MB of the
 * host's resident memory for as long as it runs (measured in the 100k sync: `new_space` 32 MB
 * from the first seconds, the whole process at 165 MB at rest after it). With the growth factor
 * at 1 it stays at 2 MB; what lives longer than two scavenges moves to the old generation,
 * which the HeapTrimmer below keeps in check. Same sync: peak 165 MB (177), 111 MB at rest
 * (165), the host's CPU no higher; 150 MB peak with the trimmer's limit at 40 MB.
 *
 * A V8 flag set at run time: it takes effect from the next time V8 would grow the space, so
 * the entries (host.ts, main.ts) call this before they load anything else; Node's module
 * loading alone grows it to 16 MB. The Electron main process cannot be given `--js-flags` or
 * `--max-semi-space-size` by the app itself, so both transports use this.
 */
export function keepYoungGenerationSmall(): void {
  try {
    v8.setFlagsFromString('--semi-space-growth-factor=1');
  } catch {
    // Refused: V8's default growth.
  }
}

export interface HeapTrimmerOptions {
  /**
   * Default 40 MB. With the young generation kept small (above), nearly all of the used heap is
   * the old generation, and the live set during a 100k first sync is ~40 MB: at 40 MB the old
   * generation peaked at ~48 MB and the host at 150 MB (164 MB at 64 MB), with a collection at
   * most once a second (no more host CPU measurable against the run's noise). The offline
   * download passes its own, higher limit (sync-engine.ts).
   */
  softLimitBytes?: number;
  minIntervalMs?: number;
  quietMs?: number;
  /** For tests. */
  gc?: Gc | null;
  usedHeap?: () => number;
  now?: () => number;
}

export class HeapTrimmer {
  private readonly softLimit: number;
  private readonly minInterval: number;
  private readonly quietMs: number;
  private readonly gc: Gc | null;
  private readonly usedHeap: () => number;
  private readonly now: () => number;
  private last = 0;
  private quiet: NodeJS.Timeout | null = null;

  constructor(options: HeapTrimmerOptions = {}) {
    this.softLimit = options.softLimitBytes ?? 40 * 1024 * 1024;
    this.minInterval = options.minIntervalMs ?? 1000;
    this.quietMs = options.quietMs ?? 3000;
    this.gc = options.gc !== undefined ? options.gc : gcFunction();
    this.usedHeap = options.usedHeap ?? (() => v8.getHeapStatistics().used_heap_size);
    this.now = options.now ?? Date.now;
  }

  /**
   * Work happened (e.g. a batch of deltas went out): collect if the heap is past the limit
   * (`softLimitBytes`, or this call's own for work that keeps more alive); collect again once quiet.
   */
  activity(limitBytes: number = this.softLimit): void {
    if (!this.gc) return;
    const now = this.now();
    if (now - this.last >= this.minInterval && this.usedHeap() > limitBytes) this.collect(now);
    if (this.quiet) clearTimeout(this.quiet);
    this.quiet = setTimeout(() => {
      this.quiet = null;
      this.collect(this.now());
    }, this.quietMs);
    this.quiet.unref?.();
  }

  close(): void {
    if (this.quiet) clearTimeout(this.quiet);
    this.quiet = null;
  }

  private collect(now: number): void {
    this.last = now;
    this.gc?.();
  }
}
