/**
 * First sync of a folder (no cursor, or its UIDVALIDITY changed: RFC 3501 2.3.1.1 says
 * every cached UID is void then). Newest first, in growing batches, so the top of the
 * list shows within a fraction of a second; the cursor comes last and says what the
 * folder was when the sync *started*, so the next incremental sync re-covers anything
 * that changed meanwhile.
 *
 * After every batch but the last, a *partial* cursor goes out: that same starting cursor
 * with `partialBelow`, the lowest UID stored so far. Progress survives reconnects (kept
 * here) and restarts of the app (the renderer hands the partial cursor back): the sync
 * then fetches only the UIDs below it, without a reset, and returns `continued` so the
 * caller syncs from the starting cursor at once: whatever changed among the messages
 * stored before the restart (flags, expunges) comes through that incremental sync.
 */
import type { ImapFlow, MailboxObject } from 'imapflow';
import { allUids, fetchDescending, snapshotOf } from './sync-steps';
import type { InitialProgress, SyncDeps } from './sync-context';

export type InitialOutcome = 'initial' | 'continued';

export async function initialSync(client: ImapFlow, path: string, mb: MailboxObject, deps: SyncDeps, generation: number): Promise<InitialOutcome> {
  const { state } = deps;
  const snapshot = snapshotOf(client, state.accountId, path, mb);
  // imapflow keeps `mb` current as EXISTS/EXPUNGE arrive: the count that goes with the snapshot is now.
  const exists = mb.exists;
  let progress = state.initial.get(path);
  if (!progress || progress.generation !== generation || progress.cursor.uidValidity !== snapshot.uidValidity) {
    const partial = state.partial.get(path);
    state.partial.delete(path);
    const uids = await allUids(client);
    state.assertCurrent(generation);
    if (partial?.partialBelow !== undefined && partial.uidValidity === snapshot.uidValidity) {
      // Cut off earlier: everything from partialBelow up is stored; fetch the rest. The count
      // that went with the starting cursor is unknown (-1): the incremental sync that follows sets it.
      const { partialBelow, ...cursor } = partial;
      const rest = uids.filter((u) => u < partialBelow);
      progress = {
        generation,
        cursor,
        exists: -1,
        remaining: rest,
        total: uids.length,
        synced: uids.length - rest.length,
        // The top of the list is there already: no small first batches.
        step: deps.batchSizes.length - 1,
        continued: true,
      } satisfies InitialProgress;
      deps.log.info('continuing an initial sync cut off earlier', { remaining: rest.length, total: uids.length });
    } else {
      // Drop whatever the renderer holds for the folder: another UIDVALIDITY, or a partial sync.
      deps.emit({ kind: 'reset', accountId: state.accountId, path, uidValidity: snapshot.uidValidity });
      progress = { generation, cursor: snapshot, exists, remaining: uids, total: uids.length, synced: 0, step: 0, continued: false } satisfies InitialProgress;
    }
    // Without CONDSTORE, remember the flags sent, so later full comparisons send only changes.
    // (After a continuation the memo lacks the messages stored before: their flags go again once.)
    if (progress.cursor.highestModseq === null) state.flagMemo.set(path, new Map());
    else state.flagMemo.delete(path);
    state.initial.set(path, progress);
    deps.emit({ kind: 'progress', accountId: state.accountId, path, synced: progress.synced, total: progress.total, done: false });
  }
  const p = progress;
  const ctx = { accountId: state.accountId, path, uidValidity: snapshot.uidValidity };
  await fetchDescending(client, ctx, p.remaining.slice(), deps, generation, p, (remaining) => {
    if (remaining > 0) deps.emit({ kind: 'cursor', cursor: { ...p.cursor, partialBelow: p.remaining[remaining]! } });
    p.remaining.length = remaining;
  });
  state.assertCurrent(generation);
  deps.emit({ kind: 'cursor', cursor: p.cursor });
  deps.emit({ kind: 'progress', accountId: state.accountId, path, synced: p.total, total: p.total, done: true });
  state.setCursor(p.cursor, p.exists);
  state.initial.delete(path);
  return p.continued ? 'continued' : 'initial';
}
