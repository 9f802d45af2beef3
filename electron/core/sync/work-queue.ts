/**
 * The worker connection's to-do list. One connection runs one thing at a time, so
 * the order matters: what the person asked for first, then polls and incremental syncs,
 * then initial syncs, which are long. A long task lets more urgent ones run between its
 * batches (`runUrgent`), so a 100k-message initial sync does not hold back new mail in
 * another folder or a folder the person just created.
 */
export const Priority = {
  /** Asked for by the person (create/rename/delete a folder, sync now). */
  user: 0,
  poll: 1,
  sync: 2,
  initial: 3,
} as const;

interface Task {
  key: string;
  priority: number;
  /** Orders tasks of the same priority (lower first), then first come first served. */
  order: number;
  seq: number;
  run: () => Promise<void>;
  done: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class WorkQueue {
  private tasks: Task[] = [];
  private readonly running = new Set<string>();
  private seq = 0;
  private wake: (() => void) | null = null;
  private closedWith: Error | null = null;

  /**
   * Adds a task unless one with the same key is queued already (its promise is returned
   * then). Resolves when the task ran; rejects with its error.
   */
  enqueue(key: string, priority: number, run: () => Promise<void>, order = 0): Promise<void> {
    if (this.closedWith) {
      // As for a queued task: a caller that does not await it must not leave an unhandled rejection.
      const refused = Promise.reject(this.closedWith);
      refused.catch(() => undefined);
      return refused;
    }
    const existing = this.tasks.find((t) => t.key === key);
    if (existing) return existing.done;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may await a background task: its failure is reported by the runner.
    done.catch(() => undefined);
    this.tasks.push({ key, priority, order, seq: this.seq++, run, done, resolve, reject });
    this.wake?.();
    return done;
  }

  has(key: string): boolean {
    return this.running.has(key) || this.tasks.some((t) => t.key === key);
  }

  get size(): number {
    return this.tasks.length;
  }

  private take(below = Infinity): Task | undefined {
    const before = (a: Task, b: Task) => a.priority - b.priority || a.order - b.order || a.seq - b.seq;
    let best: Task | undefined;
    for (const t of this.tasks) if (t.priority < below && (!best || before(t, best) < 0)) best = t;
    if (best) this.tasks.splice(this.tasks.indexOf(best), 1);
    return best;
  }

  private async execute(task: Task): Promise<void> {
    this.running.add(task.key);
    try {
      await task.run();
      task.resolve();
    } catch (e) {
      task.reject(e);
      throw e;
    } finally {
      this.running.delete(task.key);
    }
  }

  /** Runs the next task, waiting for one (or for `timeoutMs`). Returns whether one ran. */
  async runNext(timeoutMs: number): Promise<boolean> {
    let task = this.take();
    if (!task) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = null;
          resolve();
        }, timeoutMs);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
      task = this.take();
      if (!task) return false;
    }
    await this.execute(task);
    return true;
  }

  /** Runs every queued task more urgent than `priority` (from inside a running task). Returns whether any ran. */
  async runUrgent(priority: number): Promise<boolean> {
    let ran = false;
    for (let task = this.take(priority); task; task = this.take(priority)) {
      ran = true;
      await this.execute(task);
    }
    return ran;
  }

  /** Rejects everything queued (the connection is gone) and refuses new tasks until `reopen`. */
  close(error: Error): void {
    this.closedWith = error;
    const tasks = this.tasks;
    this.tasks = [];
    for (const t of tasks) t.reject(error);
    this.wake?.();
  }

  reopen(): void {
    this.closedWith = null;
  }
}
