/**
 * Idempotency of `ops.run`: the operations completed recently, by opId, with their results.
 * The renderer retries an operation whose answer it did not get (the connection dropped, the
 * window reloaded, the app was killed); the same opId then gets the stored result
 * (`replayed: true`) instead of running twice. A call for an opId that is still running
 * joins it.
 *
 * Flag changes, moves and deletions are harmless to repeat (UIDs already gone are ignored by
 * the server); a *copy* is not — a second COPY makes a duplicate — and neither is a move on a
 * server without MOVE (COPY, then EXPUNGE). So for copies and moves, when a `file` is given,
 * the memo is also a journal on disk: the operation is written down as started *before* the
 * command goes out and as done with its result after. An operation that was started but never
 * finished (the engine died, the connection dropped, the server failed mid-way) is
 * *uncertain*: its next run is told so (`fn(true)`) and copies only what the destination
 * does not hold yet (operations.ts looks for the Message-IDs there). Other failures are
 * not remembered: a retry runs again.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { OperationResultSchema, type Operation, type OperationResult } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { SerialQueue, writeFileAtomic } from '../fs/atomic';
import type { OperationOutcome } from './operations';

interface Entry {
  fingerprint: string;
  at: number;
  /** Absent while running, or when a run was started and never finished (uncertain). */
  result?: OperationOutcome;
}

export interface OpMemoOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
  /** The journal file (copies and moves), in the data dir; none: memory only. */
  file?: string;
  /** How long journal entries are kept on disk. Default a week: the renderer retries within that. */
  journalTtlMs?: number;
}

/** What may be repeated without harm is not journaled. */
const journaled = (op: Operation) => op.kind === 'copy' || op.kind === 'move';

const JOURNAL_VERSION = 1;

interface JournalFile {
  version: number;
  entries: Array<[string, Entry]>;
}

export class OpMemo {
  private readonly done = new Map<string, Entry>();
  private readonly running = new Map<string, { fingerprint: string; promise: Promise<OperationResult> }>();
  /** Journaled operations (started, uncertain or done), by key, oldest first. */
  private readonly journal = new Map<string, Entry>();
  private readonly writes = new SerialQueue();
  private loaded: Promise<void> | null = null;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly journalTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: OpMemoOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30 * 60_000;
    this.maxEntries = options.maxEntries ?? 20_000;
    this.journalTtlMs = options.journalTtlMs ?? 7 * 24 * 3600_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Runs `fn` for `op` unless its opId completed recently or is running. `fn(uncertain)`:
   * an earlier run of this operation may have done part or all of it.
   */
  async run(op: Operation, fn: (uncertain: boolean) => Promise<OperationOutcome>): Promise<OperationResult> {
    this.prune();
    const fingerprint = JSON.stringify(op);
    const key = `${op.accountId}\u0000${op.opId}`;
    const running = this.running.get(key);
    if (running) {
      this.assertSame(running.fingerprint, fingerprint);
      return running.promise;
    }
    const promise = this.start(op, key, fingerprint, fn);
    this.running.set(key, { fingerprint, promise });
    try {
      return await promise;
    } finally {
      this.running.delete(key);
    }
  }

  private async start(
    op: Operation,
    key: string,
    fingerprint: string,
    fn: (uncertain: boolean) => Promise<OperationOutcome>,
  ): Promise<OperationResult> {
    const durable = journaled(op) && this.options.file !== undefined;
    if (durable) await this.load();
    const done = this.done.get(key) ?? (durable ? this.journal.get(key) : undefined);
    if (done) this.assertSame(done.fingerprint, fingerprint);
    if (done?.result) return { ...done.result, replayed: true };
    // Journaled and not finished: a run before this one got at least as far as the journal.
    const uncertain = done !== undefined;
    if (durable && !uncertain) await this.record(key, { fingerprint, at: this.now() });
    // Failures are not remembered unless journaled (then the entry stays, uncertain).
    const result = await fn(uncertain);
    const entry: Entry = { fingerprint, at: this.now(), result };
    this.done.set(key, entry);
    this.prune();
    if (durable) await this.record(key, entry);
    return { ...result, replayed: false };
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

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const file = this.options.file;
      if (file === undefined) return;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      const horizon = this.now() - this.journalTtlMs;
      for (const [key, entry] of parseJournal(text)) if (entry.at >= horizon) this.journal.set(key, entry);
    })();
    return this.loaded;
  }

  /** Writes the journal with this entry before returning: the command must not go out unrecorded. */
  private record(key: string, entry: Entry): Promise<void> {
    this.journal.delete(key);
    this.journal.set(key, entry);
    const horizon = this.now() - this.journalTtlMs;
    for (const [k, e] of this.journal) {
      if (e.at >= horizon && this.journal.size <= this.maxEntries) break;
      this.journal.delete(k);
    }
    const file = this.options.file!;
    const data: JournalFile = { version: JOURNAL_VERSION, entries: [...this.journal] };
    return this.writes.run(() => writeFileAtomic(file, JSON.stringify(data)));
  }
}

const EntrySchema = z.object({
  fingerprint: z.string(),
  at: z.number(),
  result: OperationResultSchema.omit({ replayed: true }).optional(),
});
const JournalSchema = z.object({ version: z.literal(JOURNAL_VERSION), entries: z.array(z.tuple([z.string(), EntrySchema])) });

/**
 * The journal as written by `record`. A file that is not one (damaged, from a newer version)
 * is refused loudly: silently forgetting it could make a copy twice.
 */
export function parseJournal(text: string): Array<[string, Entry]> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  const parsed = JournalSchema.safeParse(data);
  if (!parsed.success) {
    throw new PetrelError('STORAGE_FAILED', 'The operations journal (operations.json in the data folder) cannot be read; move it away to continue.');
  }
  return parsed.data.entries.map(([key, e]) => [key, e.result ? { fingerprint: e.fingerprint, at: e.at, result: e.result } : { fingerprint: e.fingerprint, at: e.at }]);
}
