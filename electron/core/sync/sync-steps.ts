/**
 * Steps both kinds of folder sync share: the snapshot a cursor is made of, the UID list,
 * fetching headers newest first in growing batches, flag deltas.
 */
import type { ImapFlow, MailboxObject } from 'imapflow';
import type { FolderCursor, MessageHeader } from '../../../shared/contract';
import { yieldToLoop } from './connection';
import { fetchHeaders } from './fetch-headers';
import type { FolderContext } from './header-map';
import { RestartSync, type SyncDeps } from './sync-context';
import { compactUids, descendingSlices, expandUidSet } from './uid-set';

/** Whether this session may use CONDSTORE (RFC 7162) on the selected folder. */
export function hasModseq(client: ImapFlow, mb: MailboxObject): boolean {
  return client.enabled.has('CONDSTORE') && !mb.noModseq && mb.highestModseq !== undefined;
}

/** The folder as SELECT saw it: what the cursor of this sync will say. */
export function snapshotOf(client: ImapFlow, accountId: string, path: string, mb: MailboxObject): FolderCursor {
  return {
    accountId,
    path,
    uidValidity: mb.uidValidity.toString(),
    highestModseq: hasModseq(client, mb) ? mb.highestModseq!.toString() : null,
    uidNext: mb.uidNext,
  };
}

export async function selectFolder(client: ImapFlow, path: string): Promise<MailboxObject> {
  if (path.toUpperCase() === 'INBOX') knowInbox(client);
  return client.mailboxOpen(path, { readOnly: true });
}

/**
 * imapflow LISTs (and LSUBs) a folder it has not listed on this connection before selecting
 * it, only to copy the delimiter and special use into the mailbox object, which the engine
 * never reads there. On the INBOX connection those are two round trips before every first
 * EXAMINE (a resync waits for them); INBOX always exists (RFC 3501 5.1), so it is entered in
 * imapflow's folder cache as listed. Its internal cache: when it is not there (another
 * imapflow), nothing is done and the LIST runs as before.
 */
export function knowInbox(client: ImapFlow): void {
  const folders = (client as unknown as { folders?: unknown }).folders;
  if (!(folders instanceof Map) || folders.has('INBOX')) return;
  folders.set('INBOX', { path: 'INBOX', pathAsListed: 'INBOX', name: 'INBOX', flags: new Set<string>(), listed: true });
}

/** Every UID in the selected folder, ascending (ESEARCH, RFC 4731, answers in compact form). */
export async function allUids(client: ImapFlow): Promise<number[]> {
  const mailbox = client.mailbox;
  if (mailbox && mailbox.exists === 0) return [];
  if (client.capabilities.has('ESEARCH')) {
    const r = await client.search({ all: true }, { uid: true, returnOptions: ['ALL'] });
    if (Array.isArray(r)) return [...r].sort((a, b) => a - b);
    if (r && typeof r === 'object') return r.all ? expandUidSet(r.all) : [];
  } else {
    const r = await client.search({ all: true }, { uid: true });
    if (Array.isArray(r)) return [...r].sort((a, b) => a - b);
  }
  throw new Error('UID SEARCH ALL failed');
}

/** UIDs from `from` up, ascending ("n:*" also matches the last message when n is above every UID). */
export async function uidsFrom(client: ImapFlow, from: number): Promise<number[]> {
  const r = await client.search({ uid: `${from}:*` }, { uid: true });
  if (!Array.isArray(r)) throw new Error('UID SEARCH failed');
  return r.filter((u) => u >= from).sort((a, b) => a - b);
}

/**
 * Fetches headers of `uids` (ascending) newest first in growing batches and emits them,
 * with progress. Between batches the checkpoint may run urgent work; the folder is then
 * selected again, and a changed UIDVALIDITY restarts the sync.
 */
export async function fetchDescending(
  client: ImapFlow,
  ctx: FolderContext,
  uids: number[],
  deps: SyncDeps,
  generation: number,
  progress: { synced: number; total: number; step: number } | null,
  onBatch?: (remaining: number) => void,
): Promise<void> {
  let step = progress?.step ?? 0;
  let remaining = uids.length;
  for (const slice of descendingSlices(uids, deps.batchSizes.slice(Math.min(step, deps.batchSizes.length - 1)))) {
    // Newest first within the batch too, so the first delta of a split batch is the top of the list.
    const fetched = await fetchHeaders(client, compactUids(slice), ctx);
    const headers: MessageHeader[] = fetched.headers.sort((a, b) => b.uid - a.uid);
    deps.state.assertCurrent(generation);
    deps.emit({ kind: 'upsert', accountId: ctx.accountId, path: ctx.path, uidValidity: ctx.uidValidity, messages: headers });
    // Another client's flag changes the server reported meanwhile (messages outside this batch).
    emitFlags(deps, ctx, fetched.flags);
    const memo = deps.state.flagMemo.get(ctx.path);
    if (memo) for (const h of [...headers, ...fetched.flags]) memo.set(h.uid, deps.state.flagSetId(h.flags));
    remaining -= slice.length;
    step++;
    if (progress) {
      progress.synced += slice.length;
      progress.step = step;
      deps.emit({ kind: 'progress', accountId: ctx.accountId, path: ctx.path, synced: progress.synced, total: progress.total, done: false });
    }
    onBatch?.(remaining);
    if (remaining === 0) break;
    // The renderer stores more slowly than this fetches: the host holds what it is behind by.
    if (deps.room) {
      await deps.room();
      deps.state.assertCurrent(generation);
    }
    if (await deps.checkpoint()) {
      const mb = await selectFolder(client, ctx.path);
      if (mb.uidValidity.toString() !== ctx.uidValidity) throw new RestartSync('UIDVALIDITY changed during the sync');
    } else {
      await yieldToLoop();
    }
  }
}

/** Flag changes as deltas of at most 5000 each. */
export function emitFlags(deps: SyncDeps, ctx: FolderContext, changes: { uid: number; flags: string[]; modseq: string | null }[]): void {
  for (let i = 0; i < changes.length; i += 5000) {
    deps.emit({ kind: 'flags', accountId: ctx.accountId, path: ctx.path, uidValidity: ctx.uidValidity, changes: changes.slice(i, i + 5000) });
  }
}
