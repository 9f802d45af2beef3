import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { MessageBody } from '../../../shared/contract';
import { applyBatch } from './apply-deltas';
import { BodyPrefetcher, type PrefetchConnection } from './body-prefetch';
import { A, batch, foldersDelta, header, newDb, upsert } from './test-fixtures';

function fakeConnection(status = 'connected') {
  const call = vi.fn(async (_m: 'messages.bodies', p: { accountId: string; path: string; uidValidity: string; uids: number[] }) => ({
    bodies: p.uids.map(
      (uid): MessageBody => ({ accountId: p.accountId, path: p.path, uidValidity: p.uidValidity, uid, html: null, text: `body ${uid}`, attachments: [] }),
    ),
  }));
  const conn: PrefetchConnection = { state: { status }, onState: () => () => undefined, call };
  return { conn, call };
}

const T0 = 1_700_000_000_000;

describe('BodyPrefetcher', () => {
  it('downloads every missing body newest first, INBOX first, skipping big messages, then costs nothing', async () => {
    const db = newDb();
    const inbox = [1, 2, 3, 4].map((uid) => header(A, 'INBOX', uid, { date: uid * 1000 }));
    inbox[1] = { ...inbox[1]!, size: 50 * 1024 * 1024 };
    await applyBatch(db, batch(1, foldersDelta(A, ['INBOX', 'Archive']), upsert(A, 'INBOX', inbox), upsert(A, 'Archive', [header(A, 'Archive', 9)])));
    const { conn, call } = fakeConnection();
    const p = new BodyPrefetcher(db, conn, { batch: 2 });
    expect(await p.pass()).toBe(4);
    expect(call.mock.calls.map((c) => [c[1].path, c[1].uids])).toEqual([
      ['INBOX', [4, 3]],
      ['INBOX', [1]],
      ['Archive', [9]],
    ]);
    expect((await db.bodies.get([A, 'INBOX', 3]))?.text).toBe('body 3');
    expect(await db.bodies.get([A, 'INBOX', 2])).toBeUndefined();
    call.mockClear();
    expect(await p.pass()).toBe(0);
    expect(call).not.toHaveBeenCalled();
  });

  it('pages through a long folder, runs of equal dates included, asking for each body once', async () => {
    const db = newDb();
    // 1,234 messages (pages of 500), dates in runs of 7 so page ends fall inside runs.
    const inbox = Array.from({ length: 1234 }, (_, i) => header(A, 'INBOX', i + 1, { date: T0 + Math.floor(i / 7) * 1000 }));
    await applyBatch(db, batch(1, foldersDelta(A, ['INBOX']), upsert(A, 'INBOX', inbox)));
    const { conn, call } = fakeConnection();
    expect(await new BodyPrefetcher(db, conn).pass()).toBe(1234);
    const asked = call.mock.calls.flatMap((c) => c[1].uids);
    expect(asked).toHaveLength(1234);
    expect(new Set(asked).size).toBe(1234);
    expect(await db.bodies.count()).toBe(1234);
  });

  it('does nothing while the engine is not connected', async () => {
    const db = newDb();
    await applyBatch(db, batch(1, foldersDelta(A, ['INBOX']), upsert(A, 'INBOX', [header(A, 'INBOX', 1)])));
    const { conn, call } = fakeConnection('disconnected');
    expect(await new BodyPrefetcher(db, conn).pass()).toBe(0);
    expect(call).not.toHaveBeenCalled();
  });

  it('drops bodies of messages that changed UIDVALIDITY meanwhile', async () => {
    const db = newDb();
    await applyBatch(db, batch(1, foldersDelta(A, ['INBOX']), upsert(A, 'INBOX', [header(A, 'INBOX', 1)])));
    const conn: PrefetchConnection = {
      state: { status: 'connected' },
      onState: () => () => undefined,
      call: async (_m, p) => ({
        bodies: p.uids.map((uid) => ({ accountId: p.accountId, path: p.path, uidValidity: '999', uid, html: null, text: 'stale', attachments: [] })),
      }),
    };
    await new BodyPrefetcher(db, conn).pass();
    expect(await db.bodies.count()).toBe(0);
  });

  it('splits batches by size and keeps a second request in flight while the first is stored', async () => {
    const db = newDb();
    const inbox = [1, 2, 3, 4, 5].map((uid) => ({ ...header(A, 'INBOX', uid, { date: uid * 1000 }), size: 400 }));
    await applyBatch(db, batch(1, foldersDelta(A, ['INBOX']), upsert(A, 'INBOX', inbox)));
    const pending: { uids: number[]; answer: () => void }[] = [];
    const conn: PrefetchConnection = {
      state: { status: 'connected' },
      onState: () => () => undefined,
      call: (_m, p) =>
        new Promise((resolve) => {
          const bodies = p.uids.map((uid): MessageBody => ({ accountId: p.accountId, path: p.path, uidValidity: p.uidValidity, uid, html: null, text: `body ${uid}`, attachments: [] }));
          pending.push({ uids: p.uids, answer: () => resolve({ bodies }) });
        }),
    };
    const stored: number[][] = [];
    const bulkPut = db.bodies.bulkPut.bind(db.bodies);
    vi.spyOn(db.bodies, 'bulkPut').mockImplementation((records, ...rest) => {
      stored.push(records.map((r) => r.uid));
      return bulkPut(records, ...(rest as []));
    });
    const done = new BodyPrefetcher(db, conn, { batch: 10, batchBytes: 1000, depth: 2 }).pass();
    // Two requests out (1000 bytes each at most) before any answer.
    await vi.waitFor(() => expect(pending.map((r) => r.uids)).toEqual([[5, 4], [3, 2]]));
    pending[0]!.answer();
    await vi.waitFor(() => expect(pending).toHaveLength(3));
    expect(pending[2]!.uids).toEqual([1]);
    // The third answers before the second: stored in request order all the same.
    pending[2]!.answer();
    pending[1]!.answer();
    expect(await done).toBe(5);
    expect(stored).toEqual([[5, 4], [3, 2], [1]]);
    expect(await db.bodies.count()).toBe(5);
  });
});
