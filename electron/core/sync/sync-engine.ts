/**
 * The sync engine: keeps every folder of every account in sync with the renderer, which
 * holds the only copy of mail. It keeps no mail itself; it streams idempotent deltas in
 * batches and resumes from the cursors the renderer hands back on every (re)connect.
 *
 * Per account (see AccountSync): a worker connection (folder list, STATUS polling, syncs
 * of all folders but INBOX), an INBOX connection in IDLE (push), and a short-lived one
 * for bodies on demand. Nothing is synced before the first `resume`, so no account is
 * synced from scratch only because the renderer had not said what it holds yet; the
 * connections may be opened before it (`preconnect`), while the renderer starts.
 */
import type { ImapFlow } from 'imapflow';
import type { AccountStatus, FolderCursor, MessageBody, Operation, OperationResult, SyncBatch, SyncDelta } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { Listeners } from '../../../shared/ipc/transport';
import { HeapTrimmer, type HeapTrimmerOptions } from '../heap';
import type { Logger } from '../log';
import { AccountSync, type AccountSyncOptions } from './account-sync';
import type { BackoffOptions } from './backoff';
import { DeltaBatcher, itemsOf, type BatcherOptions } from './batcher';
import { DeliveryWindow, type DeliveryWindowOptions } from './delivery-window';
import type { BodyRef } from './body-fetcher';
import type { SyncAccount } from './connection';
import { OpMemo } from './op-memo';

/**
 * The heap trimmer's limit after a body download request (the header sync's is 40 MB). The
 * download keeps more alive between its requests (two of up to 3 MB in flight, parsed), so at
 * 40 MB a forced collection followed nearly every request and reclaimed little: the 10k
 * offline download took the host 18.3 s of CPU instead of 13.7 s at 64 MB (benchmark, 3 runs each).
 */
const BODIES_HEAP_LIMIT_BYTES = 64 * 1024 * 1024;

export type { SyncAccount } from './connection';

export interface SyncEngineOptions {
  log: Logger;
  getAccounts: () => Promise<SyncAccount[]>;
  /** Other folders' STATUS polling. Default 5000 ms. */
  pollIntervalMs?: number;
  /**
   * The same poll where the server notifies the worker of changes (NOTIFY, RFC 5465): a
   * safety net, and what finds folders created or renamed elsewhere. Default 30000 ms.
   */
  notifyPollIntervalMs?: number;
  /** imapflow re-issues IDLE at least this often (RFC 2177: before 29 minutes). Default 10 min. */
  idleRestartMs?: number;
  /** NOOP probe interval on idle connections (a dead one is noticed within a minute). Default 30000 ms. */
  livenessMs?: number;
  /** How long a probe may take before the connection is destroyed. Default 15000 ms. */
  probeTimeoutMs?: number;
  /**
   * Initial-sync batch sizes, newest first; the last repeats. Default [50, 500, 2000]: larger
   * slices cost the host's peak memory (5,000: ~16 MB more at 100k) and gain nothing now that
   * FETCH lines are cheap to read (fetch-line.ts).
   */
  batchSizes?: number[];
  /** Folders without CONDSTORE are compared in full this often (flag changes leave STATUS alone). Default 120000 ms. */
  rescanMs?: number;
  /** IDLE notifications within this window make one sync (those of one delivery arrive together). Default 5 ms. */
  debounceMs?: number;
  /** The on-demand body connection closes after this long unused. Default 60000 ms. */
  bodyIdleCloseMs?: number;
  backoff?: BackoffOptions;
  batcher?: BatcherOptions;
  /** How far a first sync may run ahead of what the renderer reports applied (delivery-window.ts). */
  deliveryWindow?: DeliveryWindowOptions;
  /** Where copies and moves are journaled so none runs twice across restarts (op-memo.ts). None: memory only. */
  opJournalFile?: string;
  heap?: HeapTrimmerOptions;
}

export class SyncEngine {
  private readonly accounts = new Map<string, AccountSync>();
  private readonly batches = new Listeners<[SyncBatch]>();
  private readonly statusListeners = new Listeners<[AccountStatus[]]>();
  private readonly batcher: DeltaBatcher;
  private readonly window: DeliveryWindow;
  private readonly ops: OpMemo;
  private readonly accountOptions: AccountSyncOptions;
  private cursors: FolderCursor[] = [];
  /** Big syncs and body downloads leave V8's heap large; this gives the memory back. */
  private readonly heap: HeapTrimmer;
  private started = false;
  private closed = false;
  private changing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: SyncEngineOptions) {
    this.ops = new OpMemo(opts.opJournalFile !== undefined ? { file: opts.opJournalFile } : {});
    this.heap = new HeapTrimmer(opts.heap);
    const livenessMs = opts.livenessMs ?? 30_000;
    this.window = new DeliveryWindow(opts.deliveryWindow);
    this.accountOptions = {
      pollIntervalMs: opts.pollIntervalMs ?? 5000,
      notifyPollIntervalMs: opts.notifyPollIntervalMs ?? 30_000,
      idleRestartMs: opts.idleRestartMs ?? 10 * 60_000,
      livenessMs,
      probeTimeoutMs: opts.probeTimeoutMs ?? 15_000,
      rescanMs: opts.rescanMs ?? 120_000,
      debounceMs: opts.debounceMs ?? 5,
      batchSizes: opts.batchSizes ?? [50, 500, 2000],
      bodyIdleCloseMs: opts.bodyIdleCloseMs ?? 60_000,
      // Silence on a socket is probed, then fatal, after this long (imapflow's socketTimeout).
      socketTimeoutMs: Math.max(60_000, 2 * livenessMs),
      connectTimeoutMs: 15_000,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      room: () => this.window.room(),
    };
    this.batcher = new DeltaBatcher((batch) => {
      let items = 0;
      for (const d of batch.deltas) items += itemsOf(d);
      this.window.sent(batch.seq, items);
      this.batches.emit(batch);
      this.heap.activity();
    }, opts.batcher);
  }

  onBatch(listener: (batch: SyncBatch) => void): () => void {
    return this.batches.add(listener);
  }

  /** The renderer has stored every batch up to `seq` (it may fetch further ahead again). */
  applied(seq: number): void {
    this.window.applied(seq);
  }

  onStatus(listener: (statuses: AccountStatus[]) => void): () => void {
    return this.statusListeners.add(listener);
  }

  statuses(): AccountStatus[] {
    return [...this.accounts.values()].map((a) => a.currentStatus);
  }

  /**
   * Starts (or continues) syncing every account from the renderer's cursors. Never
   * rejects: callers fire and forget it, and what goes wrong later shows in the statuses.
   */
  async resume(cursors: FolderCursor[]): Promise<void> {
    if (this.closed) return;
    this.cursors = cursors;
    this.window.reset();
    if (!this.started) {
      this.started = true;
      await this.accountsChanged().catch((e: unknown) => this.opts.log.error('listing the accounts to sync failed', e));
    }
    // Syncs started before this resume end without a cursor (see AccountSyncState.generation):
    // it would vouch for deltas this renderer may never have received.
    for (const a of this.accounts.values()) {
      a.resume(cursors.filter((c) => c.accountId === a.id));
      a.start();
    }
  }

  /**
   * At launch, before the renderer's first resume: every account's connections are opened
   * and logged in, nothing more (nothing is synced before resume says what the renderer
   * holds), so the first resume only selects and compares. Resolves once they are open
   * (or failed: the sessions retry); never rejects.
   */
  async preconnect(): Promise<void> {
    if (this.started || this.closed) return;
    await this.accountsChanged().catch((e: unknown) => this.opts.log.error('listing the accounts to sync failed', e));
    if (this.started || this.closed) return;
    await Promise.all([...this.accounts.values()].map((a) => a.preconnect()));
  }

  async syncNow(accountId?: string): Promise<void> {
    this.assertOpen();
    const targets = accountId ? [this.account(accountId)] : [...this.accounts.values()];
    await Promise.all(targets.map((a) => a.syncNow()));
  }

  /** Accounts were added, removed or edited: connect new ones, close removed ones, reconnect edited ones. */
  accountsChanged(): Promise<void> {
    const run = this.changing.then(() => this.applyAccounts());
    this.changing = run.catch(() => undefined);
    return run;
  }

  private async applyAccounts(): Promise<void> {
    if (this.closed) return;
    const list = await this.opts.getAccounts();
    const wanted = new Map(list.map((sa) => [sa.account.id, sa]));
    const removed = [...this.accounts.values()].filter((a) => !wanted.has(a.id));
    for (const a of removed) this.accounts.delete(a.id);
    for (const [id, sa] of wanted) {
      const existing = this.accounts.get(id);
      if (existing) {
        existing.update(sa);
        continue;
      }
      const a = new AccountSync(sa, (d) => this.push(d), () => this.emitStatuses(), this.accountOptions, this.opts.log.child(`sync:${id}`));
      this.accounts.set(id, a);
      if (this.started) {
        a.resume(this.cursors.filter((c) => c.accountId === id));
        a.start();
      }
    }
    await Promise.all(removed.map((a) => a.close()));
    this.emitStatuses();
  }

  fetchBody(ref: BodyRef): Promise<MessageBody> {
    this.assertOpen();
    return this.account(ref.accountId).fetchBody(ref);
  }

  /** Bodies of many messages of one folder, for offline reading (the renderer decides which). */
  async fetchBodies(folder: Omit<BodyRef, 'uid'>, uids: readonly number[], sizes?: readonly number[]): Promise<MessageBody[]> {
    this.assertOpen();
    try {
      return await this.account(folder.accountId).fetchBodies(folder, uids, sizes);
    } finally {
      this.heap.activity(BODIES_HEAP_LIMIT_BYTES);
    }
  }

  /**
   * Runs a message operation (the remote phase; see operations.ts) on the account's worker
   * connection, ahead of any sync. Idempotent by opId (OpMemo; copies and moves also across restarts). Resolves after
   * every delta emitted before the operation was sent, so the renderer holds them once it
   * has applied what it received before this answer.
   */
  async runOperation(op: Operation): Promise<OperationResult> {
    this.assertOpen();
    return await this.ops.run(op, async (uncertain) => {
      const outcome = await this.account(op.accountId).runOperation(op, uncertain);
      this.batcher.flush();
      return outcome;
    });
  }

  /** Creates a folder on the server; resolves once the new folder list has been sent. */
  createFolder(accountId: string, path: string): Promise<void> {
    return this.folderOp(accountId, 'creating a folder', (c) => c.mailboxCreate(path));
  }

  renameFolder(accountId: string, from: string, to: string): Promise<void> {
    return this.folderOp(accountId, 'renaming a folder', (c) => c.mailboxRename(from, to));
  }

  deleteFolder(accountId: string, path: string): Promise<void> {
    return this.folderOp(accountId, 'deleting a folder', (c) => c.mailboxDelete(path));
  }

  private async folderOp(accountId: string, what: string, op: (client: ImapFlow) => Promise<unknown>): Promise<void> {
    this.assertOpen();
    await this.account(accountId).folderOp(what, op);
    this.batcher.flush();
  }

  /** The network is back or the machine woke up: check the connections now, reconnect at once. */
  networkChanged(): void {
    for (const a of this.accounts.values()) a.networkChanged();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.window.close();
    await this.changing;
    const all = [...this.accounts.values()];
    await Promise.all(all.map((a) => a.close()));
    this.batcher.close();
    this.heap.close();
    this.batches.clear();
    this.statusListeners.clear();
  }

  private push(delta: SyncDelta): void {
    if (this.accounts.has(delta.kind === 'cursor' ? delta.cursor.accountId : delta.accountId)) this.batcher.push(delta);
  }

  private emitStatuses(): void {
    if (!this.closed) this.statusListeners.emit(this.statuses());
  }

  private account(id: string): AccountSync {
    const a = this.accounts.get(id);
    if (!a) throw new PetrelError('NOT_FOUND', 'There is no such account.');
    return a;
  }

  private assertOpen(): void {
    if (this.closed) throw new PetrelError('CANCELLED', 'The sync engine is closed.');
  }
}
