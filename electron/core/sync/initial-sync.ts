/**
 * First sync of a folder (no cursor, or its UIDVALIDITY changed: RFC 3501 2.3.1.1 says
 * every cached UID is void then). Newest first, in growing batches, so the top of the
 * list shows within a fraction of a second; the cursor comes last and says what the
 * folder was when the sync *started*, so the next incremental sync re-covers anything
 * that changed meanwhile. Progress survives reconnects (not resumes).
 */
import type { ImapFlow, MailboxObject } from 'imapflow';
import { allUids, fetchDescending, snapshotOf } from './sync-steps';
import type { InitialProgress, SyncDeps } from './sync-context';

export async function initialSync(client: ImapFlow, path: string, mb: MailboxObject, deps: SyncDeps, generation: number): Promise<void> {
  const { state } = deps;
  const snapshot = snapshotOf(client, state.accountId, path, mb);
  // imapflow keeps `mb` current as EXISTS/EXPUNGE arrive: the count that goes with the snapshot is now.
  const exists = mb.exists;
  let progress = state.initial.get(path);
  if (!progress || progress.generation !== generation || progress.cursor.uidValidity !== snapshot.uidValidity) {
    // Drop whatever the renderer holds for the folder: another UIDVALIDITY, or a partial sync.
    deps.emit({ kind: 'reset', accountId: state.accountId, path, uidValidity: snapshot.uidValidity });
    // Without CONDSTORE, remember the flags sent, so later full comparisons send only changes.
    if (snapshot.highestModseq === null) state.flagMemo.set(path, new Map());
    else state.flagMemo.delete(path);
    const uids = await allUids(client);
    state.assertCurrent(generation);
    progress = { generation, cursor: snapshot, exists, remaining: uids, total: uids.length, synced: 0, step: 0 } satisfies InitialProgress;
    state.initial.set(path, progress);
    deps.emit({ kind: 'progress', accountId: state.accountId, path, synced: 0, total: uids.length, done: false });
  }
  const p = progress;
  const ctx = { accountId: state.accountId, path, uidValidity: snapshot.uidValidity };
  await fetchDescending(client, ctx, p.remaining.slice(), deps, generation, p, (remaining) => {
    p.remaining.length = remaining;
  });
  state.assertCurrent(generation);
  deps.emit({ kind: 'cursor', cursor: p.cursor });
  deps.emit({ kind: 'progress', accountId: state.accountId, path, synced: p.total, total: p.total, done: true });
  state.setCursor(p.cursor, p.exists);
  state.initial.delete(path);
}
