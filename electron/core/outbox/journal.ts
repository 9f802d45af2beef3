/**
 * The submission journal: how far sending each message got, by Message-ID. Tiny, and never a
 * copy of mail (the renderer's outbox holds the message): a state and a few facts per entry.
 * Every change is on disk (written to a temp file, fsynced, renamed) before the step it
 * guards goes ahead, so after a crash at any moment the journal tells:
 *
 *   (no entry)     the message body never started going out: it was not sent.
 *   'submitting'   the body was going out (recorded before its first byte): it may have been sent.
 *   'submitted'    the SMTP server accepted it: never send it again; file the Sent copy.
 *   'filed'        the Sent copy is made (or not wanted) and the draft removed: done.
 */
import { readFile, rename } from 'node:fs/promises';
import { z } from 'zod';
import { JournalStateSchema, RejectedRecipientSchema, type JournalState, type RejectedRecipient } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { SerialQueue, writeFileAtomic } from '../fs/atomic';
import type { Logger } from '../log';

export const JOURNAL_FILE = 'outbox-journal.json';

const EntrySchema = z.object({
  messageId: z.string(),
  accountId: z.string(),
  state: JournalStateSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
  /** Set with 'submitted': recipients the server refused while it accepted others. */
  rejected: z.array(RejectedRecipientSchema).optional(),
  /** Set with 'filed'. */
  filedInSent: z.boolean().optional(),
  draftRemoved: z.boolean().optional(),
});
export type JournalEntry = z.infer<typeof EntrySchema>;

const FileSchema = z.object({ version: z.literal(1), entries: z.array(EntrySchema) });

export interface JournalOptions {
  log: Logger;
  now?: () => number;
  /** Entries older than this are dropped when the journal loads. Default 30 days. */
  retentionMs?: number;
  /** At most this many entries are kept (the oldest finished ones go first). Default 5000. */
  maxEntries?: number;
}

export type JournalPatch = { accountId: string; state: JournalState } & Partial<{
  rejected: RejectedRecipient[];
  filedInSent: boolean;
  draftRemoved: boolean;
}>;

export class SubmissionJournal {
  private entries: Map<string, JournalEntry> | undefined;
  private loading: Promise<Map<string, JournalEntry>> | undefined;
  private readonly queue = new SerialQueue();
  private readonly now: () => number;

  constructor(
    readonly path: string,
    private readonly options: JournalOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async get(messageId: string): Promise<JournalEntry | undefined> {
    const entries = await this.load();
    const e = entries.get(messageId);
    return e ? { ...e } : undefined;
  }

  /** Records a state, on disk (fsynced) when this resolves. */
  set(messageId: string, patch: JournalPatch): Promise<JournalEntry> {
    return this.queue.run(async () => {
      const entries = await this.load();
      const now = this.now();
      const before = entries.get(messageId);
      const next: JournalEntry = {
        ...before,
        ...patch,
        messageId,
        createdAt: before?.createdAt ?? now,
        updatedAt: now,
      };
      entries.set(messageId, next);
      try {
        await this.save(entries);
      } catch (e) {
        if (before) entries.set(messageId, before);
        else entries.delete(messageId);
        throw storageFailed(e);
      }
      return { ...next };
    });
  }

  /** Forgets a message (it was not sent after all). */
  delete(messageId: string): Promise<void> {
    return this.queue.run(async () => {
      const entries = await this.load();
      const before = entries.get(messageId);
      if (!before) return;
      entries.delete(messageId);
      try {
        await this.save(entries);
      } catch (e) {
        entries.set(messageId, before);
        throw storageFailed(e);
      }
    });
  }

  private load(): Promise<Map<string, JournalEntry>> {
    if (this.entries) return Promise.resolve(this.entries);
    this.loading ??= this.read().then(
      (m) => (this.entries = m),
      (e: unknown) => {
        this.loading = undefined;
        throw e;
      },
    );
    return this.loading;
  }

  private async read(): Promise<Map<string, JournalEntry>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw storageFailed(e);
    }
    let list: JournalEntry[];
    try {
      list = FileSchema.parse(JSON.parse(text)).entries;
    } catch (e) {
      // writeFileAtomic never leaves a torn file, so this is damage from outside. Keep the
      // evidence and go on: the renderer also checks Sent before sending a message the
      // journal does not know (outbox.status).
      const aside = `${this.path}.corrupt-${this.now()}`;
      this.options.log.error(`the submission journal is unreadable; moved it to ${aside}`, e);
      await rename(this.path, aside).catch(() => undefined);
      return new Map();
    }
    const retention = this.options.retentionMs ?? 30 * 24 * 3600_000;
    const cutoff = this.now() - retention;
    const kept = list.filter((e) => e.updatedAt >= cutoff);
    const max = this.options.maxEntries ?? 5000;
    if (kept.length > max) {
      // Finished ones go first, oldest first.
      kept.sort((a, b) => Number(a.state !== 'filed') - Number(b.state !== 'filed') || a.updatedAt - b.updatedAt);
      kept.splice(0, kept.length - max);
    }
    return new Map(kept.map((e) => [e.messageId, e]));
  }

  private save(entries: Map<string, JournalEntry>): Promise<void> {
    return writeFileAtomic(this.path, JSON.stringify({ version: 1, entries: [...entries.values()] }));
  }
}

function storageFailed(e: unknown): PetrelError {
  if (e instanceof PetrelError) return e;
  return new PetrelError(
    'STORAGE_FAILED',
    `Petrel could not record the sending state on disk (${(e as { code?: string }).code ?? 'error'}), so it did not send. Check the free disk space.`,
  );
}
