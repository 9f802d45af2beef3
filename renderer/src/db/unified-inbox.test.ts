import 'fake-indexeddb/auto';
import { cmp } from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { applyBatch, RECENT_MAX } from './apply-deltas';
import { buildFolderAnchors, clearAnchors, currentAnchors, hasAnchors } from './folder-anchors';
import { pageCursorOf, unifiedInbox } from './queries';
import { PROBE_GAP } from './unified-inbox';
import type { MessageRecord, PetrelDb } from './schema';
import { A, B, foldersDelta, header, newDb, upsert } from './test-fixtures';

const C = 'acct-cccc';
const T0 = 1_700_000_000_000;

const dbs: PetrelDb[] = [];
afterEach(async () => {
  clearAnchors();
  for (const d of dbs.splice(0)) await d.delete();
});

/** A database whose reads of `messages` entries are counted (by cursors, getAll and getAllKeys). */
function countedDb(): { d: PetrelDb; stats: { steps: number; counts: number } } {
  const d = newDb();
  dbs.push(d);
  const stats = { steps: 0, counts: 0 };
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
          count: (req) => {
            stats.counts++;
            return table.count(req);
          },
          query: async (req) => {
            const res = await table.query(req);
            stats.steps += res.result.length;
            return res;
          },
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

  it('probes the longest INBOX for a deep window without anchors, whatever the dates of each INBOX', async () => {
    const random = rng(21);
    const { d, stats } = countedDb();
    // A spread over the whole range, B all newer than A, C interleaved with runs of equal dates.
    await applyBatch(d, [
      ...[A, B, C].map((acc) => foldersDelta(acc, ['INBOX'])),
      upsert(A, 'INBOX', Array.from({ length: 900 }, (_, i) => header(A, 'INBOX', i + 1, { date: T0 + i * 1000 }))),
      upsert(B, 'INBOX', Array.from({ length: 500 }, (_, i) => header(B, 'INBOX', i + 1, { date: T0 + 2_000_000 + i * 1000 }))),
      upsert(C, 'INBOX', Array.from({ length: 300 }, (_, i) => header(C, 'INBOX', i + 1, { date: T0 + Math.floor(random() * 300) * 3000 }))),
    ]);
    const want = await expected(d);
    for (const offset of [401, 500, 777, 1000, 1399, 1500, 1695]) {
      clearAnchors();
      stats.steps = 0;
      expect((await unifiedInbox(d, { offset, limit: 9 })).map(keyOf), `offset ${offset}`).toEqual(want.slice(offset, offset + 9));
      // Not merged from the top (offset + 9 keys of each INBOX that has them): at most a probe's
      // distance and the window from each INBOX, and a few cursor positions for the probes.
      expect(stats.steps, `steps at ${offset}`).toBeLessThanOrEqual(3 * (PROBE_GAP + 9) + 6);
      if (offset >= 1000) expect(stats.steps, `steps at ${offset}`).toBeLessThan(offset);
    }
  }, 30_000);

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
    // Without anchors the longest INBOX is probed near the offset (merging every INBOX from the
    // top would read 3 x 620 keys), then merged from there.
    expect(stats.steps).toBeLessThan(600);
    expect(stats.steps).toBeGreaterThan(60);

    for (const acc of [A, B, C]) await buildFolderAnchors(d, acc, 'INBOX', 20);
    stats.steps = 0;
    expect((await unifiedInbox(d, { offset: 600, limit: 20 })).map(keyOf)).toEqual(want.slice(600, 620));
    expect(stats.steps).toBeLessThan(3 * 2 * 20 + 3 * 20);
  });

  it('finds its start in a few counts when one INBOX has no anchors (stepped back, then bisected)', async () => {
    const { d, stats } = countedDb();
    // B, without anchors, is newer than all of A: every rank is 400 above A's anchors' bounds.
    await applyBatch(d, [
      ...[A, B].map((acc) => foldersDelta(acc, ['INBOX'])),
      upsert(A, 'INBOX', Array.from({ length: 1200 }, (_, i) => header(A, 'INBOX', i + 1, { date: T0 + i * 1000 }))),
      upsert(B, 'INBOX', Array.from({ length: 400 }, (_, i) => header(B, 'INBOX', i + 1, { date: T0 + 2e6 + i * 1000 }))),
    ]);
    const want = await expected(d);
    await buildFolderAnchors(d, A, 'INBOX', 10);
    for (const offset of [450, 800, 1300, 1590]) {
      stats.counts = 0;
      expect((await unifiedInbox(d, { offset, limit: 10 })).map(keyOf), `offset ${offset}`).toEqual(want.slice(offset, offset + 10));
      // Stepping back one anchor of A at a time would count B 40 times.
      expect(stats.counts, `counts at ${offset}`).toBeLessThanOrEqual(16);
    }
  }, 30_000);

  it('asks for the anchors of INBOXes longer than a step after a deep jump without them', async () => {
    const { d } = countedDb();
    await applyBatch(d, [
      foldersDelta(A, ['INBOX']),
      foldersDelta(B, ['INBOX']),
      upsert(A, 'INBOX', Array.from({ length: 350 }, (_, i) => header(A, 'INBOX', i + 1))),
      upsert(B, 'INBOX', Array.from({ length: 30 }, (_, i) => header(B, 'INBOX', i + 1))),
    ]);
    expect(await unifiedInbox(d, { offset: 300, limit: 10 })).toHaveLength(10);
    await expect.poll(() => hasAnchors(d, A, 'INBOX')).toBe(true);
    expect(hasAnchors(d, B, 'INBOX')).toBe(false);
  });

  it('stays right through random new mail, removals, re-dated mail, flag changes and resets, with anchors read along the way', async () => {
    // Windows answered with anchors read before the folder's last change (placed by its log).
    let placedAfterChanges = 0;
    for (const seed of [11, 12, 13]) {
      const random = rng(seed);
      const pick = (n: number) => Math.floor(random() * n);
      const { d } = countedDb();
      const accounts = [A, B, C];
      const next = new Map(accounts.map((a) => [a, 1]));
      const validity = new Map(accounts.map((a) => [a, '1']));
      const live = new Map<string, Map<number, number>>(accounts.map((a) => [a, new Map()]));
      const builtAt = new Map<string, number>();
      await applyBatch(d, accounts.map((a) => foldersDelta(a, ['INBOX'])));
      const add = (a: string, n: number, date: () => number) =>
        upsert(
          a,
          'INBOX',
          Array.from({ length: n }, () => {
            const uid = next.get(a)!;
            next.set(a, uid + 1);
            const when = date();
            live.get(a)!.set(uid, when);
            return header(a, 'INBOX', uid, { date: when, uidValidity: validity.get(a)! });
          }),
          validity.get(a)!,
        );
      // A first sync: newest first, each batch older than the last.
      let oldest = T0;
      for (let b = 0; b < 4; b++) await applyBatch(d, [add(A, 60, () => (oldest -= 1000 * (1 + pick(3))))]);
      await applyBatch(d, [add(B, 90, () => T0 - pick(300) * 1000), add(C, 20, () => T0 - pick(300) * 1000)]);
      for (let step = 0; step < 40; step++) {
        const a = accounts[pick(3)]!;
        const uids = [...live.get(a)!.keys()];
        const r = random();
        if (r < 0.3) await applyBatch(d, [add(a, 1 + pick(RECENT_MAX / 4), () => T0 + pick(400) * 1000 - 200_000)]);
        else if (r < 0.5 && uids.length > 5) {
          const gone = Array.from({ length: 1 + pick(4) }, () => uids[pick(uids.length)]!);
          for (const u of gone) live.get(a)!.delete(u);
          await applyBatch(d, [{ kind: 'expunge', accountId: a, path: 'INBOX', uidValidity: validity.get(a)!, uids: [...new Set(gone)] }]);
        } else if (r < 0.65 && uids.length > 0) {
          const uid = uids[pick(uids.length)]!;
          const date = T0 + pick(400) * 1000 - 200_000;
          live.get(a)!.set(uid, date);
          await applyBatch(d, [upsert(a, 'INBOX', [header(a, 'INBOX', uid, { date, modseq: String(100 + step), uidValidity: validity.get(a)! })], validity.get(a)!)]);
        } else if (r < 0.75 && uids.length > 0) {
          await applyBatch(d, [{ kind: 'flags', accountId: a, path: 'INBOX', uidValidity: validity.get(a)!, changes: [{ uid: uids[pick(uids.length)]!, flags: ['\\Seen'], modseq: null }] }]);
        } else if (r < 0.78) {
          validity.set(a, String(Number(validity.get(a)!) + 1));
          live.get(a)!.clear();
          await applyBatch(d, [{ kind: 'reset', accountId: a, path: 'INBOX', uidValidity: validity.get(a)! }]);
          await applyBatch(d, [add(a, 10 + pick(40), () => T0 - pick(300) * 1000)]);
        } else {
          await buildFolderAnchors(d, a, 'INBOX', 3 + pick(8));
          builtAt.set(a, (await d.folders.get([a, 'INBOX']))?.changes ?? 0);
        }
        for (const acc of accounts) {
          const f = (await d.folders.get([acc, 'INBOX']))!;
          if (builtAt.has(acc) && builtAt.get(acc) !== (f.changes ?? 0) && (currentAnchors(d, f)?.anchors.length ?? 0) > 1) placedAfterChanges++;
        }
        await checkWindows(d, random, 4);
        const want = (await expected(d)).filter((k) => k.startsWith(`${a}:`));
        for (const offset of [pick(want.length + 1), pick(want.length + 1)]) {
          const got = (await unifiedInbox(d, { offset, limit: 7, accountIds: [a] })).map(keyOf);
          expect(got, `${a} at ${offset}, step ${step}`).toEqual(want.slice(offset, offset + 7));
        }
      }
    }
    expect(placedAfterChanges).toBeGreaterThan(20);
  }, 60_000);
});
