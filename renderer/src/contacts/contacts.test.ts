import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyBatch } from '../db/apply-deltas';
import type { ContactRecord, PetrelDb } from '../db/schema';
import { A, batch, cursor, foldersDelta, header, newDb, upsert } from '../db/test-fixtures';
import { ContactBook } from './book';
import { indexContacts, startContactIndexer } from './indexer';
import { contactScore, rankContacts } from './rank';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 26);

function contact(address: string, o: Partial<ContactRecord> = {}): ContactRecord {
  return { key: address.toLowerCase(), address, name: '', sent: 0, lastSent: 0, seen: 0, lastSeen: 0, ...o };
}

describe('rankContacts', () => {
  const list = [
    contact('ann@example.test', { name: 'Ann Archer', seen: 50, lastSeen: NOW - DAY }),
    contact('anna@example.test', { name: 'Anna Bell', sent: 3, lastSent: NOW - 2 * DAY }),
    contact('andy@old.example', { name: 'Andy', sent: 3, lastSent: NOW - 400 * DAY }),
    contact('zed@annex.example', { name: 'Zed' }),
    contact('bob@example.test', { name: 'Bob Annand', seen: 1, lastSeen: NOW }),
  ];

  it('matches the start of the address, of its domain, or of a word of the name', () => {
    const keys = rankContacts(list, 'ann', { now: NOW, limit: 10 }).map((c) => c.key);
    expect(keys.sort()).toEqual(['ann@example.test', 'anna@example.test', 'bob@example.test', 'zed@annex.example']);
    expect(rankContacts(list, 'xyz', { now: NOW, limit: 10 })).toEqual([]);
    expect(rankContacts(list, '  ', { now: NOW, limit: 10 })).toEqual([]);
  });

  it('puts people you wrote to first, recent ones above old ones, then those only seen by how often', () => {
    const keys = rankContacts(list, 'an', { now: NOW, limit: 10 }).map((c) => c.key);
    expect(keys.slice(0, 3)).toEqual(['anna@example.test', 'andy@old.example', 'ann@example.test']);
    expect(contactScore(list[1]!, NOW)).toBeGreaterThan(contactScore(list[2]!, NOW));
    expect(contactScore(contact('x@y.z', { sent: 1, lastSent: NOW - 300 * DAY }), NOW)).toBeGreaterThan(
      contactScore(contact('x@y.z', { seen: 200, lastSeen: NOW }), NOW),
    );
  });

  it('leaves out excluded addresses and stops at the limit', () => {
    const got = rankContacts(list, 'a', { now: NOW, limit: 2, exclude: new Set(['anna@example.test']) });
    expect(got.map((c) => c.key)).toEqual(['andy@old.example', 'ann@example.test']);
  });
});

describe('the contacts index', () => {
  let db: PetrelDb;
  afterEach(async () => {
    await db?.delete();
  });

  async function setUp() {
    db = newDb();
    await applyBatch(db, batch(1, foldersDelta(A, ['INBOX', 'Sent', 'Drafts'])));
    await db.folders.update([A, 'Sent'], { specialUse: 'sent' });
    await db.folders.update([A, 'Drafts'], { specialUse: 'drafts' });
  }

  const msg = (path: string, uid: number, o: { from?: string; to?: string[]; date?: number; name?: string } = {}) => ({
    ...header(A, path, uid, { date: o.date ?? NOW - uid * DAY }),
    from: [{ name: o.name ?? '', address: o.from ?? 'me@example.test' }],
    to: (o.to ?? ['me@example.test']).map((address) => ({ name: '', address })),
  });

  it('counts sent-to and seen addresses once per message, reading only what is new', async () => {
    await setUp();
    await applyBatch(
      db,
      batch(
        2,
        upsert(A, 'INBOX', [msg('INBOX', 1, { from: 'Ann@Example.test', name: 'Ann' }), msg('INBOX', 2, { from: 'ann@example.test', name: 'Ann Archer' })]),
        upsert(A, 'Sent', [msg('Sent', 1, { to: ['carol@example.test', 'undisclosed-recipients:;'] })]),
        upsert(A, 'Drafts', [msg('Drafts', 1, { to: ['draft-only@example.test'] })]),
      ),
    );
    expect(await indexContacts(db)).toBe(true);
    const ann = await db.contacts.get('ann@example.test');
    expect(ann).toMatchObject({ address: 'Ann@Example.test', seen: 2, sent: 0, name: 'Ann' });
    expect(await db.contacts.get('carol@example.test')).toMatchObject({ sent: 1, seen: 0 });
    expect(await db.contacts.get('draft-only@example.test')).toBeUndefined();
    expect(await db.contacts.count()).toBe(3); // ann, carol, me

    // Nothing new: nothing read, nothing counted twice (a sync replaying the same headers).
    await applyBatch(db, batch(3, upsert(A, 'INBOX', [msg('INBOX', 2, { from: 'ann@example.test', name: 'Ann Archer' })])));
    expect(await indexContacts(db)).toBe(false);
    expect((await db.contacts.get('ann@example.test'))?.seen).toBe(2);

    // A new message: only it is read.
    await applyBatch(db, batch(4, upsert(A, 'Sent', [msg('Sent', 2, { to: ['ann@example.test'], date: NOW })])));
    expect(await indexContacts(db)).toBe(true);
    expect(await db.contacts.get('ann@example.test')).toMatchObject({ seen: 2, sent: 1, lastSent: NOW });
  });

  it('reads a large folder in chunks, and two passes at once still count each message once', async () => {
    await setUp();
    const many = Array.from({ length: 4500 }, (_, i) => msg('INBOX', i + 1, { from: `p${i % 100}@example.test` }));
    await applyBatch(db, batch(2, upsert(A, 'INBOX', many)));
    const [a, b] = await Promise.all([indexContacts(db), indexContacts(db)]);
    expect(a || b).toBe(true);
    expect(await db.contacts.count()).toBe(101); // p0..p99 and me
    expect((await db.contacts.get('p7@example.test'))?.seen).toBe(45);
    expect((await db.contacts.get('me@example.test'))?.seen).toBe(4500);
    expect(await db.contactMarks.get([A, 'INBOX'])).toMatchObject({ uid: 4500 });
  });

  it('counts older mail a first sync stores after a pass (newest first), and new mail, each once', async () => {
    await setUp();
    const at = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => msg('INBOX', from + i, { from: `p${(from + i) % 10}@example.test` }));
    // The newest 2,500 first; a pass runs in between, as it may during a sync.
    await applyBatch(db, batch(2, upsert(A, 'INBOX', at(3001, 5500))));
    expect(await indexContacts(db)).toBe(true);
    expect((await db.contacts.get('me@example.test'))?.seen).toBe(2500);
    // Then the older 3,000, and new mail above.
    await applyBatch(db, batch(3, upsert(A, 'INBOX', at(1, 3000)), upsert(A, 'INBOX', at(5501, 5510))));
    expect(await indexContacts(db)).toBe(true);
    expect((await db.contacts.get('me@example.test'))?.seen).toBe(5510);
    expect((await db.contacts.get('p3@example.test'))?.seen).toBe(551);
    expect(await db.contactMarks.get([A, 'INBOX'])).toMatchObject({ uid: 5510, low: 1 });
    expect(await indexContacts(db)).toBe(false);
  });

  it('the indexer waits for the folders to be quiet, but not forever', async () => {
    // Only the indexer's clock: fake-indexeddb schedules its work with setImmediate.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      await setUp();
      const passes: number[] = [];
      const stop = startContactIndexer(db, { delayMs: 2000, maxWaitMs: 10_000, onIndexed: () => passes.push(Date.now()) });
      // A write every second (a first sync): no pass until 10 s after the first...
      for (let i = 1; i <= 12; i++) {
        await applyBatch(db, batch(i + 1, upsert(A, 'INBOX', [msg('INBOX', i)])));
        await vi.advanceTimersByTimeAsync(1000);
      }
      expect(passes).toHaveLength(1);
      // ...and one more once the writes stop for 2 s.
      await vi.advanceTimersByTimeAsync(3000);
      await vi.waitFor(() => expect(passes).toHaveLength(2));
      // From and To are both me: counted once per message.
      expect((await db.contacts.get('me@example.test'))?.seen).toBe(12);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it("the indexer lets a first sync's pauses go by, and passes once it ends", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      await setUp();
      const passes: number[] = [];
      const stop = startContactIndexer(db, { delayMs: 2000, maxWaitMs: 60_000, firstSyncDelayMs: 10_000, onIndexed: () => passes.push(Date.now()) });
      // Batches of a first sync (each with its partial cursor) 3 s apart: longer than delayMs.
      const partial = (uid: number, last: boolean) => {
        const d = cursor(A, 'INBOX', 100);
        if (d.kind === 'cursor' && !last) d.cursor.partialBelow = uid;
        return d;
      };
      for (let i = 1; i <= 6; i++) {
        await applyBatch(db, batch(i + 1, upsert(A, 'INBOX', [msg('INBOX', 50 - i)]), partial(50 - i, false)));
        await vi.advanceTimersByTimeAsync(3000);
      }
      expect(passes).toHaveLength(0);
      // The last batch: its final cursor ends the first sync; a pass once the folders are quiet.
      await applyBatch(db, batch(8, upsert(A, 'INBOX', [msg('INBOX', 43)]), partial(43, true)));
      await vi.advanceTimersByTimeAsync(2500);
      await vi.waitFor(() => expect(passes).toHaveLength(1));
      expect((await db.contacts.get('me@example.test'))?.seen).toBe(7);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('the book suggests from the index and sees additions after invalidate', async () => {
    await setUp();
    await applyBatch(db, batch(2, upsert(A, 'Sent', [msg('Sent', 1, { to: ['dora@example.test'] })])));
    await indexContacts(db);
    const book = new ContactBook(db);
    expect((await book.suggest('do', { now: NOW })).map((c) => c.key)).toEqual(['dora@example.test']);
    await applyBatch(db, batch(3, upsert(A, 'Sent', [msg('Sent', 2, { to: ['doug@example.test'] })])));
    await indexContacts(db);
    expect((await book.suggest('do', { now: NOW })).map((c) => c.key)).toEqual(['dora@example.test']);
    book.invalidate();
    expect((await book.suggest('do', { now: NOW })).map((c) => c.key).sort()).toEqual(['dora@example.test', 'doug@example.test']);
  });
});
