/**
 * What a folder sync needs from its account, shared by the two connections that sync
 * (the worker for most folders, the IDLE connection for INBOX). Each folder is synced
 * by exactly one of them, one sync at a time, so deltas of a folder never interleave.
 */
import type { FolderCursor, SyncDelta } from '../../../shared/contract';
import type { Logger } from '../log';

/** An initial sync in progress, kept across reconnects so a 100k folder does not start over. */
export interface InitialProgress {
  generation: number;
  /** The cursor as seen when the sync started; emitted when it ends. */
  cursor: FolderCursor;
  /** Messages in the folder when `cursor` was taken (-1: unknown, a continued sync). */
  exists: number;
  /** Continued from the renderer's partial cursor: its cursor is from before the cut. */
  continued: boolean;
  /** UIDs not fetched yet, ascending (fetched from the top). */
  remaining: number[];
  total: number;
  synced: number;
  step: number;
}

/** Thrown where a sync must stop without a cursor: the renderer resumed meanwhile. */
export class StaleSync extends Error {
  constructor() {
    super('The sync was overtaken by a resume');
    this.name = 'StaleSync';
  }
}

/** Thrown where a sync must start over (the folder's UIDVALIDITY changed under it). */
export class RestartSync extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RestartSync';
  }
}

/** Per account: the renderer's cursors as last known, and in-progress initial syncs. */
export class AccountSyncState {
  /** Bumped by every resume: syncs started before it must not emit their cursor. */
  generation = 0;
  readonly cursors = new Map<string, FolderCursor>();
  /** How many messages the folder held when the engine took its cursor (unknown for the renderer's). */
  readonly cursorExists = new Map<string, number>();
  readonly initial = new Map<string, InitialProgress>();
  /** The renderer's cursors of initial syncs cut off (by a restart, say): continued, not restarted. */
  readonly partial = new Map<string, FolderCursor>();
  /**
   * Without CONDSTORE every sync compares all flags; this remembers what the renderer was
   * last sent per UID (as a small id of the flag set), so unchanged flags are not sent
   * again every few minutes. It holds only what was sent in this generation, in order, so
   * it equals the renderer's state. Flags are metadata, not mail: nothing else is kept.
   */
  readonly flagMemo = new Map<string, Map<number, number>>();
  private readonly flagSets = new Map<string, number>();

  constructor(readonly accountId: string) {}

  resume(cursors: readonly FolderCursor[]): void {
    this.generation++;
    this.cursors.clear();
    this.cursorExists.clear();
    this.initial.clear();
    this.flagMemo.clear();
    this.partial.clear();
    for (const c of cursors) {
      if (c.accountId !== this.accountId) continue;
      // A partial cursor is no cursor to sync from: the folder still needs its initial sync.
      if (c.partialBelow !== undefined) this.partial.set(c.path, c);
      else this.cursors.set(c.path, c);
    }
  }

  /** Records a cursor just emitted, with the message count it was taken at. */
  setCursor(cursor: FolderCursor, exists: number): void {
    this.cursors.set(cursor.path, cursor);
    this.cursorExists.set(cursor.path, exists);
  }

  forget(path: string): void {
    this.cursors.delete(path);
    this.cursorExists.delete(path);
    this.initial.delete(path);
    this.partial.delete(path);
    this.flagMemo.delete(path);
  }

  /** A small number standing for a set of flags (sorted), shared by all folders of the account. */
  flagSetId(flags: readonly string[]): number {
    const key = flags.join(' ');
    let id = this.flagSets.get(key);
    if (id === undefined) {
      id = this.flagSets.size;
      this.flagSets.set(key, id);
    }
    return id;
  }

  assertCurrent(generation: number): void {
    if (generation !== this.generation) throw new StaleSync();
  }
}

/**
 * Between fetch batches: lets more urgent work run on the same connection. Returns true
 * when that work selected another folder, so the caller must select its own again.
 */
export type Checkpoint = () => Promise<boolean>;

export interface SyncDeps {
  state: AccountSyncState;
  emit(delta: SyncDelta): void;
  batchSizes: readonly number[];
  checkpoint: Checkpoint;
  /** Waited for before each slice of headers after the first (see DeliveryWindow). */
  room?: (() => Promise<void>) | undefined;
  log: Logger;
}
