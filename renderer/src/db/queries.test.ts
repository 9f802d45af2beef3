import 'fake-indexeddb/auto';
import { liveQuery } from 'dexie';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyBatch, RECENT_MAX } from './apply-deltas';
import { putBody } from './bodies';
import {
  allCursors,
  folderMessages,
  foldersOf,
  inboxUnread,
  message,
  messageBody,
  pageCursorOf,
  unifiedInbox,
} from './queries';
import { anchorsReach, buildFolderAnchors, clearAnchors, currentAnchors, hasAnchors, useAnchorStorage } from './folder-anchors';
import { removeAccount } from './remove-account';
import type { MessageRecord, PetrelDb } from './schema';
import { A, B, cursor, folderInfo, foldersDelta, header, newDb, upsert } from './test-fixtures';

const dbs: PetrelDb[] = [];
function db(): PetrelDb {
  const d = newDb();
  dbs.push(d);
  return d;
}
afterEach(async () => {
  clearAnchors();
  for (const d of dbs.splice(0)) await d.delete();
});

const T0 = 1_700_000_000_000;
const keys = (ms: MessageRecord[]) => ms.map((m) => `${m.accountId === A ? 'A' : 'B'}:${m.path}:${m.uid}`);

describe('folderMessages', () => {
  it('pages newest first, by offset or after a message, with ties by uid', async () => {
    const d = db();
    // uid 1..30, date descending with uid except that 10..12 share a date.
    const msgs = Array.from({ length: 30 }, (_, i) => {
      const uid = i + 1;
      const date = uid >= 10 && uid <= 12 ? T0 + 10 * 1000 : T0 + uid * 1000;
      return header(A, 'INBOX', uid, { date });
    });
    await applyBatch(d, [upsert(A, 'INBOX', msgs), upsert(A, 'Other', [header(A, 'Other', 1, { date: T0 + 99_000 })])]);
    const expected = Array.from({ length: 30 }, (_, i) => 30 - i);

    const first = await folderMessages(d, A, 'INBOX', { limit: 10 });
    expect(first.map((m) => m.uid)).toEqual(expected.slice(0, 10));
    const byOffset = await folderMessages(d, A, 'INBOX', { limit: 10, offset: 15 });
    expect(byOffset.map((m) => m.uid)).toEqual(expected.slice(15, 25));

    // Walk with `after` through the whole folder, crossing the tie at 12, 11, 10.
    const walked: number[] = [];
    let page = await folderMessages(d, A, 'INBOX', { limit: 4 });
    while (page.length > 0) {
      walked.push(...page.map((m) => m.uid));
      page = await folderMessages(d, A, 'INBOX', { limit: 4, after: pageCursorOf(page[page.length - 1]!) });
    }
    expect(walked).toEqual(expected);
    // A cursor inside the tie.
    const afterEleven = await folderMessages(d, A, 'INBOX', { limit: 3, after: pageCursorOf((await message(d, [A, 'INBOX', 11]))!) });
    expect(afterEleven.map((m) => m.uid)).toEqual([10, 9, 8]);
  });

  it('works inside liveQuery and sees new mail', async () => {
    const d = db();
    await applyBatch(d, [upsert(A, 'INBOX', [header(A, 'INBOX', 1)])]);
    const seen: number[][] = [];
    const sub = liveQuery(() => folderMessages(d, A, 'INBOX', { limit: 5 })).subscribe({
      next: (ms) => seen.push(ms.map((m) => m.uid)),
    });
    await until(() => seen.length === 1);
    await applyBatch(d, [upsert(A, 'INBOX', [header(A, 'INBOX', 2)])]);
    await until(() => seen.length === 2);
    sub.unsubscribe();
    expect(seen).toEqual([[1], [2, 1]]);
  });
});

describe('folderMessages by offset', () => {
  it('gives every window of the list, also when it starts inside a run of equal dates, and only the folder', async () => {
    const d = db();
    // Runs of equal dates (3, 4 and 2 messages), dates out of uid order, neighbours on each side.
    const dateOf = (uid: number) => (uid <= 3 ? T0 + 5000 : uid >= 20 && uid <= 23 ? T0 : uid >= 30 ? T0 + 100 : T0 + ((uid * 7919) % 40) * 1000);
    const msgs = Array.from({ length: 31 }, (_, i) => header(A, 'INBOX', i + 1, { date: dateOf(i + 1) }));
    await applyBatch(d, [
      upsert(A, 'INBOX', msgs),
      upsert(A, 'Archive', [header(A, 'Archive', 1, { date: T0 + 1e9 })]),
      upsert(A, 'Other', [header(A, 'Other', 1, { date: T0 - 1e9 })]),
      upsert(B, 'INBOX', [header(B, 'INBOX', 1, { date: T0 })]),
    ]);
    // The list order: newest first, ties by uid, highest first.
    const expected = msgs
      .map((m) => ({ uid: m.uid, date: m.date }))
      .sort((a, b) => b.date - a.date || b.uid - a.uid)
      .map((m) => m.uid);
    expect((await folderMessages(d, A, 'INBOX', { limit: 100 })).map((m) => m.uid)).toEqual(expected);
    for (const limit of [1, 3, 10]) {
      for (let offset = 0; offset <= 33; offset++) {
        const page = await folderMessages(d, A, 'INBOX', { offset, limit });
        expect(page.map((m) => m.uid), `offset ${offset}, limit ${limit}`).toEqual(expected.slice(offset, offset + limit));
        expect(page.every((m) => m.accountId === A && m.path === 'INBOX')).toBe(true);
      }
    }
    expect(await folderMessages(d, A, 'INBOX', { offset: 5, limit: 0 })).toEqual([]);
    expect(await folderMessages(d, A, 'Empty', { offset: 5, limit: 10 })).toEqual([]);
  });

  /** The largest IDBCursor.advance of `run`: how far a window walked from where it started. */
  async function longestWalk(run: () => Promise<unknown>): Promise<number> {
    const advance = vi.spyOn(IDBCursor.prototype, 'advance');
    try {
      await run();
      return Math.max(0, ...advance.mock.calls.map((c) => c[0]));
    } finally {
      advance.mockRestore();
    }
  }

  it('places anchors past new mail, removals and moves by the change log, and never uses one it cannot place', async () => {
    const d = db();
    // 95 messages, runs of 4 equal dates, so anchors (every 10th here) fall inside runs.
    const msgs = Array.from({ length: 95 }, (_, i) => header(A, 'INBOX', i + 1, { date: T0 + Math.floor(((i * 37) % 95) / 4) * 1000 }));
    await applyBatch(d, [upsert(A, 'INBOX', msgs), upsert(B, 'INBOX', [header(B, 'INBOX', 1, { date: T0 })])]);
    const list = async () => (await folderMessages(d, A, 'INBOX', { limit: 1000 })).map((m) => m.uid);
    /** Every window is right; resolves the longest walk of one. */
    const windows = async () => {
      const expected = await list();
      let longest = 0;
      for (const offset of [0, 9, 10, 11, 19, 20, 37, 50, 89, 90, 94, 95, 97]) {
        longest = Math.max(
          longest,
          await longestWalk(async () => {
            const page = await folderMessages(d, A, 'INBOX', { offset, limit: 7 });
            expect(page.map((m) => m.uid), `offset ${offset}`).toEqual(expected.slice(offset, offset + 7));
          }),
        );
      }
      return longest;
    };
    expect(await windows()).toBeGreaterThan(80);
    await buildFolderAnchors(d, A, 'INBOX', 10);
    // From an anchor: at most a step and the anchor's ties.
    expect(await windows()).toBeLessThanOrEqual(13);
    // Newer mail, a removal above anchors, an anchor's own message removed, a message re-dated
    // to the top: the anchors are placed where they are now, not read again.
    const before = await list();
    await applyBatch(d, [upsert(A, 'INBOX', [header(A, 'INBOX', 200, { date: T0 + 1e6 }), header(A, 'INBOX', 201, { date: T0 + 5000 })])]);
    await applyBatch(d, [{ kind: 'expunge', accountId: A, path: 'INBOX', uidValidity: '1', uids: [before[3]!, before[20]!] }]);
    const moved = msgs.find((m) => m.uid === before[60])!;
    await applyBatch(d, [upsert(A, 'INBOX', [{ ...moved, date: T0 + 2e6, modseq: '5' }])]);
    expect(await windows()).toBeLessThanOrEqual(24);
    expect(hasAnchors(d, A, 'INBOX')).toBe(true);
    // More changes than the log keeps, newer than every anchor: none can be placed, so none is
    // used (walks from the top), and they are asked for again.
    await applyBatch(d, [upsert(A, 'INBOX', Array.from({ length: RECENT_MAX + 5 }, (_, i) => header(A, 'INBOX', 300 + i, { date: T0 + 3e6 + i })))]);
    expect(await windows()).toBeGreaterThan(80);
  });

  it('keeps anchors in place while flags change and older mail arrives below them', async () => {
    const d = db();
    // 250 messages, runs of 3 equal dates: 25 anchors of step 10, read in one transaction.
    const msgs = Array.from({ length: 250 }, (_, i) => header(A, 'INBOX', i + 1, { date: T0 + Math.floor(((i * 101) % 250) / 3) * 1000 }));
    await applyBatch(d, [upsert(A, 'INBOX', msgs)]);
    await buildFolderAnchors(d, A, 'INBOX', 10);
    expect(anchorsReach(d, A, 'INBOX')).toBe(250);
    const expected = (await folderMessages(d, A, 'INBOX', { limit: 1000 })).map((m) => m.uid);
    const windows = async () => {
      for (const offset of [10, 37, 99, 101, 149, 200, 243]) {
        const walked = await longestWalk(async () => {
          const page = await folderMessages(d, A, 'INBOX', { offset, limit: 7 });
          expect(page.map((m) => m.uid), `offset ${offset}`).toEqual(expected.slice(offset, offset + 7));
        });
        expect(walked, `walk at offset ${offset}`).toBeLessThanOrEqual(12);
      }
    };
    await windows();
    // Older mail below every anchor, more of it than the log keeps (a first sync's next batch).
    const older = Array.from({ length: RECENT_MAX * 2 }, (_, i) => header(A, 'INBOX', 1000 + i, { date: T0 - 1e6 - i * 1000 }));
    await applyBatch(d, [upsert(A, 'INBOX', older)]);
    expected.push(...older.map((m) => m.uid));
    await windows();
    // A flag change moves nothing.
    await applyBatch(d, [{ kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', changes: [{ uid: 5, flags: ['\\Seen'], modseq: null }] }]);
    await windows();
    // Beyond the anchors' reach (the older mail): right, walked from the last anchor.
    const deep = await folderMessages(d, A, 'INBOX', { offset: 300, limit: 5 });
    expect(deep.map((m) => m.uid)).toEqual(expected.slice(300, 305));
  });

  it('keeps anchors across a restart (stored), used only at the same UIDVALIDITY', async () => {
    const d = db();
    const stored = new Map<string, string>();
    const storage = { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v), removeItem: (k: string) => void stored.delete(k) };
    useAnchorStorage(storage);
    try {
      const msgs = Array.from({ length: 120 }, (_, i) => header(A, 'INBOX', i + 1, { date: T0 + Math.floor(i / 3) * 1000 }));
      await applyBatch(d, [upsert(A, 'INBOX', msgs)]);
      await buildFolderAnchors(d, A, 'INBOX', 10);
      const expected = (await folderMessages(d, A, 'INBOX', { limit: 1000 })).map((m) => m.uid);
      const window75 = async () => expect((await folderMessages(d, A, 'INBOX', { offset: 75, limit: 5 })).map((m) => m.uid)).toEqual(expected.slice(75, 80));
      // A restart: nothing in memory, the stored anchors are read back and used.
      clearAnchors({ memoryOnly: true });
      expect(hasAnchors(d, A, 'INBOX')).toBe(true);
      expect(await longestWalk(window75)).toBeLessThanOrEqual(12);
      // Damaged storage is ignored.
      stored.set('petrel.folderAnchors', '{"v":1,"folders":[["x",0,null,[["a"]]]]');
      clearAnchors({ memoryOnly: true });
      expect(hasAnchors(d, A, 'INBOX')).toBe(false);
      expect(await longestWalk(window75)).toBe(75);
      // The folder was reset (another UIDVALIDITY) with the same messages: not used.
      await buildFolderAnchors(d, A, 'INBOX', 10);
      await applyBatch(d, [
        { kind: 'reset', accountId: A, path: 'INBOX', uidValidity: '2' },
        upsert(A, 'INBOX', msgs.map((m) => ({ ...m, uidValidity: '2' })), '2'),
      ]);
      clearAnchors({ memoryOnly: true });
      expect(hasAnchors(d, A, 'INBOX')).toBe(true);
      expect(await longestWalk(window75)).toBe(75);
      expect(currentAnchors(d, (await d.folders.get([A, 'INBOX']))!)).toBeNull();
    } finally {
      clearAnchors();
      useAnchorStorage(null);
    }
  });

  it('uses anchors read while the folder was shorter (a first sync adds older mail below them)', async () => {
    const d = db();
    const batch = (from: number, to: number) => upsert(A, 'INBOX', Array.from({ length: to - from + 1 }, (_, i) => header(A, 'INBOX', from + i, { date: T0 + (from + i) * 1000 })));
    await applyBatch(d, [batch(71, 100)]);
    await buildFolderAnchors(d, A, 'INBOX', 10);
    expect(anchorsReach(d, A, 'INBOX')).toBe(30);
    await applyBatch(d, [batch(1, 70)]);
    const expected = Array.from({ length: 100 }, (_, i) => 100 - i);
    for (const offset of [15, 25, 29, 30, 45, 77, 95]) {
      expect((await folderMessages(d, A, 'INBOX', { offset, limit: 6 })).map((m) => m.uid), `offset ${offset}`).toEqual(expected.slice(offset, offset + 6));
    }
    expect(hasAnchors(d, A, 'INBOX')).toBe(true);
  });

  it('works inside liveQuery: a window below the top moves when newer mail comes', async () => {
    const d = db();
    await applyBatch(d, [upsert(A, 'INBOX', [1, 2, 3, 4].map((uid) => header(A, 'INBOX', uid)))]);
    const seen: number[][] = [];
    const sub = liveQuery(() => folderMessages(d, A, 'INBOX', { offset: 2, limit: 2 })).subscribe({
      next: (ms) => seen.push(ms.map((m) => m.uid)),
    });
    await until(() => seen.length === 1);
    await applyBatch(d, [upsert(A, 'INBOX', [header(A, 'INBOX', 5)])]);
    await until(() => seen.length === 2);
    sub.unsubscribe();
    expect(seen).toEqual([
      [2, 1],
      [3, 2],
    ]);
  });
});

describe('unifiedInbox', () => {
  it('merges the INBOX of two accounts newest first, and only the INBOX', async () => {
    const d = db();
    await applyBatch(d, [
      foldersDelta(A, ['INBOX', 'Archive']),
      foldersDelta(B, ['INBOX']),
      upsert(A, 'INBOX', [1, 3, 5].map((uid) => header(A, 'INBOX', uid, { date: T0 + uid }))),
      upsert(B, 'INBOX', [2, 4, 6].map((uid) => header(B, 'INBOX', uid, { date: T0 + uid }))),
      upsert(A, 'Archive', [header(A, 'Archive', 9, { date: T0 + 100 })]),
    ]);
    const all = await unifiedInbox(d, { limit: 10 });
    expect(keys(all)).toEqual(['B:INBOX:6', 'A:INBOX:5', 'B:INBOX:4', 'A:INBOX:3', 'B:INBOX:2', 'A:INBOX:1']);

    const page1 = await unifiedInbox(d, { limit: 4 });
    const page2 = await unifiedInbox(d, { limit: 4, after: pageCursorOf(page1[3]!) });
    expect(keys([...page1, ...page2])).toEqual(keys(all));
    expect(keys(await unifiedInbox(d, { limit: 2, offset: 3 }))).toEqual(['A:INBOX:3', 'B:INBOX:2']);
    expect(keys(await unifiedInbox(d, { limit: 10, accountIds: [B] }))).toEqual(['B:INBOX:6', 'B:INBOX:4', 'B:INBOX:2']);
  });

  it('pages across messages of different accounts with the same date', async () => {
    const d = db();
    await applyBatch(d, [
      upsert(A, 'INBOX', [1, 2].map((uid) => header(A, 'INBOX', uid, { date: T0 }))),
      upsert(B, 'INBOX', [1, 2].map((uid) => header(B, 'INBOX', uid, { date: T0 }))),
    ]);
    const walked: MessageRecord[] = [];
    let page = await unifiedInbox(d, { limit: 1 });
    while (page.length > 0) {
      walked.push(...page);
      page = await unifiedInbox(d, { limit: 1, after: pageCursorOf(page[0]!) });
    }
    expect(keys(walked)).toEqual(['B:INBOX:2', 'B:INBOX:1', 'A:INBOX:2', 'A:INBOX:1']);
  });
});

describe('counts and folders', () => {
  it('inboxUnread sums the INBOX of each account from the folder rows', async () => {
    const d = db();
    await applyBatch(d, [
      { kind: 'folders', accountId: A, folders: [folderInfo(A, 'INBOX', { total: 9, unread: 4 }), folderInfo(A, 'Spam', { unread: 50 })] },
      { kind: 'folders', accountId: B, folders: [folderInfo(B, 'INBOX', { total: 3, unread: 1 })] },
    ]);
    expect(await inboxUnread(d)).toEqual({ total: 5, byAccount: { [A]: 4, [B]: 1 } });
    expect((await foldersOf(d, A)).map((f) => f.path)).toEqual(['INBOX', 'Spam']);
  });
});

describe('removeAccount', () => {
  it('removes everything of the account and nothing of others', async () => {
    const d = db();
    for (const acc of [A, B]) {
      await applyBatch(d, [
        foldersDelta(acc, ['INBOX', 'Sent']),
        upsert(acc, 'INBOX', [header(acc, 'INBOX', 1)]),
        upsert(acc, 'Sent', [header(acc, 'Sent', 1)]),
        cursor(acc, 'INBOX', 2),
        cursor(acc, 'Sent', 2),
      ]);
      await putBody(d, { accountId: acc, path: 'INBOX', uidValidity: '1', uid: 1, html: '<p>hi</p>', text: null, attachments: [] });
    }
    await removeAccount(d, A);
    expect(await foldersOf(d, A)).toEqual([]);
    expect((await d.messages.toArray()).every((m) => m.accountId === B)).toBe(true);
    expect(await d.messages.count()).toBe(2);
    expect((await d.bodies.toArray()).map((b) => b.accountId)).toEqual([B]);
    expect((await allCursors(d)).map((c) => c.accountId)).toEqual([B, B]);
    expect(await foldersOf(d, B)).toHaveLength(2);
  });
});

describe('putBody', () => {
  it('stores a body only for a cached message of the same uidValidity', async () => {
    const d = db();
    await applyBatch(d, [upsert(A, 'INBOX', [header(A, 'INBOX', 1)])]);
    const body = { accountId: A, path: 'INBOX', uidValidity: '1', uid: 1, html: null, text: 'hello', attachments: [] };
    expect(await putBody(d, body)).toBe(true);
    expect(await messageBody(d, [A, 'INBOX', 1])).toMatchObject({ text: 'hello' });
    expect(await putBody(d, { ...body, uid: 2 })).toBe(false);
    expect(await putBody(d, { ...body, uidValidity: '2', text: 'other' })).toBe(false);
    expect(await messageBody(d, [A, 'INBOX', 1])).toMatchObject({ text: 'hello' });
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}
