import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { applyBatch } from '../../db/apply-deltas';
import type { MessageRecord, PetrelDb } from '../../db/schema';
import { A, B, foldersDelta, header, newDb, upsert } from '../../db/test-fixtures';
import { extend, openUid, single, toggle } from '../messages/selection';
import { draftsFor, moveDrafts, neighbourAfter, targetRecords, unifiedNeighbour } from './actions';

const dbs: PetrelDb[] = [];
afterEach(async () => {
  for (const d of dbs.splice(0)) await d.delete();
});

/** INBOX uids 1-6, newest = highest uid; 2 and 3 share a date (list order: 3 above 2). */
async function setup(): Promise<PetrelDb> {
  const db = newDb();
  dbs.push(db);
  const date = (uid: number) => (uid === 2 ? 1_700_000_180_000 : 1_700_000_000_000 + uid * 60_000);
  await applyBatch(db, [
    foldersDelta(A, ['INBOX']),
    upsert(A, 'INBOX', [1, 2, 3, 4, 5, 6].map((uid) => header(A, 'INBOX', uid, { seen: uid % 2 === 0, flagged: uid >= 5, date: date(uid) }))),
  ]);
  return db;
}

const records = (db: PetrelDb, uids: number[]) => targetRecords(db, { accountId: A, path: 'INBOX', uids });

describe('drafts for actions', () => {
  it('toggles follow the selection: any unread marks all read, all read marks unread; same for stars', async () => {
    const db = await setup();
    const mixed = await records(db, [1, 2]);
    expect(draftsFor('toggleRead', mixed)).toEqual([{ kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', uids: [1], add: ['\\Seen'] }]);
    expect(draftsFor('toggleRead', await records(db, [2, 4]))).toEqual([
      { kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', uids: [2, 4], remove: ['\\Seen'] },
    ]);
    expect(draftsFor('toggleStar', await records(db, [4, 5]))).toEqual([
      { kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', uids: [4], add: ['\\Flagged'] },
    ]);
    expect(draftsFor('toggleStar', await records(db, [5, 6]))[0]).toMatchObject({ uids: [5, 6], remove: ['\\Flagged'] });
    expect(draftsFor('markRead', await records(db, [2]))).toEqual([]);
    expect(draftsFor('archive', mixed)).toEqual([{ kind: 'archive', accountId: A, path: 'INBOX', uidValidity: '1', uids: [1, 2] }]);
    expect(moveDrafts(mixed, 'Work', true)).toEqual([{ kind: 'copy', accountId: A, path: 'INBOX', uidValidity: '1', uids: [1, 2], to: 'Work' }]);
    expect(moveDrafts(mixed, 'INBOX', false)).toEqual([]);
  });

  it('splits by UIDVALIDITY', () => {
    const m = (uid: number, uidValidity: string) => ({ ...header(A, 'INBOX', uid, { uidValidity }), seen: 0, flagged: 0 }) as MessageRecord;
    expect(draftsFor('delete', [m(1, '1'), m(2, '2')]).map((d) => [d.uidValidity, d.uids])).toEqual([
      ['1', [1]],
      ['2', [2]],
    ]);
  });
});

describe('the next message after a removal', () => {
  it('is the one below the removed ones in list order, else the nearest above', async () => {
    const db = await setup();
    // List order: 6, 5, 4, 3, 2, 1 (2 has 3's date and a lower uid).
    expect(await neighbourAfter(db, await records(db, [5]))).toBe(4);
    expect(await neighbourAfter(db, await records(db, [4, 5]))).toBe(3);
    expect(await neighbourAfter(db, await records(db, [3]))).toBe(2);
    expect(await neighbourAfter(db, await records(db, [1]))).toBe(2);
    expect(await neighbourAfter(db, await records(db, [1, 2]))).toBe(3);
    expect(await neighbourAfter(db, await records(db, [1, 2, 3, 4, 5, 6]))).toBeNull();
  });
});

describe('the list selection', () => {
  const order = [6, 5, 4, 3, 2, 1];
  it('selects one, toggles with Ctrl, extends ranges from the anchor with Shift', () => {
    let s = single(5);
    expect(openUid(s)).toBe(5);
    s = extend(s, 3, order);
    expect(s).toEqual({ uids: [5, 4, 3], anchor: 5, focus: 3 });
    expect(openUid(s)).toBeNull();
    s = extend(s, 6, order);
    expect(s.uids).toEqual([6, 5]);
    s = toggle(s, 1);
    expect(s).toEqual({ uids: [6, 5, 1], anchor: 1, focus: 1 });
    s = toggle(s, 1);
    expect(s).toEqual({ uids: [6, 5], anchor: 1, focus: 5 });
    expect(extend({ uids: [], anchor: 99, focus: null }, 4, order)).toEqual(single(4));
  });
});

describe('the next message in the unified inbox', () => {
  it('is the next one below across accounts, else the nearest above; other folders do not count', async () => {
    const db = newDb();
    dbs.push(db);
    const at = (minutes: number) => ({ date: 1_700_000_000_000 + minutes * 60_000 });
    // List order: B5 (50), A4 (40), B3 and A3 tied at 30 (B's key sorts after A's: B3 first), A1 (10); Archive of A is not in it.
    await applyBatch(db, [
      foldersDelta(A, ['INBOX', 'Archive']),
      foldersDelta(B, ['INBOX']),
      upsert(A, 'INBOX', [header(A, 'INBOX', 4, at(40)), header(A, 'INBOX', 3, at(30)), header(A, 'INBOX', 1, at(10))]),
      upsert(A, 'Archive', [header(A, 'Archive', 9, at(20))]),
      upsert(B, 'INBOX', [header(B, 'INBOX', 5, at(50)), header(B, 'INBOX', 3, at(30))]),
    ]);
    const rec = async (accountId: string, uid: number) => (await db.messages.get([accountId, 'INBOX', uid]))!;
    const next = async (...ms: MessageRecord[]) => {
      const n = await unifiedNeighbour(db, ms);
      return n ? `${n.accountId === A ? 'A' : 'B'}${n.uid}` : null;
    };
    expect(await next(await rec(B, 5))).toBe('A4');
    expect(await next(await rec(A, 4))).toBe('B3');
    expect(await next(await rec(B, 3))).toBe('A3');
    expect(await next(await rec(A, 3))).toBe('A1');
    expect(await next(await rec(A, 4), await rec(B, 3), await rec(A, 3))).toBe('A1');
    expect(await next(await rec(A, 1))).toBe('A3');
    expect(await next(await rec(A, 1), await rec(A, 3), await rec(B, 3), await rec(A, 4), await rec(B, 5))).toBeNull();
  });
});
