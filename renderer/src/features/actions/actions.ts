import { Flags, MAX_OPERATION_UIDS, type OperationDraft } from '../../../../shared/contract';
import { inListOrder } from '../../db/unified-inbox';
import { isInboxPath, type FolderRecord, type MessageKey, type MessageRecord, type PetrelDb } from '../../db';

/**
 * What the message actions do, as operation drafts (shared/contract/operations.ts), and the
 * small decisions around them: toggles follow the selection (any unread → mark read),
 * removals move the selection to the next message.
 */

export type MessageAction = 'toggleRead' | 'markRead' | 'markUnread' | 'toggleStar' | 'archive' | 'delete' | 'spam';

/** The messages an action applies to: some of one folder. */
export interface Targets {
  accountId: string;
  path: string;
  uids: readonly number[];
}

export const MARK_READ_ON_OPEN_KEY = 'petrel.markReadOnOpen';

/** Whether opening a message marks it read ('on', the default, or 'off'). */
export function markReadOnOpen(): boolean {
  try {
    return localStorage.getItem(MARK_READ_ON_OPEN_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function isRemoval(action: MessageAction): boolean {
  return action === 'archive' || action === 'delete' || action === 'spam';
}

/** The selected messages as the store has them (those still there), in uid order. */
export async function targetRecords(db: PetrelDb, t: Targets): Promise<MessageRecord[]> {
  const keys = [...new Set(t.uids)].sort((a, b) => a - b).map((uid): MessageKey => [t.accountId, t.path, uid]);
  return (await db.messages.bulkGet(keys)).filter((m): m is MessageRecord => m !== undefined);
}

/** One draft per UIDVALIDITY (normally one) and at most MAX_OPERATION_UIDS messages each. */
function drafts(messages: readonly MessageRecord[], make: (ref: { accountId: string; path: string; uidValidity: string; uids: number[] }) => OperationDraft): OperationDraft[] {
  const byValidity = new Map<string, MessageRecord[]>();
  for (const m of messages) {
    const list = byValidity.get(m.uidValidity) ?? [];
    list.push(m);
    byValidity.set(m.uidValidity, list);
  }
  const out: OperationDraft[] = [];
  for (const [uidValidity, list] of byValidity) {
    for (let i = 0; i < list.length; i += MAX_OPERATION_UIDS) {
      const first = list[0]!;
      out.push(make({ accountId: first.accountId, path: first.path, uidValidity, uids: list.slice(i, i + MAX_OPERATION_UIDS).map((m) => m.uid) }));
    }
  }
  return out;
}

/** The operations for an action on these messages (none when there is nothing to change). */
export function draftsFor(action: MessageAction, messages: readonly MessageRecord[]): OperationDraft[] {
  switch (action) {
    case 'toggleRead':
      return draftsFor(messages.some((m) => m.seen === 0) ? 'markRead' : 'markUnread', messages);
    case 'markRead':
      return drafts(
        messages.filter((m) => m.seen === 0),
        (ref) => ({ kind: 'flags', ...ref, add: [Flags.seen] }),
      );
    case 'markUnread':
      return drafts(
        messages.filter((m) => m.seen === 1),
        (ref) => ({ kind: 'flags', ...ref, remove: [Flags.seen] }),
      );
    case 'toggleStar': {
      const star = messages.some((m) => m.flagged === 0);
      return drafts(
        messages.filter((m) => m.flagged === (star ? 0 : 1)),
        (ref) => (star ? { kind: 'flags', ...ref, add: [Flags.flagged] } : { kind: 'flags', ...ref, remove: [Flags.flagged] }),
      );
    }
    case 'archive':
    case 'delete':
    case 'spam':
      return drafts(messages, (ref) => ({ kind: action, ...ref }));
  }
}

export function moveDrafts(messages: readonly MessageRecord[], to: string, copy: boolean): OperationDraft[] {
  return drafts(
    messages.filter((m) => m.path !== to),
    (ref) => ({ kind: copy ? 'copy' : 'move', ...ref, to }),
  );
}

/**
 * The message to select after `removed` leave the list: the first one below the last removed
 * (in list order: newest first), else the nearest one above the first removed.
 */
export async function neighbourAfter(db: PetrelDb, removed: readonly MessageRecord[]): Promise<number | null> {
  const first = removed[0];
  if (!first) return null;
  const { accountId, path } = first;
  const gone = new Set(removed.map((m) => m.uid));
  // List order: date descending, then uid descending (see queries.ts folderMessages).
  const order = (m: MessageRecord) => [m.date, m.uid] as const;
  const before = (a: MessageRecord, b: MessageRecord) => {
    const [da, ua] = order(a);
    const [db2, ub] = order(b);
    return da !== db2 ? da > db2 : ua > ub;
  };
  let lowest = first;
  let highest = first;
  for (const m of removed) {
    if (before(lowest, m)) lowest = m;
    if (before(m, highest)) highest = m;
  }
  const index = db.messages.where('[accountId+path+date]');
  const below = await index
    .between([accountId, path, -Infinity], [accountId, path, lowest.date], true, true)
    .reverse()
    .filter((m) => !gone.has(m.uid) && before(lowest, m))
    .first();
  if (below) return below.uid;
  const above = await index
    .between([accountId, path, highest.date], [accountId, path, Infinity], true, true)
    .filter((m) => !gone.has(m.uid) && before(m, highest))
    .first();
  return above?.uid ?? null;
}

/**
 * In the unified inbox (every INBOX, newest first, ties by key): the message to select after
 * `removed` leave it, with the same rule as neighbourAfter but across accounts.
 */
export async function unifiedNeighbour(db: PetrelDb, removed: readonly MessageRecord[]): Promise<MessageRecord | null> {
  const first = removed[0];
  if (!first) return null;
  const key = (m: MessageRecord): MessageKey => [m.accountId, m.path, m.uid];
  const gone = new Set(removed.map((m) => key(m).join('\u0000')));
  // List order (queries.ts unifiedInbox): date descending, then primary key descending.
  const before = (a: MessageRecord, b: MessageRecord) => inListOrder(a, b) < 0;
  let lowest = first;
  let highest = first;
  for (const m of removed) {
    if (before(lowest, m)) lowest = m;
    if (before(m, highest)) highest = m;
  }
  const stays = (m: MessageRecord) => !gone.has(key(m).join('\u0000'));
  // Each INBOX's nearest message below the removed ones (else above them); the nearest of those.
  const inboxes = (await db.folders.toArray()).filter((f) => isInboxPath(f.path));
  const index = db.messages.where('[accountId+path+date]');
  const found = (ms: (MessageRecord | undefined)[]) => ms.filter((m): m is MessageRecord => m !== undefined);
  const below = found(
    await Promise.all(
      inboxes.map((f) =>
        index
          .between([f.accountId, f.path, -Infinity], [f.accountId, f.path, lowest.date], true, true)
          .reverse()
          .filter((m) => stays(m) && before(lowest, m))
          .first(),
      ),
    ),
  );
  if (below.length > 0) return below.reduce((a, b) => (before(a, b) ? a : b));
  const above = found(
    await Promise.all(
      inboxes.map((f) =>
        index
          .between([f.accountId, f.path, highest.date], [f.accountId, f.path, Infinity], true, true)
          .filter((m) => stays(m) && before(m, highest))
          .first(),
      ),
    ),
  );
  return above.length > 0 ? above.reduce((a, b) => (before(a, b) ? b : a)) : null;
}

/** Special folders of an account, by role. */
export function specialFolders(folders: readonly FolderRecord[]): Partial<Record<'trash' | 'archive' | 'junk', FolderRecord>> {
  const out: Partial<Record<'trash' | 'archive' | 'junk', FolderRecord>> = {};
  for (const f of folders) {
    if ((f.specialUse === 'trash' || f.specialUse === 'archive' || f.specialUse === 'junk') && f.selectable && !out[f.specialUse]) out[f.specialUse] = f;
  }
  return out;
}
