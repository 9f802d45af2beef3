import {
  OperationSchema,
  type AccountStatus,
  type Operation,
  type OperationDraft,
  type OperationResult,
} from '../../../shared/contract';
import { PetrelError, toErrorData, type ErrorCode, type ErrorData } from '../../../shared/errors';
import type { OpRecord, PetrelDb } from '../db/schema';
import { applyLocal, opTables, revertLocal } from './local';

/**
 * Message operations (shared/contract/operations.ts) from the renderer's side. The UI never
 * writes mail state but through here.
 *
 * `run(draft)` is the LOCAL phase: one IndexedDB transaction changes the affected messages
 * and counts (local.ts) and stores the operation as 'pending' in the `ops` table; the UI
 * shows the change at once. The REMOTE phase follows in the background: operations go to
 * the engine (`ops.run`) one at a time, in the order they were made (per account: an account
 * that is offline holds back only its own). Then:
 *
 * - success: the operation is deleted once the sync batches received before the answer are
 *   applied (the engine sends them ahead of it), so no delta from before the change can
 *   show the old state after its overlay is gone;
 * - a retryable error (the engine or the account unreachable): the operation stays pending
 *   and is tried again when the engine connection or the account comes back, and with
 *   backoff; later operations of the account wait behind it;
 * - CONFLICT (the folder has another UIDVALIDITY): the operation is dropped, its local change
 *   undone, and the folder resynced (`onConflict`);
 * - any other error: the local change is undone and the operation kept as 'failed' with the
 *   error, which the UI shows until the person dismisses it.
 *
 * The engine is idempotent by opId for a while, so an operation whose answer was lost (the
 * window closed during the call: it is 'running' at the next start) is simply sent again.
 * Until an operation is confirmed, every sync batch re-applies its local change
 * (`pendingOpsOverlay`).
 */

export interface OpsConnectionState {
  status: string;
}

/** The part of the engine connection this uses; `Connection<PetrelContract>` fits it. */
export interface OpsConnection {
  readonly state: OpsConnectionState;
  onState(listener: (state: OpsConnectionState) => void): () => void;
  call(method: 'ops.run', params: { op: Operation }): Promise<{ result: OperationResult }>;
  subscribe(
    event: 'accounts.status',
    params: Record<string, never>,
    handlers: { next: (data: { statuses: AccountStatus[] }) => void },
  ): () => void;
}

export interface OpsRunnerOptions {
  /** Resolves once the sync batches received so far are applied (SyncClient.applied). */
  settled?: () => Promise<void>;
  /** A folder changed its UIDVALIDITY under an operation: resync (SyncClient.resync). */
  onConflict?: (op: Operation) => void;
  retryBaseMs?: number;
  retryMaxMs?: number;
  now?: () => number;
  newId?: () => string;
  /** Hears failures of the runner itself (IndexedDB), not of operations; default console.error. */
  onError?: (error: unknown) => void;
}

/** Errors that go away by themselves: the operation waits and is tried again. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['DISCONNECTED', 'SERVER_UNREACHABLE', 'TIMEOUT', 'CONNECTION_TIMEOUT', 'CANCELLED']);

export function isRetryable(code: ErrorCode): boolean {
  return RETRYABLE.has(code);
}

function randomId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return `op-${Date.now().toString(36)}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const errorOf = (e: unknown): ErrorData => (e instanceof PetrelError ? e.toData() : toErrorData(e));

type Outcome = 'done' | 'retry' | 'failed';

export class OpsRunner {
  private readonly opts: Required<OpsRunnerOptions>;
  private pumping: Promise<void> | null = null;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private stopped = false;
  private started = false;
  private readonly offs: (() => void)[] = [];
  private readonly online = new Map<string, string>();

  constructor(
    readonly db: PetrelDb,
    private readonly conn: OpsConnection,
    options: OpsRunnerOptions = {},
  ) {
    this.opts = {
      settled: () => Promise.resolve(),
      onConflict: () => undefined,
      retryBaseMs: 2000,
      retryMaxMs: 60_000,
      now: Date.now,
      newId: randomId,
      onError: (e) => console.error('operations:', e),
      ...options,
    };
  }

  /** Follows the connection and the accounts; sends what is waiting (also from an earlier session). */
  start(): this {
    if (this.started || this.stopped) return this;
    this.started = true;
    this.offs.push(
      this.conn.onState((s) => {
        if (s.status === 'connected') this.kick();
      }),
    );
    this.offs.push(
      this.conn.subscribe(
        'accounts.status',
        {},
        {
          next: ({ statuses }) => {
            let back = false;
            for (const s of statuses) {
              if (s.state === 'online' && this.online.get(s.accountId) !== 'online') back = true;
              this.online.set(s.accountId, s.state);
            }
            if (back) this.kick();
          },
        },
      ),
    );
    // 'running' from an earlier session: its answer was lost; the engine's opId memo makes a resend safe.
    void this.db.ops
      .toCollection()
      .modify((o) => {
        if (o.state === 'running') o.state = 'pending';
      })
      .then(() => this.kick(), this.opts.onError);
    return this;
  }

  stop(): void {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * The local phase: changes the store and stores the operation (one transaction), then
   * starts the remote phase in the background. Rejects, changing nothing, when the operation
   * cannot apply (NOT_FOUND: no such special folder; BAD_REQUEST: malformed).
   */
  async run(draft: OperationDraft): Promise<OpRecord> {
    const parsed = OperationSchema.safeParse({ ...draft, opId: this.opts.newId() });
    if (!parsed.success) throw new PetrelError('BAD_REQUEST', `Not a valid operation: ${parsed.error.issues[0]?.message ?? ''}`);
    const op = parsed.data;
    const record = await this.db.transaction('rw', opTables(this.db), async () => {
      const undo = await applyLocal(this.db, op);
      const r: OpRecord = {
        opId: op.opId,
        accountId: op.accountId,
        op,
        state: 'pending',
        attempts: 0,
        error: null,
        createdAt: this.opts.now(),
        undo,
      };
      r.seq = await this.db.ops.add(r);
      return r;
    });
    this.kick();
    return record;
  }

  /** Forgets a failed operation (the person read the error). */
  async dismiss(opId: string): Promise<void> {
    await this.db.ops.where('opId').equals(opId).and((o) => o.state === 'failed').delete();
  }

  /** Resolves when nothing is being sent (for tests). */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Sends what is pending now (after a reconnect, or new work). */
  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch((e: unknown) => this.opts.onError(e))
      .finally(() => {
        this.pumping = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      const waiting = (await this.db.ops.orderBy('seq').toArray()).filter((o) => o.state !== 'failed');
      if (waiting.length === 0) {
        this.failures = 0;
        return;
      }
      const held = new Set<string>();
      for (const o of waiting) {
        if (this.stopped || this.conn.state.status !== 'connected') return;
        if (held.has(o.accountId)) continue;
        if ((await this.send(o)) === 'retry') held.add(o.accountId);
      }
      if (held.size > 0) {
        this.retryLater();
        return;
      }
      this.failures = 0;
    } while (this.again);
  }

  private retryLater(): void {
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** Math.min(this.failures++, 16));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, delay);
  }

  private async send(o: OpRecord): Promise<Outcome> {
    const seq = o.seq!;
    // Still there (not dismissed, its account not removed)? Then it is running now.
    const running = await this.db.transaction('rw', this.db.ops, async () => {
      const now = await this.db.ops.get(seq);
      if (!now || now.state === 'failed') return false;
      await this.db.ops.update(seq, { state: 'running', attempts: now.attempts + 1 });
      return true;
    });
    if (!running) return 'done';
    try {
      await this.conn.call('ops.run', { op: o.op });
    } catch (e) {
      const error = errorOf(e);
      if (isRetryable(error.code)) {
        await this.db.ops.update(seq, { state: 'pending', error });
        return 'retry';
      }
      await this.db.transaction('rw', opTables(this.db), async () => {
        const now = await this.db.ops.get(seq);
        if (!now) return;
        await revertLocal(this.db, now.op, now.undo);
        if (error.code === 'CONFLICT') await this.db.ops.delete(seq);
        else await this.db.ops.update(seq, { state: 'failed', error });
      });
      if (error.code === 'CONFLICT') this.opts.onConflict(o.op);
      return 'failed';
    }
    // The deltas sent ahead of the answer are applied under the overlay first.
    await this.opts.settled().catch(() => undefined);
    await this.db.ops.delete(seq);
    return 'done';
  }
}

export function startOps(db: PetrelDb, conn: OpsConnection, options?: OpsRunnerOptions): OpsRunner {
  return new OpsRunner(db, conn, options).start();
}
