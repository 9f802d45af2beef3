import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { OperationDraft } from '../../../../shared/contract';
import { PetrelError } from '../../../../shared/errors';
import type { PetrelDb } from '../../db';
import { useDb } from '../../db/db-context';
import { useOps, type OpsRunner } from '../../ops';
import { draftsFor, isRemoval, moveDrafts, neighbourAfter, targetRecords, type MessageAction, type Targets } from './actions';

/**
 * Notices about actions that could not even start (the account has no Archive folder...):
 * shown with the failed operations (OpsStatus) until dismissed.
 */
export interface Notice {
  id: number;
  message: string;
}

let notices: readonly Notice[] = [];
let noticeSeq = 0;
const noticeListeners = new Set<() => void>();

export function addNotice(message: string): void {
  notices = [...notices.filter((n) => n.message !== message), { id: ++noticeSeq, message }].slice(-5);
  for (const l of noticeListeners) l();
}

export function dismissNotice(id: number): void {
  notices = notices.filter((n) => n.id !== id);
  for (const l of noticeListeners) l();
}

export function useNotices(): readonly Notice[] {
  return useSyncExternalStore(
    (l) => {
      noticeListeners.add(l);
      return () => noticeListeners.delete(l);
    },
    () => notices,
  );
}

async function runAll(ops: OpsRunner, drafts: readonly OperationDraft[]): Promise<boolean> {
  try {
    for (const d of drafts) await ops.run(d);
    return true;
  } catch (e) {
    addNotice(e instanceof PetrelError ? e.message : `The action failed: ${String(e)}`);
    return false;
  }
}

export interface MessageActions {
  /** Runs an action on some messages of one folder. Removals then select the next message (`onRemoved`). */
  perform(action: MessageAction, targets: Targets): Promise<void>;
  /** Moves (or copies) messages to another folder of their account. */
  moveTo(targets: Targets, to: string, copy: boolean): Promise<void>;
}

/**
 * The actions the UI offers, as operations. `onRemoved(next)` hears which message to select
 * after the selection left the folder (null: none left).
 */
export function useMessageActions(onRemoved?: (next: number | null, targets: Targets) => void): MessageActions {
  const db = useDb();
  const ops = useOps();
  const perform = useCallback(
    async (action: MessageAction, targets: Targets) => {
      const records = await targetRecords(db, targets);
      if (records.length === 0) return;
      const next = isRemoval(action) ? await neighbourAfter(db, records) : undefined;
      if ((await runAll(ops, draftsFor(action, records))) && next !== undefined) onRemoved?.(next, targets);
    },
    [db, ops, onRemoved],
  );
  const moveTo = useCallback(
    async (targets: Targets, to: string, copy: boolean) => {
      const records = await targetRecords(db, targets);
      if (records.length === 0 || targets.path === to) return;
      const next = copy ? undefined : await neighbourAfter(db, records);
      if ((await runAll(ops, moveDrafts(records, to, copy))) && next !== undefined) onRemoved?.(next, targets);
    },
    [db, ops, onRemoved],
  );
  return useMemo(() => ({ perform, moveTo }), [perform, moveTo]);
}

/** Marks one message read (mark-read-on-open), if it is unread. */
export async function markOpenedRead(db: PetrelDb, ops: OpsRunner, targets: Targets): Promise<void> {
  const records = (await targetRecords(db, targets)).filter((m) => m.seen === 0);
  if (records.length > 0) await runAll(ops, draftsFor('markRead', records));
}
