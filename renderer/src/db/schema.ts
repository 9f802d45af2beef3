import { Dexie, type Table } from 'dexie';
import type { Folder, FolderCursor, MessageBody, MessageHeader, Operation } from '../../../shared/contract';
import type { ErrorData } from '../../../shared/errors';

/**
 * The renderer's mail store: IndexedDB through Dexie, the one local copy of mail.
 *
 * Indexes are kept lean on purpose: at 100k messages every index costs write time
 * (bulkPut of 100k ~800-byte records: 26 s with 6 indexes, 10 s with the primary key only).
 * Each index below exists because a query in queries.ts needs it.
 */

export type Bit = 0 | 1;
export type FolderKey = [accountId: string, path: string];
export type MessageKey = [accountId: string, path: string, uid: number];

/**
 * A folder. `total`/`unread` (from Folder) are what the UI shows: the server's counts when
 * they arrive (folders, folderStatus deltas), kept current between them by the cache's
 * changes (see apply-deltas.ts, "Counts"). `cachedTotal` is the length of the folder's
 * cached message list (for a virtual list), which may be smaller during a first sync.
 */
export interface FolderRecord extends Folder {
  /** Exact count of the folder's cached messages (the length of its message list). */
  cachedTotal: number;
  /** Exact count of the folder's cached messages without \Seen. */
  cachedUnread: number;
  /** The UIDVALIDITY the cached messages belong to; null until the first delta that names one. */
  uidValidity: string | null;
  /** False while the folder is known only from its own deltas, not yet from a folder list. */
  listed: boolean;
  /**
   * How many times a message entered or left the folder's cached list, or moved in it (a new
   * date), ever (absent: 0). The list's order is unchanged while it stays the same, so jump
   * anchors read at one value need no check at that value (folder-anchors.ts). Kept by Counts
   * (apply-deltas.ts), which every change of a folder's messages goes through.
   */
  changes?: number;
  /**
   * The latest changes to the list, so jump anchors read before them can be moved to where
   * their messages are now instead of being read again (folder-anchors.ts): per message that
   * joined (+1) or left (-1) the list, `changes` after it, its date, its uid, +1 or -1, oldest
   * first, flat. It holds every change after `recentFrom` (absent: from `changes` on, nothing
   * logged yet); older ones leave it for `deep` (Counts, apply-deltas.ts).
   */
  recent?: number[];
  recentFrom?: number;
  /**
   * The changes after `from` that left `recent`: flat (k, date, uid) points, k ascending, each
   * the highest place in list order that a change from k on touched. An anchor read at
   * `changes` c above the point with the largest k at most c + 1 (else the first) did not move
   * with them (a first sync stores older mail below what it stored).
   */
  deep?: { from: number; steps: number[] };
}

export interface MessageRecord extends MessageHeader {
  seen: Bit;
  flagged: Bit;
}

export type BodyRecord = MessageBody;

/**
 * An operation the person made (renderer/src/ops): applied to this store at once, then run
 * on the server. 'pending' waits for the engine (or for the account to be online again),
 * 'running' is with the engine now; 'failed' was refused by the server, its local change
 * undone, and stays until the person dismisses the error. A completed one is deleted.
 */
export type OpState = 'pending' | 'running' | 'failed';

/** What an operation's local phase changed, so it can be undone when the server refuses. */
export interface OpUndo {
  /** Flags of the messages whose flags it changed, as they were before. */
  flags: { uid: number; flags: string[] }[];
  /** Messages it removed from the source folder, as they were. */
  removed: MessageRecord[];
}

export interface OpRecord {
  /** Order of creation (auto-increment): operations of an account run in this order. */
  seq?: number;
  opId: string;
  accountId: string;
  op: Operation;
  state: OpState;
  attempts: number;
  /** The last failure (a retryable one while 'pending', the final one when 'failed'). */
  error: ErrorData | null;
  createdAt: number;
  undo: OpUndo;
}
export type CursorRecord = FolderCursor;

/**
 * An address seen in mail, for address autocomplete (renderer/src/contacts). Keyed by the
 * address in lower case. `sent`: messages in a Sent folder addressed to it; `seen`: messages
 * elsewhere it wrote or was addressed in.
 */
export interface ContactRecord {
  key: string;
  address: string;
  name: string;
  sent: number;
  lastSent: number;
  seen: number;
  lastSeen: number;
}

/**
 * How far the contacts index has read a folder: its messages from `low` up to `uid` are
 * counted. A first sync stores a folder newest first, so older mail arrives below `low` after a
 * pass; new mail arrives above `uid`. Marks without `low` (older ones) count as reaching down.
 */
export interface ContactMarkRecord {
  accountId: string;
  path: string;
  uidValidity: string;
  uid: number;
  low?: number;
}

export const DEFAULT_DB_NAME = 'petrel';

export class PetrelDb extends Dexie {
  declare readonly folders: Table<FolderRecord, FolderKey>;
  declare readonly messages: Table<MessageRecord, MessageKey>;
  declare readonly bodies: Table<BodyRecord, MessageKey>;
  declare readonly cursors: Table<CursorRecord, FolderKey>;
  declare readonly ops: Table<OpRecord, number>;
  declare readonly contacts: Table<ContactRecord, string>;
  declare readonly contactMarks: Table<ContactMarkRecord, FolderKey>;

  constructor(name: string = DEFAULT_DB_NAME) {
    // Relaxed durability: a commit does not wait for the disk flush. Safe for this store:
    // a lost tail of transactions loses data and the cursors covering it together (each
    // batch is one transaction, committed in order), and the engine replays from the cursor.
    super(name, { chromeTransactionDurability: 'relaxed' });

    // Primary keys come first; then only the indexes a query needs.
    this.version(1).stores({
      folders: '[accountId+path]',
      // [accountId+path+date]: a folder newest-first. inboxDate: the unified inbox (sparse; dropped in 5).
      messages: '[accountId+path+uid], [accountId+path+date], inboxDate',
      bodies: '[accountId+path+uid]',
      cursors: '[accountId+path]',
    });

    // Version 2: operations (renderer/src/ops), a new table, so no upgrade function.
    // opId: lookups by the operation's id; accountId: removing an account.
    this.version(2).stores({ ops: '++seq, &opId, accountId' });

    // Version 3: conversations (conversations.ts), computed when read, never stored. messageId:
    // a message by its Message-ID; *references (multiEntry): the messages that name one in
    // References. Both index existing fields, so IndexedDB fills them from the cached records
    // itself: no upgrade function, nothing rewritten. Null ids and empty lists add no entry.
    this.version(3).stores({ messages: '[accountId+path+uid], [accountId+path+date], inboxDate, messageId, *references' });

    // Version 4: address autocomplete (renderer/src/contacts), new tables filled in the
    // background from the cached messages, so no upgrade function.
    this.version(4).stores({ contacts: 'key', contactMarks: '[accountId+path]' });

    // Version 5: no inboxDate index. The unified inbox merges each INBOX's [accountId+path+date]
    // (unified-inbox.ts); the index was 15% of IndexedDB's work in a first sync of 100k
    // (docs/benchmarks.md). Records cached before keep their inboxDate field, unused: stripping
    // it would rewrite every INBOX record while the app opens.
    this.version(5).stores({ messages: '[accountId+path+uid], [accountId+path+date], messageId, *references' });

    // Adding version 6: never edit the versions above; append
    //
    //   this.version(6)
    //     .stores({ messages: '[accountId+path+uid], [accountId+path+date], messageId, *references, newIndex' })
    //     .upgrade(async (tx) => {
    //       // Fill new fields in one pass, e.g.:
    //       // await tx.table('messages').toCollection().modify((m) => { m.newField = derive(m); });
    //     });
    //
    // listing only the tables whose schema changes (a table set to null is deleted). Dexie runs
    // each missing version's upgrade in order when an older database opens. Keep each
    // upgrade self-contained (no imports of code that may change later), and prefer deriving
    // new fields lazily or by resync over rewriting 100k records in an upgrade.
  }
}

let shared: PetrelDb | undefined;

/** The app's database (created on first use; Dexie opens it lazily on the first query). */
export function petrelDb(): PetrelDb {
  shared ??= new PetrelDb();
  return shared;
}

/**
 * Whether a first sync is under way: a stored cursor with `partialBelow` (the engine sends one
 * with every batch of a first sync but the last, applied in the batch's transaction). Background
 * readers wait for such a sync's end rather than for a pause between its batches.
 */
export async function firstSyncUnderWay(db: PetrelDb): Promise<boolean> {
  return (await db.cursors.toArray()).some((c) => c.partialBelow !== undefined);
}

/** IMAP names the inbox INBOX, case-insensitively (RFC 3501). */
export function isInboxPath(path: string): boolean {
  return path.length === 5 && path.toUpperCase() === 'INBOX';
}

export function messageKey(m: { accountId: string; path: string; uid: number }): MessageKey {
  return [m.accountId, m.path, m.uid];
}

export function folderKey(f: { accountId: string; path: string }): FolderKey {
  return [f.accountId, f.path];
}

/** Primary-key bounds of everything of one account in a table keyed [accountId+path(+uid)]. */
export function accountRange(accountId: string): [unknown[], unknown[]] {
  return [
    [accountId, Dexie.minKey],
    [accountId, Dexie.maxKey],
  ];
}

/** Primary-key bounds of one folder's rows in a table keyed [accountId+path+uid]. */
export function folderRange(accountId: string, path: string): [unknown[], unknown[]] {
  return [
    [accountId, path, Dexie.minKey],
    [accountId, path, Dexie.maxKey],
  ];
}
