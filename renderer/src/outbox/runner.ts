import type {
  BuiltMessage,
  ComposeInputIn,
  OutboxStatus,
  SubmitParamsIn,
  SubmitResult,
} from '../../../shared/contract';
import { PetrelError, toErrorData, type ErrorCode, type ErrorData } from '../../../shared/errors';
import { parseAddresses } from './addresses';
import { toComposeInput } from './compose-input';
import type { OutboxDb } from './schema';
import type { ComposerContent, OutboxEntry, OutboxState } from './types';

/**
 * Takes the outbox's messages to the engine, one at a time, and records every step in
 * IndexedDB *before* it happens, so that whatever stops (the window, the engine, the network)
 * a message is neither lost nor sent twice:
 *
 *   - Send builds the message once (outbox.build: MIME, Message-ID) and commits it to the
 *     outbox before anything else; if the engine is unreachable the entry is committed
 *     unbuilt and built (once) when the engine is back;
 *   - an entry is marked 'sending' (committed) before outbox.submit is called;
 *   - an entry found 'sending' that this runner is not working on (after a restart, or a lost
 *     engine connection) is reconciled with the engine (outbox.status): the engine's journal
 *     knows whether the message went out. Submitting again is safe only because the engine is
 *     idempotent by Message-ID; a message that may have gone out becomes 'uncertain' and only
 *     the person can send it again (sendAgain);
 *   - temporary failures are retried with backoff, and at once when the engine connection or
 *     the account comes back; the others wait for the person (retry, edit, discard).
 */

export interface OutboxConnectionState {
  status: string;
}

/** The part of the engine connection this uses; `Connection<PetrelContract>` fits it. */
export interface OutboxConnection {
  readonly state: OutboxConnectionState;
  onState(listener: (state: OutboxConnectionState) => void): () => void;
  call(method: 'outbox.build', params: ComposeInputIn): Promise<BuiltMessage>;
  call(method: 'outbox.submit', params: SubmitParamsIn): Promise<SubmitResult>;
  call(method: 'outbox.status', params: { accountId: string; messageId: string }): Promise<OutboxStatus>;
}

export interface OutboxRunnerOptions {
  now?: () => number;
  /** First retry delay after a temporary failure; doubles up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Hears failures of the runner itself (not of sending); default console.error. */
  onError?: (error: unknown) => void;
  /** New outbox keys (tests make them predictable). */
  newId?: () => string;
  /**
   * The server accepted the message (heard once per successful submission; a reconciled one
   * may be heard again). Replies and forwards mark their original here.
   */
  onSent?: (entry: OutboxEntry) => void;
}

export interface SendOptions {
  /** The undo window; 0 sends at once. */
  undoMs: number;
  saveToSent?: boolean;
}

/** Errors that may go away by themselves: tried again with backoff. */
const TEMPORARY: ReadonlySet<ErrorCode> = new Set(['SERVER_UNREACHABLE', 'CONNECTION_TIMEOUT', 'STORAGE_FAILED']);
/** The engine connection broke during the call: the outcome is unknown here. */
const LOST: ReadonlySet<ErrorCode> = new Set(['DISCONNECTED', 'TIMEOUT', 'CANCELLED']);

export function isRetryable(error: ErrorData): boolean {
  if (TEMPORARY.has(error.code)) return true;
  return error.details?.temporary === true;
}

const errorOf = (e: unknown): ErrorData => (e instanceof PetrelError ? e.toData() : toErrorData(e));

function dueAt(e: OutboxEntry): number | null {
  switch (e.state) {
    case 'waiting':
    case 'queued':
      return e.sendAt;
    case 'failed':
      return e.retryable ? (e.nextAttemptAt ?? e.sendAt) : null;
    case 'filing':
      return e.nextAttemptAt ?? e.sendAt;
    default:
      return null;
  }
}

type Built = OutboxEntry & { messageId: string; raw: string; envelope: NonNullable<OutboxEntry['envelope']> };
const isBuilt = (e: OutboxEntry): e is Built => e.messageId !== undefined && e.raw !== undefined && e.envelope !== undefined;

export class OutboxRunner {
  private readonly opts: Required<OutboxRunnerOptions>;
  private readonly now: () => number;
  /** Entries this runner is working on right now (a 'sending' entry not in here is orphaned). */
  private readonly claimed = new Set<string>();
  private pumping: Promise<void> | undefined;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private offState: (() => void) | undefined;
  private stopped = false;
  /** Reconciling could not reach the engine: try again after this (or on reconnect). */
  private reconcileBackoffUntil = 0;

  constructor(
    readonly db: OutboxDb,
    private readonly conn: OutboxConnection,
    options: OutboxRunnerOptions = {},
  ) {
    this.opts = {
      now: Date.now,
      retryBaseMs: 5_000,
      retryMaxMs: 5 * 60_000,
      onError: (e) => console.error('outbox:', e),
      newId: () => `out-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`,
      onSent: () => undefined,
      ...options,
    };
    this.now = this.opts.now;
  }

  start(): this {
    if (this.offState || this.stopped) return this;
    this.offState = this.conn.onState((s) => {
      if (s.status === 'connected') {
        this.reconcileBackoffUntil = 0;
        void this.kick();
      }
    });
    void this.kick();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.offState?.();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when the current round of work is done (for tests and callers that wait). */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Looks for due work now. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = this.pump()
      .catch((e: unknown) => this.opts.onError(e))
      .finally(() => {
        this.pumping = undefined;
        this.schedule().catch((e: unknown) => this.opts.onError(e));
      });
    return this.pumping;
  }

  // ---- what the UI does ---------------------------------------------------------------------

  /**
   * Send: builds the message (when the engine is reachable) and commits it to the outbox in
   * its undo window. Rejects, committing nothing, when the engine refuses to build it (an
   * attachment too large, an identity gone): the composer stays open with the reason.
   */
  async send(content: ComposerContent, options: SendOptions): Promise<OutboxEntry> {
    const { input, problems } = toComposeInput(content);
    if (problems) {
      throw new PetrelError('BAD_REQUEST', problems.noRecipients ? 'Add at least one recipient.' : 'Some addresses are not valid.', {
        ...problems,
      });
    }
    let built: BuiltMessage | undefined;
    if (this.connected()) {
      try {
        built = await this.conn.call('outbox.build', input);
      } catch (e) {
        // The engine went away: keep it unbuilt; it is built when the engine is back.
        if (!LOST.has(errorOf(e).code)) throw e;
      }
    }
    const now = this.now();
    const to = [...(input.to ?? []), ...(input.cc ?? []), ...(input.bcc ?? [])].map((a) => a.address);
    const entry: OutboxEntry = {
      id: this.opts.newId(),
      accountId: content.accountId,
      input,
      ...(built ? { messageId: built.messageId, raw: built.raw, size: built.size, envelope: built.envelope } : {}),
      summary: { from: built?.envelope.from ?? '', to, subject: content.subject },
      content,
      ...(content.draftRef ? { draftRef: content.draftRef } : {}),
      saveToSent: options.saveToSent ?? true,
      state: options.undoMs > 0 ? 'waiting' : 'queued',
      sendAt: now + Math.max(0, options.undoMs),
      createdAt: now,
      updatedAt: now,
      attempts: 0,
    };
    await this.db.outbox.add(entry);
    void this.kick();
    return entry;
  }

  /** Takes a message back during its undo window: nothing was sent. Null when it is too late. */
  undo(id: string): Promise<ComposerContent | null> {
    return this.take(id, ['waiting']);
  }

  /** Ends the undo window now. */
  async sendNow(id: string): Promise<void> {
    await this.update(id, ['waiting'], () => ({ state: 'queued', sendAt: this.now() }));
    void this.kick();
  }

  /** Tries a failed message again now (or the Sent copy of a 'filing' one). */
  async retry(id: string): Promise<void> {
    await this.update(id, ['failed', 'filing'], (e) =>
      e.state === 'failed'
        ? { state: 'queued', sendAt: this.now(), nextAttemptAt: undefined, retryable: undefined }
        : { nextAttemptAt: this.now() },
    );
    void this.kick();
  }

  /** Moves a message that did not go out back to a composer (it leaves the outbox). */
  edit(id: string): Promise<ComposerContent | null> {
    return this.take(id, ['waiting', 'queued', 'failed', 'uncertain']);
  }

  /**
   * Removes a message from the outbox: one not sent ("Delete", "Don't send"), a 'sent' one
   * whose notice was read, or a 'filing' one whose Sent copy the person gives up on.
   */
  async discard(id: string): Promise<boolean> {
    return (await this.take(id, ['waiting', 'queued', 'failed', 'uncertain', 'sent', 'filing'])) !== null;
  }

  /** "Send again" for an uncertain message: the person accepts it may arrive twice. */
  async sendAgain(id: string): Promise<void> {
    const entry = await this.claim(id, ['uncertain']);
    if (!entry) return;
    await this.submit(entry, true);
    void this.kick();
  }

  /** An account is reachable again: its temporary failures are tried at once. */
  async accountOnline(accountId: string): Promise<void> {
    const now = this.now();
    const changed = await this.db.transaction('rw', this.db.outbox, async () => {
      const list = await this.db.outbox
        .filter((e) => e.accountId === accountId && (e.state === 'filing' || (e.state === 'failed' && !!e.retryable)))
        .toArray();
      for (const e of list) await this.db.outbox.update(e.id, { nextAttemptAt: now });
      return list.length;
    });
    if (changed > 0) void this.kick();
  }

  // ---- the work ----------------------------------------------------------------------------

  private connected(): boolean {
    return this.conn.state.status === 'connected' && !this.stopped;
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      await this.round();
    } while (this.again && !this.stopped);
  }

  private async round(): Promise<void> {
    // The undo window is over for these: they are queued, connected or not.
    const now = this.now();
    await this.db.transaction('rw', this.db.outbox, async () => {
      const ended = await this.db.outbox.filter((e) => e.state === 'waiting' && e.sendAt <= now).toArray();
      for (const e of ended) await this.db.outbox.update(e.id, { state: 'queued', updatedAt: now });
    });
    if (!this.connected()) return;
    if (this.now() >= this.reconcileBackoffUntil) {
      const orphans = await this.db.outbox.filter((e) => e.state === 'sending' && !this.claimed.has(e.id)).toArray();
      for (const e of orphans) {
        if (!this.connected()) return;
        if (isBuilt(e)) await this.reconcile(e);
      }
    }
    for (;;) {
      if (!this.connected()) return;
      const next = await this.nextDue();
      if (!next) return;
      if (!isBuilt(next)) {
        if (!(await this.build(next))) return;
        continue;
      }
      const entry = await this.claim(next.id, [next.state]);
      if (entry) await this.submit(entry, false);
    }
  }

  private async nextDue(): Promise<OutboxEntry | undefined> {
    const now = this.now();
    const due = await this.db.outbox
      .filter((e) => e.state !== 'waiting' && !this.claimed.has(e.id) && (dueAt(e) ?? Infinity) <= now)
      .toArray();
    return due.sort((a, b) => (dueAt(a) ?? 0) - (dueAt(b) ?? 0) || a.createdAt - b.createdAt)[0];
  }

  /** Builds an entry queued while the engine was away; false when the engine is gone again. */
  private async build(entry: OutboxEntry): Promise<boolean> {
    this.claimed.add(entry.id);
    try {
      const built = await this.conn.call('outbox.build', entry.input);
      const now = this.now();
      await this.db.transaction('rw', this.db.outbox, async () => {
        const e = await this.db.outbox.get(entry.id);
        // Taken back meanwhile, or built by another window: this build is simply dropped.
        if (!e || isBuilt(e)) return;
        await this.db.outbox.put({
          ...e,
          messageId: built.messageId,
          raw: built.raw,
          size: built.size,
          envelope: built.envelope,
          summary: { ...e.summary, from: built.envelope.from },
          updatedAt: now,
        });
      });
      return true;
    } catch (e) {
      const error = errorOf(e);
      if (LOST.has(error.code)) return false;
      await this.failed(entry.id, e);
      return true;
    } finally {
      this.claimed.delete(entry.id);
    }
  }

  /** Marks an entry 'sending' (committed) if it is still in one of `from`. */
  private async claim(id: string, from: OutboxState[]): Promise<Built | null> {
    if (this.claimed.has(id)) return null;
    const now = this.now();
    const entry = await this.db.transaction('rw', this.db.outbox, async () => {
      const e = await this.db.outbox.get(id);
      if (!e || !from.includes(e.state) || !isBuilt(e)) return null;
      const next: Built = { ...e, state: 'sending', attempts: e.attempts + 1, updatedAt: now };
      await this.db.outbox.put(next);
      return next;
    });
    if (entry) this.claimed.add(id);
    return entry;
  }

  private async submit(entry: Built, resend: boolean): Promise<void> {
    this.claimed.add(entry.id);
    try {
      const result = await this.conn.call('outbox.submit', {
        accountId: entry.accountId,
        messageId: entry.messageId,
        raw: entry.raw,
        envelope: entry.envelope,
        saveToSent: entry.saveToSent,
        ...(entry.draftRef ? { draft: entry.draftRef } : {}),
        resend,
      });
      await this.submitted(entry.id, result);
    } catch (e) {
      await this.failed(entry.id, e);
    } finally {
      this.claimed.delete(entry.id);
    }
  }

  /**
   * An entry left 'sending' by an earlier run (or another window). The engine decides: a
   * message it has a record of is completed (submitting again does not send it again) or
   * declared uncertain; one it has no record of went nowhere and is sent, unless Sent already
   * holds it (a lost journal).
   */
  private async reconcile(entry: Built): Promise<void> {
    this.claimed.add(entry.id);
    try {
      const status = await this.conn.call('outbox.status', { accountId: entry.accountId, messageId: entry.messageId });
      if (status.journal === null && !status.inFlight && status.inSent === true) {
        await this.db.outbox.delete(entry.id);
        this.heardSent(entry);
        return;
      }
      await this.submit(entry, false);
    } catch (e) {
      await this.failed(entry.id, e);
    } finally {
      this.claimed.delete(entry.id);
    }
  }

  private heardSent(entry: OutboxEntry): void {
    try {
      this.opts.onSent(entry);
    } catch (e) {
      this.opts.onError(e);
    }
  }

  private async submitted(id: string, result: SubmitResult): Promise<void> {
    const now = this.now();
    const entry = await this.db.transaction('rw', this.db.outbox, async () => {
      const e = await this.db.outbox.get(id);
      if (!e) return;
      if (result.state === 'sent') {
        if (result.rejected.length === 0) await this.db.outbox.delete(id);
        else await this.db.outbox.put({ ...e, state: 'sent', rejected: result.rejected, error: undefined, updatedAt: now });
        return e;
      }
      // On its way, but the Sent copy is still to be made: keep the message for it.
      await this.db.outbox.put({
        ...e,
        state: 'filing',
        rejected: result.rejected,
        ...(result.sentCopyError ? { error: result.sentCopyError } : {}),
        nextAttemptAt: now + this.backoff(e.attempts),
        updatedAt: now,
      });
      return e;
    });
    if (entry) this.heardSent(entry);
  }

  private async failed(id: string, thrown: unknown): Promise<void> {
    const error = errorOf(thrown);
    if (!(thrown instanceof PetrelError)) this.opts.onError(thrown);
    const now = this.now();
    if (LOST.has(error.code)) {
      // The engine may have it: the entry stays as it is ('sending': asked about later).
      this.reconcileBackoffUntil = now + this.opts.retryBaseMs;
      return;
    }
    await this.db.transaction('rw', this.db.outbox, async () => {
      const e = await this.db.outbox.get(id);
      if (!e) return;
      if (error.code === 'SEND_UNCERTAIN') {
        await this.db.outbox.put({ ...e, state: 'uncertain', error, retryable: false, updatedAt: now });
        return;
      }
      const retryable = isRetryable(error);
      await this.db.outbox.put({
        ...e,
        state: 'failed',
        error,
        retryable,
        nextAttemptAt: retryable ? now + this.backoff(Math.max(1, e.attempts)) : undefined,
        updatedAt: now,
      });
    });
  }

  private backoff(attempts: number): number {
    return Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** Math.max(0, attempts - 1));
  }

  /** Wakes up when the next entry falls due (end of an undo window, a retry, a reconcile). */
  private async schedule(): Promise<void> {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // Offline, only undo windows end on a timer; the rest waits for the connection.
    const connected = this.connected();
    const all = (await this.db.outbox.toArray()).filter((e) => !this.claimed.has(e.id) && (connected || e.state === 'waiting'));
    const times = all.map(dueAt).filter((t): t is number => t !== null);
    if (connected && all.some((e) => e.state === 'sending') && this.reconcileBackoffUntil > 0) {
      times.push(this.reconcileBackoffUntil);
    }
    if (times.length === 0 || this.stopped) return;
    const delay = Math.max(10, Math.min(...times) - this.now());
    // A browser timer holds at most ~24.8 days.
    this.timer = setTimeout(() => void this.kick(), Math.min(delay, 2 ** 31 - 1));
  }

  private async take(id: string, from: OutboxState[]): Promise<ComposerContent | null> {
    if (this.claimed.has(id)) return null;
    return this.db.transaction('rw', this.db.outbox, async () => {
      const e = await this.db.outbox.get(id);
      if (!e || !from.includes(e.state)) return null;
      await this.db.outbox.delete(id);
      return { ...e.content, ...(e.draftRef ? { draftRef: e.draftRef } : {}) };
    });
  }

  private async update(id: string, from: OutboxState[], change: (e: OutboxEntry) => Partial<OutboxEntry>): Promise<boolean> {
    if (this.claimed.has(id)) return false;
    return this.db.transaction('rw', this.db.outbox, async () => {
      const e = await this.db.outbox.get(id);
      if (!e || !from.includes(e.state)) return false;
      await this.db.outbox.put({ ...e, ...change(e), updatedAt: this.now() });
      return true;
    });
  }
}

/** Recipients of an entry, for lists ("To: ann@…, bob@…"). */
export function recipientsOf(e: OutboxEntry): string[] {
  if (e.summary.to.length > 0) return e.summary.to;
  return [e.content.to, e.content.cc, e.content.bcc].flatMap((f) => parseAddresses(f).addresses.map((a) => a.address));
}
