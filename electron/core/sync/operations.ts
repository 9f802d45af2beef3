/**
 * The remote phase of message operations (shared/contract/operations.ts), run on the
 * account's worker connection (AccountSync.runOperation queues it ahead of any sync):
 *
 * - SELECT the source folder read-write; another UIDVALIDITY than the operation names is a
 *   CONFLICT and nothing is changed.
 * - Flags: UID STORE +FLAGS / -FLAGS.
 * - Move: UID MOVE (RFC 6851) where advertised, else UID COPY, +FLAGS \Deleted and
 *   UID EXPUNGE of those UIDs only (UIDPLUS, RFC 4315). A server with neither MOVE nor
 *   UIDPLUS only gets a plain EXPUNGE when no other message of the folder is marked
 *   \Deleted (it would remove those too); otherwise the messages stay marked \Deleted.
 * - Delete: a move to Trash; in Trash, \Deleted + UID EXPUNGE (delete for good).
 * - Archive: a move to the \Archive folder; spam: +FLAGS $Junk -FLAGS $NotJunk, then a move
 *   to the \Junk folder. A missing special folder is a NOT_FOUND naming it.
 * - Afterwards the folder is deselected without expunging (EXAMINE, then CLOSE, which removes
 *   nothing from a read-only folder): a CLOSE of a read-write folder would expunge every
 *   \Deleted message, and a folder left selected makes Dovecot answer STATUS for it from a
 *   stale view (see worker.ts).
 *
 * imapflow reports refused commands as `false`: every such answer becomes a SERVER_ERROR.
 */
import type { ImapFlow, MailboxObject } from 'imapflow';
import { Flags, type Folder, type Operation, type OperationResult, type SpecialUse } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { connectionLost } from './connection';
import { parseHeaderFields, parseMessageIds } from './header-map';
import { compactUids } from './uid-set';

export type OperationOutcome = Omit<OperationResult, 'replayed'>;

interface Plan {
  /** Flags to change first (on the source). */
  flags: { add: string[]; remove: string[]; strict: boolean } | null;
  /** What happens to the messages then. */
  action: { kind: 'none' } | { kind: 'move' | 'copy'; to: string } | { kind: 'expunge' };
}

const SPECIAL_NAMES: Record<'trash' | 'archive' | 'junk', string> = { trash: 'Trash', archive: 'Archive', junk: 'Junk' };

/** What an operation will do, given the account's folders; throws NOT_FOUND for a missing folder. */
export function planOperation(op: Operation, folders: readonly Folder[]): Plan {
  const special = (use: 'trash' | 'archive' | 'junk'): string => {
    const f = folders.find((x) => x.specialUse === use && x.selectable);
    if (!f) {
      throw new PetrelError('NOT_FOUND', `This account has no ${SPECIAL_NAMES[use]} folder, so the messages were left where they are.`, {
        specialUse: use,
      });
    }
    return f.path;
  };
  const destination = (to: string): string => {
    // An empty list means it was not read yet: the server decides then.
    if (folders.length === 0) return to;
    const f = folders.find((x) => x.path === to);
    if (!f) throw new PetrelError('NOT_FOUND', `There is no folder “${to}” on the server any more.`, { path: to });
    if (!f.selectable) throw new PetrelError('NOT_FOUND', `The folder “${f.name}” cannot hold messages.`, { path: to });
    return to;
  };
  switch (op.kind) {
    case 'flags':
      return { flags: { add: op.add ?? [], remove: op.remove ?? [], strict: true }, action: { kind: 'none' } };
    case 'move':
      return { flags: null, action: { kind: 'move', to: destination(op.to) } };
    case 'copy':
      return { flags: null, action: { kind: 'copy', to: destination(op.to) } };
    case 'delete': {
      const trash = special('trash');
      return { flags: null, action: trash === op.path ? { kind: 'expunge' } : { kind: 'move', to: trash } };
    }
    case 'archive': {
      const archive = special('archive');
      return { flags: null, action: archive === op.path ? { kind: 'none' } : { kind: 'move', to: archive } };
    }
    case 'spam': {
      const junk = special('junk');
      return {
        // Best effort: a folder that takes no keywords still gets the message moved.
        flags: { add: [Flags.junk], remove: [Flags.notJunk], strict: false },
        action: junk === op.path ? { kind: 'none' } : { kind: 'move', to: junk },
      };
    }
  }
}

/** The special-use role of a folder path, if any (for callers deciding what to sync). */
export function specialUseOf(folders: readonly Folder[], path: string): SpecialUse | null {
  return folders.find((f) => f.path === path)?.specialUse ?? null;
}

/**
 * Runs an operation on `client` (in the AUTHENTICATED state, nothing selected).
 * `uncertain`: an earlier run may have got part-way (op-memo.ts); a copy then skips the
 * messages the destination already holds, found by Message-ID, so it is never made twice.
 */
export async function executeOperation(
  client: ImapFlow,
  op: Operation,
  folders: readonly Folder[],
  uncertain = false,
): Promise<OperationOutcome> {
  const plan = planOperation(op, folders);
  let mb: MailboxObject;
  try {
    mb = await client.mailboxOpen(op.path);
  } catch (e) {
    if ((e as { mailboxMissing?: unknown }).mailboxMissing === true) {
      throw new PetrelError('NOT_FOUND', `There is no folder “${op.path}” on the server any more.`, { path: op.path });
    }
    throw e;
  }
  try {
    if (mb.uidValidity.toString() !== op.uidValidity) {
      throw new PetrelError('CONFLICT', 'The folder changed on the server (a new UIDVALIDITY): nothing was done, it is synced again.', {
        path: op.path,
        uidValidity: mb.uidValidity.toString(),
      });
    }
    if (mb.readOnly) throw new PetrelError('SERVER_ERROR', `The server opened “${op.path}” read-only: its messages cannot be changed.`);
    const set = compactUids(op.uids);
    const outcome: OperationOutcome = { opId: op.opId, to: null, toUidValidity: null, uidMap: [], removed: false };
    if (plan.flags) await storeFlags(client, mb, set, plan.flags);
    switch (plan.action.kind) {
      case 'none':
        return outcome;
      case 'copy':
        return { ...outcome, ...(await copyOnce(client, op, plan.action.to, uncertain)) };
      case 'move': {
        const to = plan.action.to;
        if (client.capabilities.has('MOVE')) {
          const moved = await client.messageMove(set, to, { uid: true });
          if (!moved) throw refused(`move the messages to “${to}”`);
          return { ...outcome, ...mapOf(to, moved), removed: true };
        }
        const copied = await copyOnce(client, op, to, uncertain);
        return { ...outcome, ...copied, removed: await expungeOwn(client, op.uids, set) };
      }
      case 'expunge':
        return { ...outcome, removed: await expungeOwn(client, op.uids, set) };
    }
  } finally {
    await deselect(client, op.path);
  }
}

async function storeFlags(
  client: ImapFlow,
  mb: MailboxObject,
  set: string,
  flags: { add: string[]; remove: string[]; strict: boolean },
): Promise<void> {
  const permanent = mb.permanentFlags;
  // RFC 3501: PERMANENTFLAGS lists what may be stored; \* allows new keywords. No list: anything.
  const accepted = (f: string) =>
    !permanent || permanent.has('\\*') || [...permanent].some((p) => p.toLowerCase() === f.toLowerCase());
  const refusedFlags = flags.add.filter((f) => !accepted(f));
  if (refusedFlags.length > 0 && flags.strict) {
    throw new PetrelError('SERVER_ERROR', `This folder does not accept the flag ${refusedFlags.join(', ')}.`, { flags: refusedFlags });
  }
  const add = flags.add.filter(accepted);
  if (add.length > 0 && !(await client.messageFlagsAdd(set, add, { uid: true }))) throw refused('set the flags');
  if (flags.remove.length > 0 && !(await client.messageFlagsRemove(set, flags.remove, { uid: true }))) throw refused('clear the flags');
}

/**
 * Removes exactly `uids` from the selected folder: \Deleted, then UID EXPUNGE (UIDPLUS).
 * Without UIDPLUS a plain EXPUNGE would also remove what other programs marked \Deleted, so
 * it runs only when no other message is marked; otherwise the messages stay marked \Deleted
 * (and `false` says they were not removed).
 */
async function expungeOwn(client: ImapFlow, uids: readonly number[], set: string): Promise<boolean> {
  if (client.capabilities.has('UIDPLUS')) {
    // STORE +FLAGS (\Deleted), then UID EXPUNGE <set>.
    if (!(await client.messageDelete(set, { uid: true }))) throw refused('delete the messages');
    return true;
  }
  if (!(await client.messageFlagsAdd(set, ['\\Deleted'], { uid: true }))) throw refused('mark the messages deleted');
  const marked = await client.search({ deleted: true }, { uid: true });
  if (!Array.isArray(marked)) throw refused('list the deleted messages');
  const own = new Set(uids);
  if (!marked.every((uid) => own.has(uid))) return false;
  if (!(await client.messageDelete(set, { uid: true }))) throw refused('delete the messages');
  return true;
}

type CopyOutcome = Pick<OperationOutcome, 'to' | 'toUidValidity' | 'uidMap'>;

/**
 * UID COPY of the operation's messages from the selected source; when `uncertain`, only of
 * those the destination does not hold yet (by Message-ID), the others mapped to the copies
 * already there. Messages without a Message-ID cannot be recognised and are copied.
 */
async function copyOnce(client: ImapFlow, op: Operation, to: string, uncertain: boolean): Promise<CopyOutcome> {
  const there = uncertain ? await alreadyThere(client, op, to) : null;
  const remaining = there ? op.uids.filter((u) => !there.map.has(u)) : op.uids;
  let result: CopyOutcome = { to, toUidValidity: there?.uidValidity ?? null, uidMap: [] };
  if (remaining.length > 0) {
    const copied = await client.messageCopy(compactUids(remaining), to, { uid: true });
    if (!copied) throw refused(`copy the messages to “${to}”`);
    result = mapOf(to, copied);
  }
  const found: Array<[number, number]> = there ? [...there.map] : [];
  const uidMap = [...found, ...result.uidMap].sort((a, b) => a[0] - b[0]);
  return { to, toUidValidity: result.toUidValidity ?? there?.uidValidity ?? null, uidMap };
}

const SEARCH_CHUNK = 50;

/**
 * Which of the operation's messages (selected source) `to` already holds: source UID →
 * destination UID, matched by Message-ID. Leaves the source selected read-write again (a
 * new UIDVALIDITY meanwhile is a CONFLICT).
 */
async function alreadyThere(client: ImapFlow, op: Operation, to: string): Promise<{ map: Map<number, number>; uidValidity: string }> {
  const bySourceId = new Map<string, number[]>();
  for await (const m of client.fetch(compactUids(op.uids), { uid: true, headers: ['message-id'] }, { uid: true })) {
    const id = parseMessageIds(parseHeaderFields(m.headers).get('message-id') ?? '')[0];
    if (id) bySourceId.set(id, [...(bySourceId.get(id) ?? []), m.uid]);
  }
  const map = new Map<number, number>();
  const dest = await client.mailboxOpen(to, { readOnly: true });
  const ids = [...bySourceId.keys()];
  for (let i = 0; i < ids.length; i += SEARCH_CHUNK) {
    const chunk = ids.slice(i, i + SEARCH_CHUNK).map((id) => ({ header: { 'message-id': id } }));
    const found = await client.search(chunk.length === 1 ? chunk[0]! : { or: chunk }, { uid: true });
    if (!Array.isArray(found)) throw refused(`search “${to}”`);
    if (found.length === 0) continue;
    // SEARCH HEADER is a substring match: confirm each hit's Message-ID exactly.
    for await (const m of client.fetch(compactUids(found), { uid: true, headers: ['message-id'] }, { uid: true })) {
      const id = parseMessageIds(parseHeaderFields(m.headers).get('message-id') ?? '')[0];
      const src = id ? bySourceId.get(id)?.find((u) => !map.has(u)) : undefined;
      if (src !== undefined) map.set(src, m.uid);
    }
  }
  // Back to the source, read-write (an error above leaves it to executeOperation's deselect).
  const source = await client.mailboxOpen(op.path);
  if (source.uidValidity.toString() !== op.uidValidity) {
    throw new PetrelError('CONFLICT', 'The folder changed on the server (a new UIDVALIDITY): nothing was done, it is synced again.', {
      path: op.path,
      uidValidity: source.uidValidity.toString(),
    });
  }
  return { map, uidValidity: dest.uidValidity.toString() };
}

function mapOf(to: string, r: { uidValidity?: bigint | undefined; uidMap?: Map<number, number> | undefined }) {
  return {
    to,
    toUidValidity: r.uidValidity !== undefined ? r.uidValidity.toString() : null,
    uidMap: r.uidMap ? [...r.uidMap].map(([a, b]): [number, number] => [a, b]) : [],
  };
}

function refused(what: string): PetrelError {
  return new PetrelError('SERVER_ERROR', `The mail server refused to ${what}.`);
}

/** Leaves the folder without expunging anything: EXAMINE it (read-only), then CLOSE. */
async function deselect(client: ImapFlow, path: string): Promise<void> {
  if (!client.mailbox || connectionLost(client)) return;
  try {
    await client.mailboxOpen(path, { readOnly: true });
    await client.mailboxClose();
  } catch {
    // A lost connection ends the session anyway; a refused EXAMINE leaves nothing selected.
  }
}
