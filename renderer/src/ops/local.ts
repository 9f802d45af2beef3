import type { Operation } from '../../../shared/contract';
import { Flags } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { Counts, flagBits, folderId, type BatchHook } from '../db/apply-deltas';
import { putChanges } from '../db/keyed-writes';
import { accountRange, type FolderRecord, type MessageKey, type MessageRecord, type OpRecord, type OpUndo, type PetrelDb } from '../db/schema';

/**
 * The local phase of operations: what an operation does to the store at once, before the
 * server has it, and how that is undone or kept.
 *
 * - `applyLocal` changes the affected messages (flags and the seen/flagged bits; removal
 *   from the source folder for move, delete, archive and spam, bodies included) and keeps the
 *   folder's counts right the way apply-deltas.ts does (its Counts), returning what it
 *   changed. Copy changes nothing here: the copy shows when the destination syncs.
 * - `revertLocal` undoes that when the server refused: flags it changed get their old state
 *   back (flags changed since by something else stay), removed messages come back if their
 *   folder still has the same UIDVALIDITY and they have not reappeared meanwhile.
 * - `pendingOpsOverlay` re-applies the local change of every operation not yet confirmed at
 *   the end of each sync batch's transaction: deltas describing the server before the
 *   operation ran (a flags delta, an upsert of the removed message) never undo what the
 *   person did. Its writes are idempotent and cost nothing when nothing is pending.
 *
 * All of them run inside a caller's read-write transaction over folders, messages, bodies
 * (and ops): see `opTables`.
 */

export function opTables(db: PetrelDb) {
  return [db.folders, db.messages, db.bodies, db.ops];
}

/** What an operation does locally, given the account's folders. */
export interface LocalEffect {
  flags: { add: string[]; remove: string[] } | null;
  /** Removed from the source folder. */
  remove: boolean;
}

/**
 * The local effect of `op`. Throws NOT_FOUND when it needs a special folder (or destination)
 * the account does not have: the person hears it at once, and nothing is stored or sent.
 * The engine checks the same against the server's list (electron/core/sync/operations.ts).
 */
export function localEffect(op: Operation, folders: readonly FolderRecord[]): LocalEffect {
  const special = (use: 'trash' | 'archive' | 'junk', name: string): string => {
    const f = folders.find((x) => x.specialUse === use && x.selectable);
    if (!f) throw new PetrelError('NOT_FOUND', `This account has no ${name} folder.`, { specialUse: use });
    return f.path;
  };
  switch (op.kind) {
    case 'flags':
      return { flags: { add: op.add ?? [], remove: op.remove ?? [] }, remove: false };
    case 'move':
    case 'copy': {
      const to = folders.find((f) => f.path === op.to);
      if (!to?.selectable) throw new PetrelError('NOT_FOUND', `There is no folder “${op.to}” to ${op.kind} to.`, { path: op.to });
      return { flags: null, remove: op.kind === 'move' };
    }
    case 'delete':
      special('trash', 'Trash');
      return { flags: null, remove: true };
    case 'archive':
      return { flags: null, remove: special('archive', 'Archive') !== op.path };
    case 'spam':
      return special('junk', 'Junk') === op.path
        ? { flags: { add: [Flags.junk], remove: [Flags.notJunk] }, remove: false }
        : { flags: null, remove: true };
  }
}

async function accountFolders(db: PetrelDb, accountId: string): Promise<FolderRecord[]> {
  const [lo, hi] = accountRange(accountId);
  return db.folders.where(':id').between(lo, hi, true, true).toArray();
}

/** The cached messages an operation names (of its folder and UIDVALIDITY). */
async function targets(db: PetrelDb, op: Operation): Promise<MessageRecord[]> {
  const keys = [...new Set(op.uids)].map((uid): MessageKey => [op.accountId, op.path, uid]);
  const found = await db.messages.bulkGet(keys);
  return found.filter((m): m is MessageRecord => m !== undefined && m.uidValidity === op.uidValidity);
}

const lower = (f: string) => f.toLowerCase();
const has = (flags: readonly string[], f: string) => flags.some((x) => lower(x) === lower(f));

/** `flags` with the change applied; the same array when nothing changes. */
function changed(flags: readonly string[], add: readonly string[], remove: readonly string[]): readonly string[] {
  let next = flags.filter((f) => !has(remove, f));
  for (const f of add) if (!has(next, f)) next = [...next, f];
  return next.length === flags.length && next.every((f, i) => f === flags[i]) ? flags : next;
}

/** Sets `flags` on cached messages, keeping the folder's counts; records what they had. */
async function setFlags(
  db: PetrelDb,
  folder: FolderRecord | undefined,
  messages: readonly MessageRecord[],
  change: (m: MessageRecord) => readonly string[],
  undo?: OpUndo,
): Promise<void> {
  const counts = folder ? new Counts(folder) : null;
  const puts: MessageRecord[] = [];
  for (const m of messages) {
    const next = change(m);
    if (next === m.flags) continue;
    const record: MessageRecord = { ...m, flags: [...next], ...flagBits(next) };
    counts?.seenChanged(m.seen, record.seen);
    undo?.flags.push({ uid: m.uid, flags: [...m.flags] });
    puts.push(record);
  }
  if (puts.length === 0) return;
  await putChanges(db.messages, puts);
  if (folder && counts) await db.folders.put(counts.into({ ...folder }));
}

/** Removes cached messages (and bodies) from their folder, keeping its counts; records them. */
async function removeMessages(db: PetrelDb, folder: FolderRecord | undefined, messages: readonly MessageRecord[], undo?: OpUndo): Promise<void> {
  if (messages.length === 0) return;
  const keys = messages.map((m): MessageKey => [m.accountId, m.path, m.uid]);
  await db.messages.bulkDelete(keys);
  await db.bodies.bulkDelete(keys);
  undo?.removed.push(...messages);
  if (!folder) return;
  const counts = new Counts(folder);
  for (const m of messages) counts.remove(m.seen, m);
  await db.folders.put(counts.into({ ...folder }));
}

async function apply(db: PetrelDb, op: Operation, effect: LocalEffect, undo?: OpUndo): Promise<void> {
  const folder = await db.folders.get([op.accountId, op.path]);
  // The folder was reset to another UIDVALIDITY: the UIDs name other messages now.
  if (folder?.uidValidity && folder.uidValidity !== op.uidValidity) return;
  const messages = await targets(db, op);
  if (effect.remove) {
    await removeMessages(db, folder, messages, undo);
  } else if (effect.flags) {
    const { add, remove } = effect.flags;
    await setFlags(db, folder, messages, (m) => changed(m.flags, add, remove), undo);
  }
}

/** The local phase: changes the store at once; returns what it changed (for `revertLocal`). */
export async function applyLocal(db: PetrelDb, op: Operation): Promise<OpUndo> {
  const effect = localEffect(op, await accountFolders(db, op.accountId));
  const undo: OpUndo = { flags: [], removed: [] };
  await apply(db, op, effect, undo);
  return undo;
}

/** Undoes a local phase the server refused (see the header comment for what stays). */
export async function revertLocal(db: PetrelDb, op: Operation, undo: OpUndo): Promise<void> {
  const folder = await db.folders.get([op.accountId, op.path]);
  if (!folder || (folder.uidValidity !== null && folder.uidValidity !== op.uidValidity)) return;
  if (undo.flags.length > 0 && op.kind !== 'copy') {
    const add = op.kind === 'flags' ? (op.add ?? []) : op.kind === 'spam' ? [Flags.junk] : [];
    const remove = op.kind === 'flags' ? (op.remove ?? []) : op.kind === 'spam' ? [Flags.notJunk] : [];
    const before = new Map(undo.flags.map((u) => [u.uid, u.flags]));
    const messages = (await targets(db, op)).filter((m) => before.has(m.uid));
    await setFlags(db, folder, messages, (m) => {
      const old = before.get(m.uid) ?? [];
      // Undo only what the operation did: flags it added that were not there, flags it removed that were.
      return changed(
        m.flags,
        remove.filter((f) => has(old, f)),
        add.filter((f) => !has(old, f)),
      );
    });
  }
  if (undo.removed.length > 0) {
    const present = await db.messages.bulkGet(undo.removed.map((m): MessageKey => [m.accountId, m.path, m.uid]));
    const back = undo.removed.filter((m, i) => present[i] === undefined && m.uidValidity === op.uidValidity);
    if (back.length === 0) return;
    await putChanges(db.messages, back);
    const now = (await db.folders.get([op.accountId, op.path])) ?? folder;
    const counts = new Counts(now);
    for (const m of back) counts.add(m.seen, m);
    await db.folders.put(counts.into({ ...now }));
  }
}

/** Operations whose local change must hold until the server confirmed it. */
export function isUnconfirmed(o: OpRecord): boolean {
  return o.state === 'pending' || o.state === 'running';
}

/**
 * The BatchHook for SyncClient: re-applies the local change of unconfirmed operations on the
 * folders the batch touched (see the header comment).
 */
export const pendingOpsOverlay: BatchHook = {
  tables: opTables,
  async run(db, touched) {
    if (touched.size === 0) return;
    const ops = (await db.ops.toArray()).filter((o) => isUnconfirmed(o) && touched.has(folderId(o.accountId, o.op.path)));
    if (ops.length === 0) return;
    ops.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    const folders = new Map<string, FolderRecord[]>();
    for (const o of ops) {
      let list = folders.get(o.accountId);
      if (!list) folders.set(o.accountId, (list = await accountFolders(db, o.accountId)));
      let effect: LocalEffect;
      try {
        effect = localEffect(o.op, list);
      } catch {
        // The special folder is gone from the list: the engine will refuse it; nothing to hold.
        continue;
      }
      await apply(db, o.op, effect);
    }
  },
};
