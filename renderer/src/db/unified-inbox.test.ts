import 'fake-indexeddb/auto';
import { cmp } from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { applyBatch } from './apply-deltas';
import { buildFolderAnchors, clearAnchors, hasAnchors } from './folder-anchors';
import { pageCursorOf, unifiedInbox } from './queries';
import type { MessageRecord, PetrelDb } from './schema';
import { A, B, foldersDelta, header, newDb, upsert } from './test-fixtures';

const C = 'acct-cccc';
const T0 = 1_700_000_000_000;

const dbs: PetrelDb[] = [];
afterEach(async () => {
  clearAnchors();
  for (const d of dbs.splice(0)) await d.delete();
});

/** A database whose cursor steps on `messages` are counted (entries a cursor delivered). */
function countedDb(): { d: PetrelDb; stats: { steps: number } } {
  const d = newDb();
  dbs.push(d);
  const stats = { steps: 0 };
  d.use({
    stack: 'dbcore',
    name: 'count-steps',
    create: (down) => ({
      ...down,
      table: (name) => {
        const table = down.table(name);
        if (name !== 'messages') return table;
        return {
          ...table,
          openCursor: async (req) => {
            const c = await table.openCursor(req);
            if (!c) return c;
            return Object.create(c, {
              start: { value: (onNext: () => void) => c.start(() => (stats.steps++, onNext())) },
            }) as typeof c;
          },
        };
      },
    }),
  });
  return { d, stats };
}

/** Deterministic pseudo-random numbers (a test that fails can be replayed). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

const keyOf = (m: MessageRecord) => `${m.accountId}:${m.path}:${m.uid}`;

/** The list as the app defines it: every INBOX, newest first, ties by primary key descending. */
async function expected(d: PetrelDb): Promise<string[]> {
  const all = (await d.messages.toArray()).filter((m) => m.path === 'INBOX');
  all.sort((a, b) => (a.date !== b.date ? b.date - a.date : cmp([b.accountId, b.path, b.uid], [a.accountId, a.path, a.uid])));
  return all.map(keyOf);
}

/** INBOXes of `sizes` messages with few distinct dates (ties within and across accounts), and an Archive. */
async function fill(d: PetrelDb, sizes: Record<string, number>, random: () => number): Promise<void> {
  const deltas = Object.entries(sizes).flatMap(([acc, n]) => [
    foldersDelta(acc, ['INBOX', 'Archive']),
    upsert(
      acc,
      'INBOX',
      Array.from({ length: n }, (_, i) => header(acc, 'INBOX', i + 1, { date: T0 + Math.floor(random() * n * 0.6) * 1000 })),
    ),
    upsert(acc, 'Archive', [header(acc, 'Archive', 1, { date: T0 + 10_000_000 })]),
  ]);
  await applyBatch(d, deltas);
}

async function checkWindows(d: PetrelDb, random: () => number, rounds: number): Promise<void> {
  const want = await expected(d);
  const probes: [number, number][] = [
    [0, 10],
    [0, want.length + 5],
    [want.length - 3, 10],
    [want.length, 5],
  ];
  for (let i = 0; i < rounds; i++) probes.push([Math.floor(random() * want.length), 1 + Math.floor(random() * 40)]);
  for (const [offset, limit] of probes) {
    const got = (await unifiedInbox(d, { offset, limit })).map(keyOf);
    expect(got, `offset ${offset}, limit ${limit}`).toEqual(want.slice(offset, offset + limit));
  }
}

describe('unifiedInbox: the merged INBOXes', () => {
  it('matches the defined order at every offset, with exact anchors, without, and with stale ones', async () => {
    for (const seed of [1, 2, 3]) {
      const random = rng(seed);
      const { d } = countedDb();
      await fill(d, { [A]: 140, [B]: 90, [C]: 35 }, random);
      // No anchors: merged from the top.
      await checkWindows(d, random, 15);
      // Exact anchors on two INBOXes (steps that do not divide the lengths), none on the third.
      await buildFolderAnchors(d, A, 'INBOX', 7);
      await buildFolderAnchors(d, B, 'INBOX', 11);
      await checkWindows(d, random, 30);
      await buildFolderAnchors(d, C, 'INBOX', 5);
      await checkWindows(d, random, 30);
      // New mail at the top of one INBOX and a removal in another: their anchors are stale.
      await applyBatch(d, [
        upsert(A, 'INBOX', [header(A, 'INBOX', 500, { date: T0 + 5_000_000 })]),
        { kind: 'expunge', accountId: B, path: 'INBOX', uidValidity: '1', uids: [3, 4, 5, 6, 7, 8, 9] },
      ]);
      await checkWindows(d, random, 20);
    }
  });

  it('pages after a message across accounts, ties included', async () => {
    const random = rng(9);
    const { d } = countedDb();
    await fill(d, { [A]: 30, [B]: 25, [C]: 12 }, random);
    const want = await expected(d);
    const walked: string[] = [];
    let page = await unifiedInbox(d, { limit: 4 });
    while (page.length > 0) {
      walked.push(...page.map(keyOf));
      page = await unifiedInbox(d, { limit: 4, after: pageCursorOf(page[page.length - 1]!) });
    }
    expect(walked).toEqual(want);
    const third = (await unifiedInbox(d, { limit: 1, offset: 2 }))[0]!;
    expect((await unifiedInbox(d, { limit: 3, offset: 2, after: pageCursorOf(third) })).map(keyOf)).toEqual(want.slice(5, 8));
  });

  it('lists only the accounts asked for', async () => {
    const random = rng(4);
    const { d } = countedDb();
    await fill(d, { [A]: 20, [B]: 20, [C]: 20 }, random);
    const want = (await expected(d)).filter((k) => !k.startsWith(`${B}:`));
    expect((await unifiedInbox(d, { limit: 100, accountIds: [A, C] })).map(keyOf)).toEqual(want);
    expect((await unifiedInbox(d, { limit: 5, offset: 11, accountIds: [A, C] })).map(keyOf)).toEqual(want.slice(11, 16));
    const onlyC = (await expected(d)).filter((k) => k.startsWith(`${C}:`));
    expect((await unifiedInbox(d, { limit: 6, offset: 3, accountIds: [C] })).map(keyOf)).toEqual(onlyC.slice(3, 9));
  });

  it('reads about one anchor step per INBOX for a jump when anchors are exact, and asks for them when missing', async () => {
    const random = rng(5);
    const { d, stats } = countedDb();
    await fill(d, { [A]: 400, [B]: 300, [C]: 300 }, random);
    const want = await expected(d);

    stats.steps = 0;
    expect((await unifiedInbox(d, { offset: 600, limit: 20 })).map(keyOf)).toEqual(want.slice(600, 620));
    const fromTop = stats.steps;
    // Without anchors each INBOX is read from the top up to the window's end.
    expect(fromTop).toBeGreaterThan(600);

    for (const acc of [A, B, C]) await buildFolderAnchors(d, acc, 'INBOX', 20);
    stats.steps = 0;
    expect((await unifiedInbox(d, { offset: 600, limit: 20 })).map(keyOf)).toEqual(want.slice(600, 620));
    expect(stats.steps).toBeLessThan(3 * 2 * 20 + 3 * 20);
  });

  it('asks for the anchors of long INBOXes after a deep jump without them', async () => {
    const { d } = countedDb();
    await applyBatch(d, [
      foldersDelta(A, ['INBOX']),
      foldersDelta(B, ['INBOX']),
      upsert(A, 'INBOX', Array.from({ length: 2100 }, (_, i) => header(A, 'INBOX', i + 1))),
      upsert(B, 'INBOX', Array.from({ length: 30 }, (_, i) => header(B, 'INBOX', i + 1))),
    ]);
    expect(await unifiedInbox(d, { offset: 2050, limit: 10 })).toHaveLength(10);
    await new Promise((r) => setTimeout(r, 50));
    await expect.poll(() => hasAnchors(d, A, 'INBOX')).toBe(true);
    expect(hasAnchors(d, B, 'INBOX')).toBe(false);
  });
});
