/**
 * The worker's protocol and logic, in-process: a SearchClient talks to a worker core over a
 * real MessageChannel (structured clone, as with a Worker), the core reads its own Dexie
 * instance of the same (fake) IndexedDB database, and the test writes mail the way the app
 * does (sync deltas through applyBatch, bodies through putBody).
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageHeader } from '../../../../shared/contract';
import { applyBatch, putBody, removeAccount, type PetrelDb } from '../../db';
import { BodyPrefetcher, type PrefetchConnection } from '../../db/body-prefetch';
import { PetrelDb as Db } from '../../db/schema';
import { A, B, cursor, header, newDb, upsert } from '../../db/test-fixtures';
import type { IndexStatus, SearchPage } from './protocol';
import { SearchCancelled, SearchClient, type SearchPort } from './search-client';
import type { IndexSnapshot } from './search-index';
import type { SnapshotStore } from './snapshot-store';
import { attachSearchWorker, type MessagePortLike, type SearchWorkerCore, type SearchWorkerOptions } from './worker-core';

const open: { client: SearchClient; db: PetrelDb; ports: MessagePort[]; core: () => SearchWorkerCore | null }[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) {
    o.client.close();
    o.core()?.close();
    o.core()?.db.close();
    for (const p of o.ports) p.close();
    await o.db.delete();
  }
});

function mail(accountId: string, path: string, uid: number, o: Partial<MessageHeader> & { seen?: boolean; flagged?: boolean } = {}): MessageHeader {
  const { seen, flagged, ...rest } = o;
  return { ...header(accountId, path, uid, { seen: seen ?? true, flagged: flagged ?? false }), ...rest };
}

function folders(accountId: string, paths: Record<string, 'sent' | 'trash' | 'inbox' | null>) {
  return {
    kind: 'folders' as const,
    accountId,
    folders: Object.entries(paths).map(([path, specialUse]) => ({
      accountId,
      path,
      name: path.split('/').pop()!,
      delimiter: '/',
      parentPath: null,
      specialUse,
      subscribed: true,
      selectable: true,
      total: 0,
      unread: 0,
    })),
  };
}

async function start(
  db: PetrelDb,
  options: SearchWorkerOptions = {},
  openDb: (name: string) => PetrelDb = (name) => new Db(name),
): Promise<{ client: SearchClient; core: () => SearchWorkerCore | null; statuses: IndexStatus[] }> {
  const channel = new MessageChannel();
  const { core } = attachSearchWorker(
    channel.port2 as unknown as MessagePortLike,
    openDb,
    { statusIntervalMs: 0, burstQuietMs: 100, ...options },
  );
  channel.port2.start();
  channel.port1.start();
  const client = new SearchClient(channel.port1 as unknown as SearchPort, db.name);
  open.push({ client, db, ports: [channel.port1, channel.port2], core });
  const statuses: IndexStatus[] = [];
  client.onStatus((s) => statuses.push(s));
  return { client, core, statuses };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ready = (client: SearchClient) => until('the index', () => (client.status.phase === 'ready' ? true : undefined));
const keysOf = (page: SearchPage) => page.keys.map((k) => `${k[0] === A ? 'A' : 'B'}:${k[1]}:${k[2]}`);

/** Re-runs a query until its answer satisfies `ok` (the index follows writes asynchronously). */
async function eventually(client: SearchClient, text: string, ok: (keys: string[]) => boolean): Promise<string[]> {
  let last: string[] = [];
  return until(`"${text}" to settle (last: ${JSON.stringify(last)})`, async () => {
    last = keysOf(await client.search(text));
    return ok(last) ? last : undefined;
  });
}

/** A snapshot store in memory keeping what IndexedDB would (structured clones), counting its reads and writes. */
function memoryStore(): { store: SnapshotStore; saved: Map<string, IndexSnapshot>; counts: { loads: number; saves: number } } {
  const saved = new Map<string, IndexSnapshot>();
  const counts = { loads: 0, saves: 0 };
  const store: SnapshotStore = {
    load: async (source) => {
      counts.loads++;
      return saved.has(source) ? structuredClone(saved.get(source)!) : null;
    },
    save: async (source, snap) => {
      counts.saves++;
      saved.set(source, structuredClone(snap));
    },
    delete: async (source) => void saved.delete(source),
    close: () => undefined,
  };
  return { store, saved, counts };
}

async function seed(db: PetrelDb): Promise<void> {
  await applyBatch(db, [
    folders(A, { INBOX: 'inbox', Sent: 'sent', Trash: 'trash' }),
    folders(B, { INBOX: 'inbox', 'Sent Items': 'sent' }),
    upsert(A, 'INBOX', [
      mail(A, 'INBOX', 1, { subject: 'Quarterly budget review', from: [{ name: 'Carol', address: 'carol@example.test' }], seen: false }),
      mail(A, 'INBOX', 2, { subject: 'Lunch?', preview: 'the quick brown fox', hasAttachments: true }),
      mail(A, 'INBOX', 3, { subject: 'Photos', preview: 'brown quick fox', flagged: true }),
    ]),
    upsert(A, 'Sent', [mail(A, 'Sent', 1, { subject: 'Re: Quarterly budget review', to: [{ name: 'Carol', address: 'carol@example.test' }] })]),
    upsert(B, 'INBOX', [mail(B, 'INBOX', 7, { subject: 'Budget for the trip', seen: false })]),
    upsert(B, 'Sent Items', [mail(B, 'Sent Items', 8, { subject: 'Trip photos' })]),
  ]);
}

/** Counts the records of `table` read through `d` (their UIDs into `uids`), by a DBCore middleware. */
function countReads(d: PetrelDb, table: 'messages' | 'bodies', uids: number[]): PetrelDb {
  d.use({
    stack: 'dbcore',
    name: `count-${table}-reads`,
    create: (down) => ({
      ...down,
      table: (name) => {
        const t = down.table(name);
        if (name !== table) return t;
        const note = (records: readonly unknown[]) => {
          for (const r of records) if (r) uids.push((r as { uid: number }).uid);
        };
        return {
          ...t,
          getMany: async (req) => {
            const res = await t.getMany(req);
            note(res);
            return res;
          },
          query: async (req) => {
            const res = await t.query(req);
            if (req.values !== false) note(res.result);
            return res;
          },
        };
      },
    }),
  });
  return d;
}

describe('search worker', () => {
  it('indexes the database and answers word and operator queries across accounts, newest first', async () => {
    const db = newDb();
    await seed(db);
    const { client, statuses } = await start(db);
    await ready(client);
    expect(statuses.at(-1)).toMatchObject({ phase: 'ready', indexed: 6, total: 6 });
    expect(statuses.at(-1)!.buildMs).toEqual(expect.any(Number));

    const budget = await client.search('budget');
    expect(keysOf(budget)).toEqual(['B:INBOX:7', 'A:Sent:1', 'A:INBOX:1']);
    expect(budget).toMatchObject({ total: 3, offset: 0, indexing: false, approximate: false, errors: [] });
    expect(keysOf(await client.search('from:carol'))).toEqual(['A:INBOX:1']);
    expect(keysOf(await client.search('carol'))).toEqual(['A:Sent:1', 'A:INBOX:1']);
    expect(keysOf(await client.search('is:unread'))).toEqual(['B:INBOX:7', 'A:INBOX:1']);
    expect(keysOf(await client.search('is:starred'))).toEqual(['A:INBOX:3']);
    expect(keysOf(await client.search('has:attachment'))).toEqual(['A:INBOX:2']);
    // in:sent finds each account's sent folder, whatever it is called.
    expect(keysOf(await client.search('in:sent'))).toEqual(['B:Sent Items:8', 'A:Sent:1']);
    expect(keysOf(await client.search('budget -in:sent'))).toEqual(['B:INBOX:7', 'A:INBOX:1']);
    expect(keysOf(await client.search('in:"sent items" photos'))).toEqual(['B:Sent Items:8']);
    const unknown = await client.search('in:nowhere budget');
    expect(unknown.total).toBe(0);
    expect(unknown.errors).toEqual(['No folder is called “nowhere”.']);
    // Phrases are checked word by word.
    expect(keysOf(await client.search('"quick brown"'))).toEqual(['A:INBOX:2']);
    expect(keysOf(await client.search('quick brown'))).toEqual(['A:INBOX:3', 'A:INBOX:2']);
    expect(keysOf(await client.search('"quick bro'))).toEqual(['A:INBOX:2']);
    // Paging.
    const second = await client.search('budget', { offset: 1, limit: 1 });
    expect(keysOf(second)).toEqual(['A:Sent:1']);
    expect(second.total).toBe(3);
    expect((await client.search('   ')).total).toBe(0);
  });

  it('follows changes: new mail, flags, bodies, expunges, resets and removed accounts', async () => {
    const db = newDb();
    await seed(db);
    const { client } = await start(db);
    await ready(client);

    // New mail.
    await applyBatch(db, [upsert(A, 'INBOX', [mail(A, 'INBOX', 4, { subject: 'Budget approved', seen: false })])]);
    await eventually(client, 'budget', (k) => k.includes('A:INBOX:4'));

    // Read elsewhere: the flags delta.
    await applyBatch(db, [{ kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', changes: [{ uid: 1, flags: ['\\Seen'], modseq: null }] }]);
    expect(await eventually(client, 'is:unread', (k) => !k.includes('A:INBOX:1'))).toEqual(['B:INBOX:7', 'A:INBOX:4']);
    await applyBatch(db, [{ kind: 'flags', accountId: B, path: 'INBOX', uidValidity: '1', changes: [{ uid: 7, flags: ['\\Flagged'], modseq: null }] }]);
    await eventually(client, 'is:starred', (k) => k.includes('B:INBOX:7'));

    // A body cached by the reader: its words become searchable.
    await putBody(db, { accountId: A, path: 'INBOX', uidValidity: '1', uid: 2, text: 'Shall we try the new ramen place?', html: null, attachments: [{ partId: '2', filename: 'menu.pdf', contentType: 'application/pdf', size: 1, contentId: null, inline: false }] });
    expect(await eventually(client, 'ramen', (k) => k.length > 0)).toEqual(['A:INBOX:2']);
    expect(keysOf(await client.search('menu'))).toEqual(['A:INBOX:2']);
    // An HTML body.
    await putBody(db, { accountId: A, path: 'INBOX', uidValidity: '1', uid: 3, text: null, html: '<p>Caf&eacute; at <b>noon</b></p>', attachments: [] });
    expect(await eventually(client, 'noon', (k) => k.length > 0)).toEqual(['A:INBOX:3']);

    // Expunged.
    await applyBatch(db, [{ kind: 'expunge', accountId: A, path: 'INBOX', uidValidity: '1', uids: [2] }]);
    await eventually(client, 'ramen', (k) => k.length === 0);
    await eventually(client, 'lunch', (k) => k.length === 0);

    // The server said the folder changed UIDVALIDITY: everything cached goes (a range delete).
    await applyBatch(db, [{ kind: 'reset', accountId: A, path: 'Sent', uidValidity: '2' }]);
    await eventually(client, 'budget', (k) => !k.includes('A:Sent:1'));

    // The folder list no longer has the trash... and the account goes.
    await removeAccount(db, B);
    expect(await eventually(client, 'budget', (k) => !k.includes('B:INBOX:7'))).toEqual(['A:INBOX:4', 'A:INBOX:1']);
    expect(keysOf(await client.search('in:sent'))).toEqual([]);
  });

  it('indexes a lone change at once, and a burst of writes once it pauses (never later than the longest lag)', async () => {
    const db = newDb();
    await seed(db);
    let clock = 0;
    const { client, core } = await start(db, { now: () => clock, burstQuietMs: 1000, burstMaxLagMs: 5000 });
    await ready(client);
    const waiting = async () => (await until('the change to be heard', () => (core()!.waitingChanges > 0 ? true : undefined)), core()!.waitingChanges);

    // A lone change (new mail): indexed at once, the clock standing still.
    await applyBatch(db, [upsert(A, 'INBOX', [mail(A, 'INBOX', 10, { subject: 'Kiwi lone' })])]);
    await eventually(client, 'kiwi', (k) => k.includes('A:INBOX:10'));

    // A body, then a burst of batches (as a first sync writes them), the clock still standing.
    clock += 5000;
    await putBody(db, { accountId: A, path: 'INBOX', uidValidity: '1', uid: 10, text: 'mango inside', html: null, attachments: [] });
    await eventually(client, 'mango', (k) => k.includes('A:INBOX:10'));
    clock += 5000;
    await applyBatch(db, [upsert(A, 'INBOX', [mail(A, 'INBOX', 11, { subject: 'Kiwi burst one' })])]);
    await eventually(client, 'kiwi', (k) => k.includes('A:INBOX:11'));
    await applyBatch(db, [upsert(A, 'INBOX', [mail(A, 'INBOX', 12, { subject: 'Kiwi burst two' })])]);
    // A flag change of the message with the body, in the same burst.
    await applyBatch(db, [{ kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', changes: [{ uid: 10, flags: ['\\Flagged'], modseq: null }] }]);
    expect(await waiting()).toBe(2);
    // Waiting: not indexed while the burst has not paused (the clock has not moved).
    expect(keysOf(await client.search('kiwi'))).toEqual(['A:INBOX:11', 'A:INBOX:10']);
    expect(keysOf(await client.search('is:starred kiwi'))).toEqual([]);

    // The burst paused: both indexed; the flag change kept the body's words.
    clock += 1000;
    expect(await eventually(client, 'kiwi', (k) => k.includes('A:INBOX:12'))).toEqual(['A:INBOX:12', 'A:INBOX:11', 'A:INBOX:10']);
    expect(keysOf(await client.search('is:starred mango'))).toEqual(['A:INBOX:10']);
    expect(core()!.waitingChanges).toBe(0);

    // A burst that does not pause is indexed once its oldest change waited the longest lag.
    await applyBatch(db, [upsert(A, 'INBOX', [mail(A, 'INBOX', 13, { subject: 'Kiwi long one' })])]);
    clock += 500;
    await applyBatch(db, [upsert(A, 'INBOX', [mail(A, 'INBOX', 14, { subject: 'Kiwi long two' })])]);
    for (let uid = 15; uid < 25; uid++) {
      clock += 500;
      await applyBatch(db, [upsert(A, 'INBOX', [mail(A, 'INBOX', uid, { subject: 'Kiwi long more' })])]);
    }
    await eventually(client, 'kiwi long', (k) => k.includes('A:INBOX:24'));

    // Big batches (Dexie reports writes of 50+ records as the whole table): new mail, then
    // flags of 60 messages, in one burst; read once after the pause, nothing missed.
    clock += 60_000;
    const big = (from: number) => Array.from({ length: 60 }, (_, i) => mail(A, 'INBOX', from + i, { subject: `Papaya ${from + i}`, seen: true }));
    await applyBatch(db, [upsert(A, 'INBOX', big(100))]);
    const total = async (q: string) => (await client.search(q)).total;
    await until('the first big batch', async () => ((await total('papaya')) === 60 ? true : undefined));
    await applyBatch(db, [upsert(A, 'INBOX', big(200))]);
    const unread = Array.from({ length: 60 }, (_, i) => ({ uid: 100 + i, flags: [] as string[], modseq: null }));
    await applyBatch(db, [{ kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', changes: unread }]);
    expect(await waiting()).toBeGreaterThan(0);
    expect(await total('papaya')).toBe(60);
    expect(await total('papaya is:unread')).toBe(0);
    clock += 1000;
    await until('the burst', async () => ((await total('papaya')) === 120 ? true : undefined));
    expect(await total('papaya is:unread')).toBe(60);
    // The body of message 10 survived every whole-table re-read.
    expect(keysOf(await client.search('mango'))).toEqual(['A:INBOX:10']);

    // A long burst of big batches: one pass when the longest lag is reached; what comes after
    // that pass waits again (a pass does not chase the burst).
    clock += 60_000;
    await applyBatch(db, [upsert(A, 'INBOX', big(300))]);
    await until('a lone big batch', async () => ((await total('papaya')) === 180 ? true : undefined));
    await applyBatch(db, [upsert(A, 'INBOX', big(400))]);
    expect(await waiting()).toBeGreaterThan(0);
    clock += 5000;
    await applyBatch(db, [upsert(A, 'INBOX', big(500))]);
    await until('the pass at the longest lag', async () => ((await total('papaya')) === 300 ? true : undefined));
    await applyBatch(db, [upsert(A, 'INBOX', big(600))]);
    expect(await waiting()).toBeGreaterThan(0);
    expect(await total('papaya')).toBe(300);
    clock += 1000;
    await until('the pause', async () => ((await total('papaya')) === 360 ? true : undefined));
  });

  it('keeps a slow burst together: a sync committing every 1.5 s is read back once it pauses for three gaps', async () => {
    const db = newDb();
    await seed(db);
    let clock = 0;
    const { client, core } = await start(db, { now: () => clock, burstQuietMs: 1000, burstMaxLagMs: 60_000 });
    await ready(client);
    const write = async (uid: number) => {
      await applyBatch(db, [upsert(A, 'INBOX', [mail(A, 'INBOX', uid, { subject: `Quince ${uid}` })])]);
      // Heard at this clock (the write's notice is asynchronous).
      await new Promise((r) => setTimeout(r, 30));
    };
    // The first two are lone changes as far as anyone can tell: indexed at once.
    await write(30);
    await eventually(client, 'quince', (k) => k.includes('A:INBOX:30'));
    clock += 1500;
    await write(31);
    await eventually(client, 'quince', (k) => k.includes('A:INBOX:31'));
    // Then the gaps repeat: a burst, whose pause must be 3 x 1.5 s.
    clock += 1500;
    await write(32);
    clock += 1500;
    await write(33);
    clock += 2000;
    await new Promise((r) => setTimeout(r, 50));
    expect(core()!.waitingChanges).toBeGreaterThan(0);
    expect(keysOf(await client.search('quince'))).toEqual(['A:INBOX:31', 'A:INBOX:30']);
    clock += 2600;
    expect(await eventually(client, 'quince', (k) => k.includes('A:INBOX:33'))).toEqual(['A:INBOX:33', 'A:INBOX:32', 'A:INBOX:31', 'A:INBOX:30']);
  });

  it("holds a first sync's batches, which pause between them, until the sync ends or pauses long", async () => {
    const db = newDb();
    await seed(db);
    let clock = 0;
    const { client, core } = await start(db, { now: () => clock, burstQuietMs: 1000, burstQuietMaxMs: 5000, burstMaxLagMs: 60_000, firstSyncQuietMs: 8000 });
    await ready(client);
    const partial = (partialBelow?: number) => {
      const d = cursor(A, 'INBOX', 100);
      if (d.kind === 'cursor' && partialBelow !== undefined) d.cursor.partialBelow = partialBelow;
      return d;
    };
    // As the engine sends a first sync: each batch with the sync's cursor, partial but the last.
    const write = async (uid: number, last = false) => {
      await applyBatch(db, [upsert(A, 'INBOX', [mail(A, 'INBOX', uid, { subject: `Lychee ${uid}` })]), partial(last ? undefined : uid)]);
      await new Promise((r) => setTimeout(r, 30));
    };
    // The first batch is a lone change as far as anyone can tell: indexed at once.
    await write(60);
    await eventually(client, 'lychee', (k) => k.includes('A:INBOX:60'));
    // Then batches 2.5 s apart (the engine fetching the next ones): without the first sync in
    // view, three such gaps would end the burst (the test above); with it, 8 s of quiet do.
    for (const uid of [59, 58, 57]) {
      clock += 2500;
      await write(uid);
    }
    clock += 7000;
    await new Promise((r) => setTimeout(r, 50));
    expect(core()!.waitingChanges).toBeGreaterThan(0);
    expect(keysOf(await client.search('lychee'))).toEqual(['A:INBOX:60']);
    // The last batch (the final cursor, no partialBelow): indexed after the usual pause.
    clock += 2500;
    await write(56, true);
    clock += 5100;
    expect(await eventually(client, 'lychee', (k) => k.length === 5)).toEqual(['A:INBOX:60', 'A:INBOX:59', 'A:INBOX:58', 'A:INBOX:57', 'A:INBOX:56']);

    // A first sync cut off (the app went offline in it): its partial cursor stays, and the
    // batches written before the cut are indexed once they have been quiet for 8 s.
    clock += 60_000;
    await write(40);
    await eventually(client, 'lychee', (k) => k.includes('A:INBOX:40'));
    clock += 2500;
    await write(39);
    clock += 7000;
    await new Promise((r) => setTimeout(r, 50));
    expect(core()!.waitingChanges).toBeGreaterThan(0);
    clock += 1100;
    await eventually(client, 'lychee', (k) => k.includes('A:INBOX:39'));
  });

  it('supersedes a query in flight with a newer one', async () => {
    const db = newDb();
    await seed(db);
    const { client } = await start(db);
    await ready(client);
    const first = client.search('budget');
    const second = client.search('photos');
    await expect(first).rejects.toBeInstanceOf(SearchCancelled);
    expect(keysOf(await second)).toEqual(['B:Sent Items:8', 'A:INBOX:3']);
    // An aborted search rejects and the next still works.
    const ac = new AbortController();
    const aborted = client.search('budget', { signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toBeInstanceOf(SearchCancelled);
    expect((await client.search('budget')).total).toBe(3);
  });

  it('answers while indexing, from what is indexed so far', async () => {
    const db = newDb();
    const many = Array.from({ length: 300 }, (_, i) => mail(A, 'INBOX', i + 1, { subject: `needle ${i + 1}` }));
    await applyBatch(db, [upsert(A, 'INBOX', many)]);
    const { client, statuses } = await start(db, { scanPage: 50 });
    const early = await client.search('needle');
    expect(early.total).toBeLessThanOrEqual(300);
    await ready(client);
    expect(statuses.some((s) => s.phase === 'indexing' && s.indexed > 0 && s.indexed < 300)).toBe(true);
    const done = await client.search('needle', { limit: 5 });
    expect(done).toMatchObject({ total: 300, indexing: false });
    expect(done.keys.map((k) => k[2])).toEqual([300, 299, 298, 297, 296]);
  });

  it('checks phrases in memory, and in cached bodies as far as the pages need, newest first', async () => {
    const db = newDb();
    // 600 messages with both words in their cached bodies; every third has them in order.
    const many = Array.from({ length: 600 }, (_, i) => mail(A, 'INBOX', i + 1, { subject: `Note ${i + 1}`, preview: '' }));
    await applyBatch(db, [upsert(A, 'INBOX', many)]);
    await db.bodies.bulkPut(
      many.map((m, i) => ({ accountId: A, path: 'INBOX', uidValidity: '1', uid: m.uid, html: null, attachments: [], text: i % 3 === 0 ? 'the annual report' : 'report annual' })),
    );
    // Two more with the phrase in the subject: decided from the index alone.
    await applyBatch(db, [upsert(A, 'Other', [mail(A, 'Other', 1, { subject: 'Annual report 2023' }), mail(A, 'Other', 2, { subject: 'report annual' })])]);
    // No time budget here: the pages must come full however slow the machine is.
    const { client } = await start(db, { phraseBudgetMs: 60_000 });
    await ready(client);
    const subjects = await client.search('"annual report" in:other');
    expect(subjects).toMatchObject({ total: 1, approximate: false });
    expect(keysOf(subjects)).toEqual(['A:Other:1']);

    const first = await client.search('"annual report" in:inbox', { limit: 10 });
    expect(first.approximate).toBe(true);
    expect(first.total).toBeLessThanOrEqual(600);
    expect(first.keys.map((k) => k[2])).toEqual([598, 595, 592, 589, 586, 583, 580, 577, 574, 571]);
    const later = await client.search('"annual report" in:inbox', { offset: 190, limit: 50 });
    expect(later.keys.map((k) => k[2])).toEqual([28, 25, 22, 19, 16, 13, 10, 7, 4, 1]);
    expect(later).toMatchObject({ total: 200, approximate: false });
  });

  it('saves its index and, on the next start, answers from it and catches up with what changed meanwhile', async () => {
    const db = newDb();
    await seed(db);
    const { store, saved, counts } = memoryStore();
    const first = await start(db, { snapshots: store, snapshotDelayMs: 10, snapshotMaxWaitMs: 50 });
    await ready(first.client);
    expect(first.statuses.at(-1)).toMatchObject({ restored: false });
    // Saved soon after the first build.
    await until('the first save', () => (counts.saves > 0 ? true : undefined));
    first.client.close();
    first.core()?.close();

    // While no worker runs: read elsewhere, one expunged, one new.
    await applyBatch(db, [
      { kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', changes: [{ uid: 1, flags: ['\\Seen'], modseq: null }] },
      { kind: 'expunge', accountId: B, path: 'INBOX', uidValidity: '1', uids: [7] },
      upsert(A, 'INBOX', [mail(A, 'INBOX', 9, { subject: 'Budget, final', seen: false })]),
    ]);

    const second = await start(db, { snapshots: store, snapshotDelayMs: 10, snapshotMaxWaitMs: 50 });
    await until('the snapshot', () => (second.statuses.some((s) => s.restored) ? true : undefined));
    await ready(second.client);
    expect(second.statuses.find((s) => s.restored)).toMatchObject({ restored: true, indexed: 6 });
    expect(keysOf(await second.client.search('budget'))).toEqual(['A:INBOX:9', 'A:Sent:1', 'A:INBOX:1']);
    expect(keysOf(await second.client.search('is:unread'))).toEqual(['A:INBOX:9']);
    // What it found changed is saved again.
    const before = counts.saves;
    await until('a save after the check', () => (counts.saves > before ? true : undefined));
    expect(saved.get(db.name)!.docs).toBe(6);
  });

  it('answers a query while its index is being saved, and tries a failed save again later, not at once', async () => {
    const db = newDb();
    await seed(db);
    const writes: { resolve: () => void; reject: (e: Error) => void }[] = [];
    const store: SnapshotStore = {
      load: async () => null,
      // IndexedDB's write of the snapshot, which the test lets finish (or fail) when it wants.
      save: () => new Promise<void>((resolve, reject) => writes.push({ resolve, reject })),
      delete: async () => undefined,
      close: () => undefined,
    };
    // burstQuietMaxMs: on a loaded machine the gap between the seed and the change below would
    // otherwise make the worker wait for the end of a "burst" for seconds.
    const w = await start(db, { snapshots: store, snapshotDelayMs: 10, snapshotMaxWaitMs: 150, burstQuietMaxMs: 200 });
    await ready(w.client);
    await until('a save', () => (writes.length === 1 ? true : undefined));
    expect(keysOf(await w.client.search('budget'))).toEqual(['B:INBOX:7', 'A:Sent:1', 'A:INBOX:1']);
    // A change meanwhile is indexed, and saved by a later save, not lost with the one under way.
    await applyBatch(db, [upsert(A, 'INBOX', [mail(A, 'INBOX', 9, { subject: 'Budget, final' })])]);
    await eventually(w.client, 'budget', (k) => k.includes('A:INBOX:9'));
    expect(writes).toHaveLength(1);

    writes[0]!.reject(new Error('QuotaExceededError'));
    await new Promise((r) => setTimeout(r, 60));
    expect(writes).toHaveLength(1);
    await until('the save tried again', () => (writes.length === 2 ? true : undefined));
    writes[1]!.resolve();
  }, 15_000);

  it('puts off reading and checking its saved index (startDelayMs) until the delay passes or a query comes, unless nothing is cached', async () => {
    const db = newDb();
    await seed(db);
    const { store, saved, counts } = memoryStore();
    const first = await start(db, { snapshots: store, snapshotDelayMs: 10, snapshotMaxWaitMs: 50 });
    await ready(first.client);
    await until('the first save', () => (saved.size > 0 ? true : undefined));
    first.client.close();
    first.core()?.close();
    counts.loads = 0;

    // Put off: nothing read while the app starts, and it starts by itself once the delay is over.
    const quiet = await start(db, { snapshots: store, startDelayMs: 300 });
    await new Promise((r) => setTimeout(r, 150));
    expect(counts.loads).toBe(0);
    expect(quiet.client.status.phase).toBe('starting');
    await ready(quiet.client);
    expect(counts.loads).toBe(1);
    quiet.client.close();
    quiet.core()?.close();

    // With nothing cached (a new install about to sync its first account), no delay at all.
    const empty = newDb();
    counts.loads = 0;
    const fresh = await start(empty, { snapshots: store, startDelayMs: 60_000 });
    await ready(fresh.client);
    expect(counts.loads).toBe(1);
    fresh.client.close();
    fresh.core()?.close();

    // A query does not wait for the delay, and is answered from the saved index, not an empty one.
    counts.loads = 0;
    const asked = await start(db, { snapshots: store, startDelayMs: 60_000 });
    // (Waiting out the 60 s would time the test out.)
    expect(keysOf(await asked.client.search('budget'))).toEqual(['B:INBOX:7', 'A:Sent:1', 'A:INBOX:1']);
    expect(counts.loads).toBe(1);
  });

  it('checks a restored index at start-up reading only the bodies of what changed meanwhile', async () => {
    const db = newDb();
    await seed(db);
    const body = (uid: number, text: string) => ({ accountId: A, path: 'INBOX', uidValidity: '1', uid, text, html: null, attachments: [] });
    await putBody(db, body(1, 'The spreadsheet is attached'));
    await putBody(db, body(2, 'Shall we try the new ramen place?'));
    const { store, saved } = memoryStore();
    const first = await start(db, { snapshots: store, snapshotDelayMs: 10, snapshotMaxWaitMs: 50 });
    await ready(first.client);
    expect(keysOf(await first.client.search('ramen'))).toEqual(['A:INBOX:2']);
    await until('the first save', () => (saved.has(db.name) ? true : undefined));
    first.client.close();
    first.core()?.close();

    // While no worker runs: a body cached, a body dropped, a flag changed.
    await putBody(db, body(3, 'Photos from the fjord trip'));
    await db.bodies.delete([A, 'INBOX', 2]);
    await applyBatch(db, [{ kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', changes: [{ uid: 1, flags: ['\\Seen'], modseq: null }] }]);

    const bodyReads: string[][] = [];
    const second = await start(db, { snapshots: store, scanPage: 2 }, (name) => {
      const d = new Db(name);
      const bulkGet = d.bodies.bulkGet.bind(d.bodies);
      d.bodies.bulkGet = ((keys: [string, string, number][]) => {
        bodyReads.push(keys.map((k) => `${k[1]}:${k[2]}`));
        return bulkGet(keys);
      }) as typeof d.bodies.bulkGet;
      return d;
    });
    await ready(second.client);
    expect(second.statuses.some((s) => s.restored)).toBe(true);
    // Only the newly cached body was read; the unchanged one of UID 1 was not.
    expect(bodyReads.flat()).toEqual(['INBOX:3']);
    expect(keysOf(await second.client.search('fjord'))).toEqual(['A:INBOX:3']);
    expect(keysOf(await second.client.search('ramen'))).toEqual([]);
    expect(keysOf(await second.client.search('spreadsheet'))).toEqual(['A:INBOX:1']);
    expect(keysOf(await second.client.search('is:unread'))).toEqual(['B:INBOX:7']);
  });

  it('changes the flags of a message with a cached body in place, without reading the body again', async () => {
    const db = newDb();
    await seed(db);
    const bodyReads: number[] = [];
    const { client } = await start(db, {}, (name) => {
      const d = new Db(name);
      const bulkGet = d.bodies.bulkGet.bind(d.bodies);
      d.bodies.bulkGet = ((keys: [string, string, number][]) => {
        bodyReads.push(...keys.map((k) => k[2]));
        return bulkGet(keys);
      }) as typeof d.bodies.bulkGet;
      return d;
    });
    await ready(client);
    await putBody(db, { accountId: A, path: 'INBOX', uidValidity: '1', uid: 1, text: 'The spreadsheet is attached', html: null, attachments: [] });
    expect(await eventually(client, 'spreadsheet', (k) => k.length > 0)).toEqual(['A:INBOX:1']);
    expect(bodyReads).toEqual([1]);

    await applyBatch(db, [{ kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', changes: [{ uid: 1, flags: ['\\Seen', '\\Flagged'], modseq: null }] }]);
    await eventually(client, 'is:starred', (k) => k.includes('A:INBOX:1'));
    expect(keysOf(await client.search('spreadsheet is:unread'))).toEqual([]);
    expect(keysOf(await client.search('spreadsheet'))).toEqual(['A:INBOX:1']);
    expect(bodyReads).toEqual([1]);

    // The body dropped from the cache: its words go.
    await db.bodies.delete([A, 'INBOX', 1]);
    await eventually(client, 'spreadsheet', (k) => k.length === 0);
  });

  it('indexes the new bodies of a downloaded batch, without reading the bodies indexed before', async () => {
    const db = newDb();
    await applyBatch(db, [folders(A, { INBOX: 'inbox' }), upsert(A, 'INBOX', Array.from({ length: 300 }, (_, i) => mail(A, 'INBOX', i + 1)))]);
    for (let uid = 1; uid <= 100; uid++) await putBody(db, { accountId: A, path: 'INBOX', uidValidity: '1', uid, text: `kept ${uid}`, html: null, attachments: [] });
    // Body records the worker reads, by UID.
    const bodyReads: number[] = [];
    const { client } = await start(db, {}, (name) => countReads(new Db(name), 'bodies', bodyReads));
    await ready(client);
    const counted = (text: string, n: number) => until(`${n} results for "${text}"`, async () => ((await client.search(text)).total === n ? true : undefined));
    await counted('kept', 100);
    bodyReads.length = 0;

    // The offline download stores the other 200 in one batch, as the app does.
    const conn: PrefetchConnection = {
      state: { status: 'connected' },
      onState: () => () => undefined,
      call: async (_m, p) => ({ bodies: p.uids.map((uid) => ({ accountId: p.accountId, path: p.path, uidValidity: p.uidValidity, uid, html: null, text: `fetched ${uid}`, attachments: [] })) }),
    };
    expect(await new BodyPrefetcher(db, conn, { batch: 200, storage: null }).pass()).toBe(200);
    await counted('fetched', 200);
    // Each new body read once; none of the 100 indexed before (Dexie reports a write of 50 or
    // more records as a range of the whole table: the worker read and tokenized them all again).
    expect(bodyReads.filter((uid) => uid <= 100)).toEqual([]);
    expect(bodyReads.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 101));
    expect(await client.search('kept')).toMatchObject({ total: 100 });

    // Bodies dropped by a range (the messages stay): their words go, the others stay.
    await db.bodies.where(':id').between([A, 'INBOX', 151], [A, 'INBOX', 300], true, true).delete();
    await counted('fetched', 50);
    expect(await client.search('kept')).toMatchObject({ total: 100 });
  });

  it('reads back only the messages of a flag change, and every message after a very big one', async () => {
    const db = newDb();
    await applyBatch(db, [folders(A, { INBOX: 'inbox' }), upsert(A, 'INBOX', Array.from({ length: 2200 }, (_, i) => mail(A, 'INBOX', i + 1, { seen: false })))]);
    const messageReads: number[] = [];
    const { client } = await start(db, {}, (name) => countReads(new Db(name), 'messages', messageReads));
    await ready(client);
    expect((await client.search('is:unread')).total).toBe(2200);
    messageReads.length = 0;
    const read = (uids: number[]) => ({ kind: 'flags' as const, accountId: A, path: 'INBOX', uidValidity: '1', changes: uids.map((uid) => ({ uid, flags: ['\\Seen'], modseq: null })) });
    const unread = async (n: number) => until(`${n} unread`, async () => ((await client.search('is:unread')).total === n ? true : undefined));

    // Another client read 120 of them: one delta, as a resync brings it.
    const some = Array.from({ length: 120 }, (_, i) => i + 1);
    await applyBatch(db, [read(some)]);
    await unread(2080);
    expect(new Set(messageReads)).toEqual(new Set(some));

    // ...then the rest (a folder marked read, over KEYED_MAX): written at once, every message read back.
    messageReads.length = 0;
    await applyBatch(db, [read(Array.from({ length: 2080 }, (_, i) => i + 121))]);
    await unread(0);
    expect(new Set(messageReads).size).toBe(2200);
  });

  it('reads back only the new mail of a synced folder, and everything after a first sync', async () => {
    const db = newDb();
    const inbox = (from: number, n: number) => upsert(A, 'INBOX', Array.from({ length: n }, (_, i) => mail(A, 'INBOX', from + i)));
    // A first sync in two batches, the first with a partial cursor.
    await applyBatch(db, [folders(A, { INBOX: 'inbox' }), inbox(1001, 1000), { kind: 'cursor', cursor: { accountId: A, path: 'INBOX', uidValidity: '1', highestModseq: null, uidNext: 2001, partialBelow: 1001 } }]);
    const messageReads: number[] = [];
    const { client } = await start(db, {}, (name) => countReads(new Db(name), 'messages', messageReads));
    await ready(client);
    messageReads.length = 0;
    await applyBatch(db, [inbox(1, 1000), cursor(A, 'INBOX', 2001)]);
    // Every message is from Ada.
    const indexed = async (n: number) => until(`${n} indexed`, async () => ((await client.search('ada')).total === n ? true : undefined));
    await indexed(2000);
    // The first sync's last batch was one write: every cached message read back.
    expect(new Set(messageReads).size).toBe(2000);

    // A resync after a weekend away: 120 new messages, their keys named.
    messageReads.length = 0;
    await applyBatch(db, [inbox(2001, 120), cursor(A, 'INBOX', 2121)]);
    await indexed(2120);
    expect(new Set(messageReads)).toEqual(new Set(Array.from({ length: 120 }, (_, i) => 2001 + i)));
  });

  it('reports a worker that could not start: the status says why and searches fail', async () => {
    const client = new SearchClient({ postMessage: () => undefined, addEventListener: () => undefined, removeEventListener: () => undefined }, 'x');
    const statuses: IndexStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    const pending = client.search('budget');
    client.fail('The search worker could not start.');
    await expect(pending).rejects.toThrow('could not start');
    await expect(client.search('budget')).rejects.toThrow('could not start');
    expect(statuses.at(-1)).toMatchObject({ phase: 'failed', error: 'The search worker could not start.' });
    expect(await client.flush()).toBeNull();
  });

  it('merges server hits: cached ones join the results, the rest are counted', async () => {
    const db = newDb();
    await seed(db);
    const { client } = await start(db);
    await ready(client);
    // The server found "ramen" in the bodies of A:INBOX:1 (cached, body not) and of 40, 41 (not cached).
    const page = await client.search('ramen', { server: [{ accountId: A, path: 'INBOX', uidValidity: '1', uids: [41, 40, 1], total: 5 }] });
    expect(keysOf(page)).toEqual(['A:INBOX:1']);
    expect(page).toMatchObject({ total: 1, serverMerged: 1, serverOnly: 4 });
    // A local match the server also found is not counted twice.
    const both = await client.search('budget', { server: [{ accountId: A, path: 'INBOX', uidValidity: '1', uids: [1], total: 1 }] });
    expect(both).toMatchObject({ total: 3, serverMerged: 0, serverOnly: 0 });
    // Cached hits still pass the structured filters on the cached record (2 is read here).
    const unread = await client.search('ramen is:unread', { server: [{ accountId: A, path: 'INBOX', uidValidity: '1', uids: [2, 1], total: 2 }] });
    expect(keysOf(unread)).toEqual(['A:INBOX:1']);
    expect(unread).toMatchObject({ total: 1, serverMerged: 1, serverOnly: 0 });
    // UIDs of another UIDVALIDITY mean nothing here.
    const stale = await client.search('ramen', { server: [{ accountId: A, path: 'INBOX', uidValidity: '99', uids: [1], total: 1 }] });
    expect(stale).toMatchObject({ total: 0, serverMerged: 0, serverOnly: 1 });
  });
});
