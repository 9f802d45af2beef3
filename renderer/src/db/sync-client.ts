import type { FolderCursor, SyncBatch } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { applyBatch, type BatchHook } from './apply-deltas';
import { allCursors } from './queries';
import { removeAccount } from './remove-account';
import type { PetrelDb } from './schema';

/**
 * The glue between the engine and the mail store. It subscribes to `sync.deltas`, queues the
 * batches and applies them strictly one at a time in arrival order (batches that queued up
 * behind each other share one transaction, see MERGE_MAX_ITEMS), and on every transition
 * to 'connected' sends all stored cursors with `sync.resume` (after the batches received
 * before it are applied, so the cursors are as fresh as they can be). Progress deltas are
 * kept in memory here, never stored.
 *
 * After each batch (or merged run of them) the engine hears its `seq` (`sync.applied`): a first
 * sync fetches only a bounded way ahead of the store, so the host does not hold the difference.
 *
 * Safety of cursors: a cursor claims that everything before it is applied. If the batch
 * stream has a gap (a batch's `seq` is not the previous one plus 1: the RPC client drops
 * batches that fail validation) or a batch fails to apply, the session's later cursors are
 * dropped, so the next resume replays from before the loss. Data deltas are still applied:
 * they are idempotent and a replay converges.
 */

export interface SyncConnectionState {
  status: string;
}

export interface SyncHandlers {
  next: (batch: SyncBatch) => void;
  error?: (error: PetrelError) => void;
}

/** The part of the engine connection this uses; `Connection<PetrelContract>` fits it. */
export interface SyncConnection {
  readonly state: SyncConnectionState;
  onState(listener: (state: SyncConnectionState) => void): () => void;
  call(method: 'sync.resume', params: { cursors: FolderCursor[] }): Promise<unknown>;
  call(method: 'sync.applied', params: { seq: number }): Promise<unknown>;
  subscribe(event: 'sync.deltas', params: Record<string, never>, handlers: SyncHandlers): () => void;
}

export interface SyncProgress {
  accountId: string;
  path: string;
  synced: number;
  total: number;
  done: boolean;
}

export interface SyncClientState {
  /** Per folder, in order of first report. */
  progress: readonly SyncProgress[];
  /** Batches received and not yet applied. */
  pending: number;
  /** The latest failure (applying, resuming, the subscription); null until one happens. */
  lastError: string | null;
}

export interface SyncClientOptions {
  /** Treat a batch `seq` other than previous + 1 as lost batches (default true). */
  detectGaps?: boolean;
  /** Backoff for retrying a failed resume or a subscription the engine ended. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Hears every failure; default console.error. */
  onError?: (error: unknown) => void;
  /** Runs inside every batch's transaction, after its deltas (pending operations' overlay). */
  afterDeltas?: BatchHook;
}

interface Session {
  lastSeq: number | null;
  /** A batch was lost: the batches arriving after it store no cursors. */
  gap: boolean;
  /** A batch failed to apply: the batches applied after it store no cursors. */
  failed: boolean;
  resumeFailures: number;
}

type Task =
  /** `storeCursors` is decided on arrival: a gap taints the batches after it, not those before. */
  | { kind: 'batch'; batch: SyncBatch; session: Session; storeCursors: boolean }
  | { kind: 'resume'; session: Session }
  | { kind: 'remove'; accountId: string; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'barrier'; resolve: () => void };

const MAX_RESUME_RETRIES = 5;

/**
 * Batches waiting in the queue are applied together, in one transaction, up to this many
 * items (messages, flag changes, UIDs). When the store falls behind the engine (a first sync of
 * 100k headers), each transaction, and each re-run of the UI's live queries after it, then
 * carries several batches instead of one. The engine's batches hold up to 2,000.
 */
const MERGE_MAX_ITEMS = 6000;

export class SyncClient {
  private readonly queue: Task[] = [];
  private running = false;
  private stopped = false;
  private session: Session | null = null;
  private connected = false;
  private unsubscribe: (() => void) | undefined;
  private offState: (() => void) | undefined;
  private subFailures = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly removed = new Set<string>();
  private readonly progress = new Map<string, SyncProgress>();
  private readonly listeners = new Set<() => void>();
  private readonly idleWaiters: (() => void)[] = [];
  private state: SyncClientState = { progress: [], pending: 0, lastError: null };
  private readonly opts: Required<Omit<SyncClientOptions, 'afterDeltas'>>;
  private readonly afterDeltas: BatchHook | undefined;

  constructor(
    private readonly db: PetrelDb,
    private readonly conn: SyncConnection,
    options: SyncClientOptions = {},
  ) {
    const { afterDeltas, ...rest } = options;
    this.afterDeltas = afterDeltas;
    this.opts = {
      detectGaps: true,
      retryBaseMs: 1000,
      retryMaxMs: 30_000,
      onError: (e) => console.error('sync:', e),
      ...rest,
    };
  }

  /** Subscribes and starts following the connection. */
  start(): this {
    if (this.stopped || this.offState) return this;
    this.offState = this.conn.onState((s) => this.onStatus(s.status));
    this.subscribeDeltas();
    this.onStatus(this.conn.state.status);
    return this;
  }

  /** Stops: unsubscribes, drops queued batches (the batch being applied finishes). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.offState?.();
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const task of this.queue.splice(0)) {
      if (task.kind === 'remove') task.reject(new Error('The sync client stopped.'));
      else if (task.kind === 'barrier') task.resolve();
    }
    this.update({ pending: 0 });
    if (!this.running) this.settleIdle();
  }

  /** The current state (a new object after every change: fit for useSyncExternalStore). */
  readonly getState = (): SyncClientState => this.state;

  readonly onChange = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Resolves once everything queued so far is applied. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Resolves once the batches received so far are applied (unlike `idle`, later batches do not
   * hold it back). Operations wait for it before dropping their overlay (renderer/src/ops).
   */
  applied(): Promise<void> {
    if (this.stopped || (!this.running && this.queue.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.enqueue({ kind: 'barrier', resolve }));
  }

  /**
   * Removes an account's mail after the batches already received, and drops its deltas from
   * then on (they may still be on their way).
   */
  removeAccount(accountId: string): Promise<void> {
    this.removed.add(accountId);
    this.dropProgress(accountId);
    return new Promise((resolve, reject) => {
      if (this.stopped) {
        reject(new Error('The sync client stopped.'));
        return;
      }
      this.enqueue({ kind: 'remove', accountId, resolve, reject });
    });
  }

  /** Sends the cursors again (after the queued batches), e.g. when the person asks to refresh. */
  resync(): void {
    if (this.session && this.connected) this.enqueue({ kind: 'resume', session: this.session });
  }

  // -------------------------------------------------------------------------------------------

  private onStatus(status: string): void {
    if (this.stopped) return;
    const connected = status === 'connected';
    if (connected && !this.connected) {
      this.connected = true;
      this.beginSession();
    } else if (!connected && this.connected) {
      this.connected = false;
      this.session = null;
    }
  }

  private beginSession(): void {
    this.session = { lastSeq: null, gap: false, failed: false, resumeFailures: 0 };
    this.enqueue({ kind: 'resume', session: this.session });
  }

  private subscribeDeltas(): void {
    this.unsubscribe = this.conn.subscribe(
      'sync.deltas',
      {},
      {
        next: (batch) => this.receive(batch),
        error: (e) => this.subscriptionEnded(e),
      },
    );
  }

  /** The engine ended the subscription (not a lost connection: the Connection handles that). */
  private subscriptionEnded(error: PetrelError): void {
    if (this.stopped) return;
    this.fail(error);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.later(this.backoff(this.subFailures++), () => {
      this.subscribeDeltas();
      // A new stream: a new seq baseline, and the engine must hear where to resume.
      if (this.connected) this.beginSession();
    });
  }

  private receive(batch: SyncBatch): void {
    if (this.stopped) return;
    this.subFailures = 0;
    this.session ??= { lastSeq: null, gap: false, failed: false, resumeFailures: 0 };
    const session = this.session;
    if (this.opts.detectGaps && session.lastSeq !== null && batch.seq !== session.lastSeq + 1) {
      if (!session.gap) {
        this.fail(
          new Error(`Sync batches out of sequence (${session.lastSeq} then ${batch.seq}): cursors wait for the next resume.`),
        );
      }
      session.gap = true;
    }
    session.lastSeq = batch.seq;
    this.enqueue({ kind: 'batch', batch, session, storeCursors: !session.gap });
  }

  private enqueue(task: Task): void {
    this.queue.push(task);
    if (task.kind === 'batch') this.update({ pending: this.state.pending + 1 });
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let task = this.queue.shift(); task && !this.stopped; task = this.queue.shift()) {
        if (task.kind === 'batch') {
          const merged = this.mergeQueued(task);
          await this.run(merged.task);
          if (!this.stopped) this.update({ pending: Math.max(0, this.state.pending - merged.count) });
          this.reportApplied(merged.task);
        } else {
          await this.run(task);
        }
      }
    } finally {
      this.running = false;
      this.settleIdle();
    }
  }

  /**
   * `first` and the batch tasks right behind it in the queue that can share its transaction:
   * same session and same cursor decision (a gap taints only the batches after it), in order.
   * Applying them together gives the store they would give one by one: the deltas run in the
   * same order in one transaction, which reads its own writes.
   */
  private mergeQueued(first: Extract<Task, { kind: 'batch' }>): { task: Extract<Task, { kind: 'batch' }>; count: number } {
    let items = itemsOf(first.batch);
    let deltas: SyncBatch['deltas'] | null = null;
    let last = first.batch;
    let count = 1;
    for (let next = this.queue[0]; next?.kind === 'batch'; next = this.queue[0]) {
      if (next.session !== first.session || next.storeCursors !== first.storeCursors) break;
      const more = itemsOf(next.batch);
      if (items + more > MERGE_MAX_ITEMS) break;
      this.queue.shift();
      deltas ??= [...first.batch.deltas];
      for (const d of next.batch.deltas) deltas.push(d);
      items += more;
      last = next.batch;
      count++;
    }
    if (!deltas) return { task: first, count };
    return { task: { ...first, batch: { seq: last.seq, deltas } }, count };
  }

  private async run(task: Task): Promise<void> {
    switch (task.kind) {
      case 'batch':
        return this.applyOne(task.batch, task.session, task.storeCursors && !task.session.failed);
      case 'resume':
        return this.resume(task.session);
      case 'barrier':
        task.resolve();
        return;
      case 'remove':
        try {
          await removeAccount(this.db, task.accountId);
          task.resolve();
        } catch (e) {
          task.reject(e);
        }
        return;
    }
  }

  private async applyOne(batch: SyncBatch, session: Session, storeCursors: boolean): Promise<void> {
    try {
      const result = await applyBatch(this.db, batch, {
        storeCursors,
        skipAccounts: this.removed,
        ...(this.afterDeltas ? { afterDeltas: this.afterDeltas } : {}),
      });
      let changed = false;
      for (const p of result.progress) {
        if (this.removed.has(p.accountId)) continue;
        const { accountId, path, synced, total, done } = p;
        this.progress.set(`${accountId}\u0000${path}`, { accountId, path, synced, total, done });
        changed = true;
      }
      // A folder gone from the account's list (deleted on the server mid-sync) reports no more.
      for (const d of batch.deltas) {
        if (d.kind !== 'folders') continue;
        const paths = new Set(d.folders.map((f) => f.path));
        for (const [key, p] of this.progress) {
          if (p.accountId === d.accountId && !paths.has(p.path)) changed = this.progress.delete(key) || changed;
        }
      }
      if (changed) this.update({ progress: [...this.progress.values()] });
    } catch (e) {
      // Nothing of the batch was written (one transaction). Its data comes again after the
      // next resume, as long as no later cursor claims it.
      session.failed = true;
      this.fail(e);
    }
  }

  /**
   * Tells the engine the batch is done with (stored, or failed and left to the next resume),
   * so a first sync fetches on: the engine runs only a bounded way ahead of the store.
   */
  private reportApplied(task: Extract<Task, { kind: 'batch' }>): void {
    if (this.stopped || task.session !== this.session || !this.connected) return;
    // A lost connection resumes, which starts the engine's count afresh.
    this.conn.call('sync.applied', { seq: task.batch.seq }).catch(() => undefined);
  }

  private async resume(session: Session): Promise<void> {
    if (session !== this.session || !this.connected) return;
    let cursors: FolderCursor[];
    try {
      // Reading IndexedDB takes at least a task, so the Connection (which re-subscribes right
      // after announcing 'connected') has sent its `sub` before this `sync.resume`.
      cursors = await allCursors(this.db);
    } catch (e) {
      this.fail(e);
      return;
    }
    // Not awaited: batches keep being applied while the engine answers.
    this.conn.call('sync.resume', { cursors }).catch((e: unknown) => {
      if (this.stopped || session !== this.session) return;
      this.fail(e);
      // A lost connection resumes on the next 'connected'; anything else is retried a few times.
      if (e instanceof PetrelError && e.code === 'DISCONNECTED') return;
      if (session.resumeFailures >= MAX_RESUME_RETRIES) return;
      this.later(this.backoff(session.resumeFailures++), () => {
        if (session === this.session && this.connected) this.enqueue({ kind: 'resume', session });
      });
    });
  }

  private dropProgress(accountId: string): void {
    let changed = false;
    for (const [key, p] of this.progress) {
      if (p.accountId === accountId) {
        this.progress.delete(key);
        changed = true;
      }
    }
    if (changed) this.update({ progress: [...this.progress.values()] });
  }

  private fail(error: unknown): void {
    this.update({ lastError: error instanceof Error ? error.message : String(error) });
    this.opts.onError(error);
  }

  private backoff(failures: number): number {
    return Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** Math.min(failures, 16));
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(timer);
  }

  private update(patch: Partial<SyncClientState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  private settleIdle(): void {
    if (this.running || (this.queue.length > 0 && !this.stopped)) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

/** Creates and starts a SyncClient. */
export function startSync(db: PetrelDb, conn: SyncConnection, options?: SyncClientOptions): SyncClient {
  return new SyncClient(db, conn, options).start();
}

function itemsOf(batch: SyncBatch): number {
  let n = 0;
  for (const d of batch.deltas) {
    if (d.kind === 'upsert') n += d.messages.length;
    else if (d.kind === 'flags') n += d.changes.length;
    else if (d.kind === 'expunge') n += d.uids.length;
    else n++;
  }
  return n;
}
