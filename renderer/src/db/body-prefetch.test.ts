import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { MessageBody, SyncDelta } from '../../../shared/contract';
import { applyBatch } from './apply-deltas';
import { BodyPrefetcher, FULL_PASS_EVERY_MS, OFFLINE_COMPLETE_KEY, offlineLimitBytes, type PrefetchConnection } from './body-prefetch';
import { A, batch, cursor, foldersDelta, header, newDb, upsert } from './test-fixtures';

function fakeConnection(status = 'connected') {
  const call = vi.fn(async (_m: 'messages.bodies', p: { accountId: string; path: string; uidValidity: string; uids: number[]; sizes?: number[] }) => ({
    bodies: p.uids.map(
      (uid): MessageBody => ({ accountId: p.accountId, path: p.path, uidValidity: p.uidValidity, uid, html: null, text: `body ${uid}`, attachments: [] }),
    ),
  }));
  const conn: PrefetchConnection = { state: { status }, onState: () => () => undefined, call };
  return { conn, call };
}

const T0 = 1_700_000_000_000;

function memoryStorage() {
  const items = new Map<string, string>();
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), items };
}

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
    // The cached sizes go along, in the order of the UIDs (the engine reads small ones whole at once).
    const sizeOf = (path: string, uid: number) => (path === 'INBOX' ? inbox.find((h) => h.uid === uid)!.size : header(A, 'Archive', 9).size);
    for (const [, p] of call.mock.calls) expect(p.sizes).toEqual(p.uids.map((uid) => sizeOf(p.path, uid)));
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

  it('during a first sync, fetches the older messages each batch brings, and remembers nothing', async () => {
    const db = newDb();
    const storage = memoryStorage();
    const msgs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => header(A, 'INBOX', from + i, { date: T0 + (from + i) * 1000 }));
    const partial = (below: number): SyncDelta => ({ kind: 'cursor', cursor: { accountId: A, path: 'INBOX', uidValidity: '1', highestModseq: null, uidNext: 2001, partialBelow: below } });
    // The newest 1,200 first (pages of 500), then older ones below them, then the last batch and the full cursor.
    await applyBatch(db, batch(1, foldersDelta(A, ['INBOX']), upsert(A, 'INBOX', msgs(801, 2000)), partial(801)));
    const p = new BodyPrefetcher(db, fakeConnection().conn, { storage });
    expect(await p.pass()).toBe(1200);
    await applyBatch(db, batch(2, upsert(A, 'INBOX', msgs(301, 800)), partial(301)));
    // A probe: bodies of messages between the top page and the end of the last pass go missing.
    await db.bodies.bulkDelete(Array.from({ length: 100 }, (_, k): [string, string, number] => [A, 'INBOX', 1301 + k]));
    // The next pass reads the top page, then goes on below where the last one ended, not through
    // the middle again: only the 500 new ones (the old code took the folder for complete: 0).
    expect(await p.pass()).toBe(500);
    expect(storage.items.size).toBe(0);
    await applyBatch(db, batch(3, upsert(A, 'INBOX', msgs(1, 300)), cursor(A, 'INBOX', 2001)));
    // The sync is done: a walk of the whole folder, which finds the probe's 100 too.
    expect(await p.pass()).toBe(300 + 100);
    expect(await db.bodies.count()).toBe(2000);
    // Synced and walked in full: remembered.
    expect(storage.items.get(OFFLINE_COMPLETE_KEY)).toContain('"uidValidity":"1"');
  });

  it('does nothing at all when the download is off (limit 0)', async () => {
    const db = newDb();
    await applyBatch(db, batch(1, foldersDelta(A, ['INBOX']), upsert(A, 'INBOX', [header(A, 'INBOX', 1)]), cursor(A, 'INBOX', 2)));
    const { conn, call } = fakeConnection();
    const reads = vi.spyOn(db.messages, 'where');
    expect(await new BodyPrefetcher(db, conn, { maxMessageBytes: 0, storage: null }).pass()).toBe(0);
    expect(call).not.toHaveBeenCalled();
    expect(reads).not.toHaveBeenCalled();
  });

  it('reads the limit the person set: 0 is off; absent, empty or invalid is the default', () => {
    const at = (v: string | null) => offlineLimitBytes({ getItem: () => v });
    expect(at('0')).toBe(0);
    expect(at('1048576')).toBe(1048576);
    expect(at(null)).toBe(32 * 1024 * 1024);
    expect(at('')).toBe(32 * 1024 * 1024);
    expect(at('-5')).toBe(32 * 1024 * 1024);
    expect(at('lots')).toBe(32 * 1024 * 1024);
  });

  describe('after a restart', () => {
    /** A 1,234-message INBOX whose every body is stored by a first run; then the body of an old message (uid 3) is lost. */
    async function completeFolder() {
      const db = newDb();
      const inbox = Array.from({ length: 1234 }, (_, i) => header(A, 'INBOX', i + 1, { date: T0 + i * 1000 }));
      await applyBatch(db, batch(1, foldersDelta(A, ['INBOX']), upsert(A, 'INBOX', inbox), cursor(A, 'INBOX', 1235)));
      const storage = memoryStorage();
      let now = T0;
      const first = fakeConnection();
      expect(await new BodyPrefetcher(db, first.conn, { storage, now: () => now }).pass()).toBe(1234);
      await db.bodies.delete([A, 'INBOX', 3]);
      return { db, storage, setNow: (t: number) => (now = t), now: () => now };
    }
    /** Counts reads of stored body values on `bodies` (not of keys alone). */
    async function countBodyValueReads(db: ReturnType<typeof newDb>) {
      const reads = { n: 0 };
      db.use({
        stack: 'dbcore',
        name: 'count-body-reads',
        create: (down) => ({
          ...down,
          table: (name) => {
            const t = down.table(name);
            if (name !== 'bodies') return t;
            return {
              ...t,
              get: (req) => (reads.n++, t.get(req)),
              getMany: (req) => (reads.n++, t.getMany(req)),
              query: (req) => (req.values !== false && reads.n++, t.query(req)),
              openCursor: (req) => (req.values !== false && reads.n++, t.openCursor(req)),
            };
          },
        }),
      });
      // A middleware takes effect when the database opens.
      db.close();
      await db.open();
      return reads;
    }

    it('stops at the first complete page of a folder found complete before, without reading bodies', async () => {
      const { db, storage, now } = await completeFolder();
      const reads = await countBodyValueReads(db);
      await db.bodies.get([A, 'INBOX', 1]);
      expect(reads.n).toBe(1); // the counter counts
      reads.n = 0;
      const { conn, call } = fakeConnection();
      // A new prefetcher: the app started again. The newest page is complete, so the walk ends there.
      expect(await new BodyPrefetcher(db, conn, { storage, now }).pass()).toBe(0);
      expect(call).not.toHaveBeenCalled();
      expect(reads.n).toBe(0);
    });

    it('walks the whole folder again after a day (not while the app starts), and under another size limit', async () => {
      const a = await completeFolder();
      a.setNow(T0 + FULL_PASS_EVERY_MS + 1);
      const day = fakeConnection();
      const next = new BodyPrefetcher(a.db, day.conn, { storage: a.storage, now: a.now });
      // Not in the first pass of the run (the app is starting), in the next one.
      expect(await next.pass()).toBe(0);
      expect(await next.pass()).toBe(1);
      expect(day.call.mock.calls.map((c) => c[1].uids)).toEqual([[3]]);

      const b = await completeFolder();
      const limit = fakeConnection();
      expect(await new BodyPrefetcher(b.db, limit.conn, { storage: b.storage, now: b.now, maxMessageBytes: 10 * 1024 * 1024 }).pass()).toBe(1);
    });

    it('walks everything when the saved state is unreadable, or without storage', async () => {
      const a = await completeFolder();
      a.storage.items.set(OFFLINE_COMPLETE_KEY, '{"maxBytes": 33554432, "folders": [');
      expect(await new BodyPrefetcher(a.db, fakeConnection().conn, { storage: a.storage, now: a.now }).pass()).toBe(1);

      const b = await completeFolder();
      expect(await new BodyPrefetcher(b.db, fakeConnection().conn, { storage: null, now: b.now }).pass()).toBe(1);
    });

    it('does not go by a folder that was complete under another UIDVALIDITY', async () => {
      const { db, storage, now } = await completeFolder();
      const saved = JSON.parse(storage.items.get(OFFLINE_COMPLETE_KEY)!) as { folders: Record<string, { uidValidity: string }> };
      for (const c of Object.values(saved.folders)) c.uidValidity = '12345';
      storage.items.set(OFFLINE_COMPLETE_KEY, JSON.stringify(saved));
      expect(await new BodyPrefetcher(db, fakeConnection().conn, { storage, now }).pass()).toBe(1);
    });
  });
});
