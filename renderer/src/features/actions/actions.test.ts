import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { applyBatch } from '../../db/apply-deltas';
import type { MessageRecord, PetrelDb } from '../../db/schema';
import { A, foldersDelta, header, newDb, upsert } from '../../db/test-fixtures';
import { extend, openUid, single, toggle } from '../messages/selection';
import { draftsFor, moveDrafts, neighbourAfter, targetRecords } from './actions';

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
