/**
 * How far the engine may run ahead of the renderer's store. A first sync fetches headers
 * faster than the renderer writes them into IndexedDB (100k: the engine done at ~21 s, the
 * store at ~33 s), and every batch sent and not yet stored is held in the host meanwhile (the
 * JSON in the transport's buffers, then in the socket's), so the host's memory grew with the
 * lead. The renderer reports each batch it has applied (`sync.applied`), and the header fetch
 * of a folder's sync waits for room (`room()`) before asking for its next slice while more than
 * `windowItems` items are sent and unreported. Nothing else waits: pushes, flag changes and
 * cursors go out at once.
 *
 * Only once a renderer has reported does the window hold anything back (tests and tools that
 * consume batches without reporting are never slowed), and a wait ends after `maxWaitMs` even
 * with no report (a renderer that went away; a new one resumes, which empties the window).
 */

export interface DeliveryWindowOptions {
  /** Items (messages, flag changes, UIDs) sent and not reported applied before the fetch waits. Default 10,000. */
  windowItems?: number;
  /** The longest one wait for room lasts. Default 30 s. */
  maxWaitMs?: number;
}

const MAX_ENTRIES = 256;

export class DeliveryWindow {
  private readonly windowItems: number;
  private readonly maxWaitMs: number;
  /** Batches sent and not reported applied, oldest first. */
  private readonly outstanding: { seq: number; items: number }[] = [];
  private items = 0;
  private reported = false;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  constructor(options: DeliveryWindowOptions = {}) {
    this.windowItems = options.windowItems ?? 10_000;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
  }

  /** Items sent and not reported applied. */
  get unapplied(): number {
    return this.items;
  }

  sent(seq: number, items: number): void {
    this.outstanding.push({ seq, items });
    this.items += items;
    // With no renderer reporting (none yet, or all closed while the host syncs on) the list
    // would only grow: the oldest entries merge, under the later seq (freed a little late).
    if (this.outstanding.length > MAX_ENTRIES) {
      const oldest = this.outstanding.shift()!;
      this.outstanding[0]!.items += oldest.items;
    }
  }

  /** The renderer has applied every batch up to `seq`. */
  applied(seq: number): void {
    this.reported = true;
    while (this.outstanding.length > 0 && this.outstanding[0]!.seq <= seq) this.items -= this.outstanding.shift()!.items;
    if (this.hasRoom()) this.wake();
  }

  /** A renderer resumed: what was sent before is either stored or will be sent again. */
  reset(): void {
    this.outstanding.length = 0;
    this.items = 0;
    this.wake();
  }

  /** Resolves when the fetch may go on (at once while there is room). */
  room(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.maxWaitMs);
      this.waiters.add(done);
    });
  }

  /** Lets every waiting fetch go on (the engine is closing). */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private hasRoom(): boolean {
    return this.closed || !this.reported || this.items <= this.windowItems;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
