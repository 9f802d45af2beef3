import { useLiveQuery } from 'dexie-react-hooks';
import { useEffect, useRef } from 'react';
import { allFolders, isInboxPath, type FolderRecord, type PetrelDb } from '../../db';
import { RECENT_MAX } from '../../db/apply-deltas';
import { useDb } from '../../db/db-context';
import { ANCHOR_STEP, anchorsReach, anchorsUsable, wantAnchors } from '../../db/folder-anchors';

/** A long folder's jump anchors are read once its length has not changed for this long. */
const ANCHORS_AFTER_MS = 1000;
/** ...and a growing folder waits at most this long for its length to settle. */
const ANCHORS_MAX_WAIT_MS = 15_000;

/**
 * Reads the jump anchors (db/folder-anchors.ts) of `folders` in the background, so a jump into
 * their list is quick. A folder without any has them read `firstMs` after this asks; one that
 * grew, once its length has stayed the same for a while: three times the last gap between two
 * lengths seen under `key`, at least ANCHORS_AFTER_MS. A first sync of 100k under load changes
 * the length every 1-2 s, and reading anchors between its batches (each read walks the whole
 * folder) ran 14 times in one sync. Anchors that reach the end and can all be placed in the list
 * as it is (the folder's change log moves them past new mail and removals) need nothing.
 */
export function useAnchorsAhead(db: PetrelDb, key: string, folders: readonly FolderRecord[], firstMs: number): void {
  // What the anchors depend on: each folder's length and `changes`.
  const state = folders.map((f) => `${f.accountId}\u0000${f.path}\u0000${f.cachedTotal}\u0000${f.changes ?? 0}`).join('\u0001');
  const latest = useRef(folders);
  latest.current = folders;
  const lengthSeen = useRef({ key: '', at: 0, gap: 0 });
  useEffect(() => {
    const seen = lengthSeen.current;
    const now = Date.now();
    lengthSeen.current = seen.key === key ? { key, at: now, gap: now - seen.at } : { key, at: now, gap: 0 };
    const timers: ReturnType<typeof setTimeout>[] = [];
    const current = (f: FolderRecord) => anchorsReach(db, f.accountId, f.path) > f.cachedTotal - ANCHOR_STEP - RECENT_MAX && anchorsUsable(db, f);
    for (const f of latest.current) {
      if (current(f)) continue;
      const delay = anchorsReach(db, f.accountId, f.path) === 0 ? firstMs : Math.min(ANCHORS_MAX_WAIT_MS, Math.max(ANCHORS_AFTER_MS, 3 * lengthSeen.current.gap));
      // Checked again when due: another list (All inboxes and the INBOX's own) may have read them.
      timers.push(setTimeout(() => current(f) || wantAnchors(db, f.accountId, f.path, { refresh: true }), delay));
    }
    return () => timers.forEach(clearTimeout);
    // `state` stands for the folders' lengths and changes.
  }, [db, key, state, firstMs]);
}

/** Every INBOX's anchors are asked for this long after they are first seen without any. */
const INBOX_FIRST_MS = 1000;

/**
 * Keeps every INBOX's anchors read while there are several INBOXes, whatever list is open:
 * All inboxes places each INBOX by its anchors (db/unified-inbox.ts), and its first jump with
 * an INBOX whose anchors were not read yet took 0.6-2 s (an account added a minute before:
 * docs/benchmarks.md) against ~70 ms. An INBOX in its first sync waits for it to end (its
 * cursor stored without `partialBelow`): nobody is looking at it, and each read walks it all.
 * A component of its own, so the folder rows' live query re-renders only it.
 */
export function InboxAnchorsAhead(): null {
  const db = useDb();
  const inboxes = useLiveQuery(async () => {
    const all = (await allFolders(db)).filter((f) => isInboxPath(f.path));
    const cursors = await db.cursors.bulkGet(all.map((f) => [f.accountId, f.path]));
    return { count: all.length, synced: all.filter((_, i) => cursors[i] !== undefined && cursors[i].partialBelow === undefined) };
  }, [db]);
  const long = inboxes && inboxes.count > 1 ? inboxes.synced.filter((f) => f.cachedTotal > ANCHOR_STEP) : [];
  useAnchorsAhead(db, 'inboxes', long, INBOX_FIRST_MS);
  return null;
}
