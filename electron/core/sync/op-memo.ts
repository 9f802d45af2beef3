/**
 * Idempotency of `ops.run`: the operations completed recently, by opId, with their results.
 * The renderer retries an operation whose answer it did not get (the connection dropped, the
 * window reloaded); the same opId then gets the stored result (`replayed: true`) instead of
 * running twice, which matters for copies (a second copy is a duplicate). A call for an opId
 * that is still running joins it. Failures are not remembered: a retry runs again.
 *
 * Memory only, and for a while (`ttlMs`, at most `maxEntries`): after an engine restart a
 * retried operation runs again. Moves, flag changes and deletions are harmless to repeat
 * (UIDs already gone are ignored by the server); only a copy would be made twice.
 */
import type { Operation, OperationResult } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import type { OperationOutcome } from './operations';

interface Entry {
  fingerprint: string;
  at: number;
  result: OperationOutcome;
}

export interface OpMemoOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class OpMemo {
  private readonly done = new Map<string, Entry>();
  private readonly running = new Map<string, { fingerprint: string; promise: Promise<OperationResult> }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: OpMemoOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30 * 60_000;
    this.maxEntries = options.maxEntries ?? 20_000;
    this.now = options.now ?? Date.now;
  }

  /** Runs `fn` for `op` unless its opId completed recently or is running. */
  async run(op: Operation, fn: () => Promise<OperationOutcome>): Promise<OperationResult> {
    this.prune();
    const fingerprint = JSON.stringify(op);
    const key = `${op.accountId}\u0000${op.opId}`;
    const done = this.done.get(key);
    if (done) {
      this.assertSame(done.fingerprint, fingerprint);
      return { ...done.result, replayed: true };
    }
    const running = this.running.get(key);
    if (running) {
      this.assertSame(running.fingerprint, fingerprint);
      return running.promise;
    }
    const promise = fn().then(
      (result) => {
        this.running.delete(key);
        this.done.set(key, { fingerprint, at: this.now(), result });
        this.prune();
        return { ...result, replayed: false };
      },
      (e: unknown) => {
        this.running.delete(key);
        throw e;
      },
    );
    this.running.set(key, { fingerprint, promise });
    return promise;
  }

  get size(): number {
    return this.done.size;
  }

  private assertSame(a: string, b: string): void {
    if (a !== b) throw new PetrelError('BAD_REQUEST', 'This operation id was already used for another operation.');
  }

  /** Oldest first (insertion order): drops the expired and the excess. */
  private prune(): void {
    const horizon = this.now() - this.ttlMs;
    for (const [key, e] of this.done) {
      if (e.at >= horizon && this.done.size <= this.maxEntries) break;
      this.done.delete(key);
    }
  }
}
