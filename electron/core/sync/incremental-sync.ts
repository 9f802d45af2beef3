/**
 * Bringing a folder from a cursor to now, by what the server offers (decided by the
 * capabilities it advertises and this session enabled, never by trying):
 *
 * - QRESYNC (RFC 7162 section 3.2): `UID FETCH 1:* (FLAGS) (CHANGEDSINCE m VANISHED)`
 *   answers both the changed messages and, as VANISHED (EARLIER), the expunged UIDs. An
 *   unchanged HIGHESTMODSEQ and UIDNEXT mean nothing happened (QRESYNC servers must raise
 *   HIGHESTMODSEQ on expunge), so a poll of an idle folder costs one SELECT.
 * - CONDSTORE only (RFC 7162 section 3.1): CHANGEDSINCE for flags; expunges are found by
 *   comparing the full UID list (UID SEARCH ALL, compact with ESEARCH), sent as `uidset`.
 * - Neither: every message's UID and FLAGS (`UID FETCH 1:* (FLAGS)`), sent as flags
 *   and `uidset`.
 *
 * New messages (UID at or above the cursor's UIDNEXT) are fetched with all list fields.
 * The new cursor is the folder as SELECT showed it before any of these commands, so
 * whatever changes while they run is covered by the next sync.
 */
import type { FetchMessageObject, ImapFlow, MailboxObject } from 'imapflow';
import type { FolderCursor } from '../../../shared/contract';
import { fetchAllYielding } from './fetch-headers';
import type { SyncOutcome } from './folder-sync';
import type { FolderContext } from './header-map';
import { storedFlags } from './header-map';
import type { SyncDeps } from './sync-context';
import { allUids, emitFlags, fetchDescending, hasModseq, snapshotOf, uidsFrom } from './sync-steps';
import { compactUids } from './uid-set';

/** New messages beyond this many get progress deltas (it is a small initial sync then). */
const PROGRESS_THRESHOLD = 500;

export async function incrementalSync(
  client: ImapFlow,
  path: string,
  mb: MailboxObject,
  cursor: FolderCursor,
  deps: SyncDeps,
  generation: number,
): Promise<SyncOutcome> {
  const { state } = deps;
  const snapshot = snapshotOf(client, state.accountId, path, mb);
  // imapflow keeps `mb` current as EXISTS/EXPUNGE arrive: the count that goes with the snapshot is now.
  const exists = mb.exists;
  const ctx: FolderContext = { accountId: state.accountId, path, uidValidity: snapshot.uidValidity };
  // MODSEQ 0 never comes from a server (RFC 7162: mod-sequences are positive); CHANGEDSINCE 0 would not report expunges.
  const modseq = hasModseq(client, mb) && cursor.highestModseq !== null && cursor.highestModseq !== '0';
  const qresync = modseq && client.enabled.has('QRESYNC');
  const uidset = (uids: number[]) =>
    deps.emit({
      kind: 'uidset',
      ...ctx,
      uids: compactUids(uids.filter((u) => u < snapshot.uidNext)),
      uidNext: snapshot.uidNext,
    });
  const flagChanges = (messages: FetchMessageObject[]) =>
    messages
      .filter((m) => m.uid < cursor.uidNext)
      .map((m) => ({ uid: m.uid, flags: storedFlags(m.flags), modseq: m.modseq !== undefined ? m.modseq.toString() : null }));

  // The memo of the full comparison only stays valid while nothing else sends this folder's flags.
  if (modseq) state.flagMemo.delete(path);
  let newUids: number[];
  if (exists === 0) {
    // Nothing left: one empty uidset says so, whatever the server's expunge history holds.
    uidset([]);
    newUids = [];
  } else if (qresync) {
    if (snapshot.highestModseq === cursor.highestModseq && snapshot.uidNext === cursor.uidNext) {
      state.cursorExists.set(path, exists);
      return 'unchanged';
    }
    const vanished: number[] = [];
    const onExpunge = (e: { path: string; uid?: number; vanished: boolean }) => {
      if (e.vanished && e.uid !== undefined) vanished.push(e.uid);
    };
    client.on('expunge', onExpunge);
    let changed: FetchMessageObject[];
    try {
      changed = await fetchAllYielding(client, '1:*', { uid: true, flags: true }, { changedSince: BigInt(cursor.highestModseq!) });
    } finally {
      client.off('expunge', onExpunge);
    }
    state.assertCurrent(generation);
    if (vanished.length > 0) deps.emit({ kind: 'expunge', ...ctx, uids: [...new Set(vanished)].sort((a, b) => a - b) });
    emitFlags(deps, ctx, flagChanges(changed));
    newUids = changed.map((m) => m.uid).filter((u) => u >= cursor.uidNext);
    // Every new message has a MODSEQ above the old HIGHESTMODSEQ; this only double-checks.
    if (newUids.length === 0 && snapshot.uidNext > cursor.uidNext) newUids = await uidsFrom(client, cursor.uidNext);
  } else if (modseq) {
    const changed = await fetchAllYielding(client, '1:*', { uid: true, flags: true }, { changedSince: BigInt(cursor.highestModseq!) });
    const all = await allUids(client);
    state.assertCurrent(generation);
    emitFlags(deps, ctx, flagChanges(changed));
    uidset(all);
    newUids = all.filter((u) => u >= cursor.uidNext);
  } else {
    const all = await fetchAllYielding(client, '1:*', { uid: true, flags: true });
    state.assertCurrent(generation);
    // Only what differs from what the renderer was last sent (every flag, the first time).
    const memo = state.flagMemo.get(path);
    const next = new Map<number, number>();
    const changes = flagChanges(all).filter((c) => {
      const id = state.flagSetId(c.flags);
      next.set(c.uid, id);
      return memo?.get(c.uid) !== id;
    });
    emitFlags(deps, ctx, changes);
    // UIDs at or above the cursor's UIDNEXT go out as upserts below; fetchDescending
    // records the flags those carry.
    state.flagMemo.set(path, next);
    uidset(all.map((m) => m.uid));
    newUids = all.map((m) => m.uid).filter((u) => u >= cursor.uidNext);
  }

  newUids = [...new Set(newUids)].sort((a, b) => a - b);
  if (newUids.length > 0) {
    const progress = newUids.length > PROGRESS_THRESHOLD ? { synced: 0, total: newUids.length, step: 0 } : null;
    await fetchDescending(client, ctx, newUids, deps, generation, progress);
    if (progress) deps.emit({ kind: 'progress', ...pathOf(ctx), synced: progress.total, total: progress.total, done: true });
  }
  state.assertCurrent(generation);
  deps.emit({ kind: 'cursor', cursor: snapshot });
  state.setCursor(snapshot, exists);
  return 'incremental';
}

function pathOf(ctx: FolderContext) {
  return { accountId: ctx.accountId, path: ctx.path };
}

/**
 * The incremental sync of a folder this connection holds selected and idling (INBOX): what
 * IDLE reported is already in the session's view, so the SELECT that `incrementalSync`
 * starts with would only rebuild that view (O(folder size) on the server: 100-400 ms for a
 * big INBOX on a busy machine, per pushed message). QRESYNC only; `null` when it does not
 * apply and the caller must run the full sync.
 *
 * No SELECT means no fresh UIDNEXT/HIGHESTMODSEQ, so the new cursor is built from what was
 * fetched: the highest MODSEQ seen and one past the highest UID seen. Both are at most the
 * server's (a cursor may lag, never lead): the next sync asks CHANGEDSINCE a little earlier
 * and gets some changes again, which deltas make harmless.
 */
export async function selectedIncrementalSync(client: ImapFlow, path: string, deps: SyncDeps, generation: number): Promise<SyncOutcome | null> {
  const { state } = deps;
  const mb = client.mailbox;
  const cursor = state.cursors.get(path);
  if (!mb || mb.path !== path || !cursor || state.initial.has(path)) return null;
  if (cursor.uidValidity !== mb.uidValidity.toString() || !hasModseq(client, mb) || !client.enabled.has('QRESYNC')) return null;
  if (cursor.highestModseq === null || cursor.highestModseq === '0') return null;
  const ctx: FolderContext = { accountId: state.accountId, path, uidValidity: cursor.uidValidity };
  const vanished: number[] = [];
  const onExpunge = (e: { path: string; uid?: number; vanished: boolean }) => {
    if (e.vanished && e.uid !== undefined) vanished.push(e.uid);
  };
  client.on('expunge', onExpunge);
  let changed: FetchMessageObject[];
  let fresh: number[];
  try {
    changed = await fetchAllYielding(client, '1:*', { uid: true, flags: true }, { changedSince: BigInt(cursor.highestModseq) });
    // New messages also show as changed; the UID search makes sure none is missed.
    fresh = await uidsFrom(client, cursor.uidNext);
  } finally {
    client.off('expunge', onExpunge);
  }
  state.assertCurrent(generation);
  if (vanished.length === 0 && changed.length === 0 && fresh.length === 0) {
    // Nothing since the cursor (a nudge from the worker's STATUS poll, say): no delta at all.
    state.cursorExists.set(path, mb.exists);
    return 'unchanged';
  }
  if (vanished.length > 0) deps.emit({ kind: 'expunge', ...ctx, uids: [...new Set(vanished)].sort((a, b) => a - b) });
  emitFlags(
    deps,
    ctx,
    changed.filter((m) => m.uid < cursor.uidNext).map((m) => ({ uid: m.uid, flags: storedFlags(m.flags), modseq: m.modseq !== undefined ? m.modseq.toString() : null })),
  );
  const newUids = [...new Set([...fresh, ...changed.map((m) => m.uid).filter((u) => u >= cursor.uidNext)])].sort((a, b) => a - b);
  if (newUids.length > 0) await fetchDescending(client, ctx, newUids, deps, generation, null);
  state.assertCurrent(generation);
  let highest = BigInt(cursor.highestModseq);
  for (const m of changed) if (m.modseq !== undefined && m.modseq > highest) highest = m.modseq;
  const next: FolderCursor = {
    ...cursor,
    highestModseq: highest.toString(),
    uidNext: Math.max(cursor.uidNext, (newUids[newUids.length - 1] ?? 0) + 1),
  };
  deps.emit({ kind: 'cursor', cursor: next });
  state.setCursor(next, mb.exists);
  return 'incremental';
}
