import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FolderCursor, SyncBatch, SyncDelta } from '../../../shared/contract';
import { applyBatch, Counts, RECENT_MAX } from './apply-deltas';
import { placeAnchors, type AnchorEntry } from './folder-anchors';
import { putBody } from './bodies';
import { allCursors, countCached, folder, message, messageBody } from './queries';
import type { FolderRecord, PetrelDb } from './schema';
import {
  A,
  B,
  FakeServer,
  batch,
  compact,
  cursor,
  dump,
  folderInfo,
  foldersDelta,
  header,
  newDb,
  recount,
  rng,
  upsert,
} from './test-fixtures';

const dbs: PetrelDb[] = [];
function db(): PetrelDb {
  const d = newDb();
  dbs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dbs.splice(0)) await d.delete();
});

const apply = (d: PetrelDb, ...deltas: SyncDelta[]) => applyBatch(d, deltas);

function body(accountId: string, path: string, uid: number, uidValidity = '1') {
  return { accountId, path, uid, uidValidity, html: null, text: `Body ${uid}`, attachments: [] };
}

async function expectCountsMatchRecount(d: PetrelDb, accountId: string, path: string, shownToo = true) {
  const f = await folder(d, accountId, path);
  const real = await recount(d, accountId, path);
  expect({ total: f?.cachedTotal ?? 0, unread: f?.cachedUnread ?? 0 }).toEqual(real);
  if (shownToo) expect({ total: f?.total ?? 0, unread: f?.unread ?? 0 }).toEqual(real);
}

describe('applying each delta kind', () => {
  it('folders: stores the list with the server counts', async () => {
    const d = db();
    await apply(d, {
      kind: 'folders',
      accountId: A,
      folders: [folderInfo(A, 'INBOX', { total: 10, unread: 3 }), folderInfo(A, 'Work/Projects')],
    });
    const inbox = await folder(d, A, 'INBOX');
    expect(inbox).toMatchObject({ total: 10, unread: 3, cachedTotal: 0, cachedUnread: 0, uidValidity: null, listed: true });
    expect(await folder(d, A, 'Work/Projects')).toMatchObject({ name: 'Projects', parentPath: 'Work' });
  });

  it('folderStatus: overwrites the shown counts; an unknown folder gets a placeholder', async () => {
    const d = db();
    await apply(d, foldersDelta(A, ['INBOX']));
    await apply(d, { kind: 'folderStatus', accountId: A, path: 'INBOX', total: 7, unread: 2 });
    expect(await folder(d, A, 'INBOX')).toMatchObject({ total: 7, unread: 2, listed: true });
    await apply(d, { kind: 'folderStatus', accountId: A, path: 'New', total: 1, unread: 1 });
    expect(await folder(d, A, 'New')).toMatchObject({ total: 1, unread: 1, listed: false });
  });

  it('upsert: inserts and replaces messages, deriving seen/flagged', async () => {
    const d = db();
    await apply(d, foldersDelta(A, ['INBOX', 'Archive']));
    await apply(d, upsert(A, 'INBOX', [header(A, 'INBOX', 1), header(A, 'INBOX', 2, { seen: true, flagged: true })]));
    await apply(d, upsert(A, 'Archive', [header(A, 'Archive', 1)]));
    const m1 = await message(d, [A, 'INBOX', 1]);
    const m2 = await message(d, [A, 'INBOX', 2]);
    expect(m1).toMatchObject({ seen: 0, flagged: 0 });
    expect(m1).not.toHaveProperty('inboxDate');
    expect(m2).toMatchObject({ seen: 1, flagged: 1 });
    expect(await folder(d, A, 'INBOX')).toMatchObject({ uidValidity: '1', total: 2, unread: 1, cachedTotal: 2, cachedUnread: 1 });

    await apply(d, upsert(A, 'INBOX', [header(A, 'INBOX', 1, { seen: true, subject: 'Edited' })]));
    expect(await message(d, [A, 'INBOX', 1])).toMatchObject({ subject: 'Edited', seen: 1 });
    expect(await folder(d, A, 'INBOX')).toMatchObject({ total: 2, unread: 0 });
  });

  it('upsert: skips messages that name another folder or uidValidity, and guards dates', async () => {
    const d = db();
    await apply(d, foldersDelta(A, ['INBOX']));
    const nan = { ...header(A, 'INBOX', 3), date: NaN, internalDate: 1234 };
    const noDates = { ...header(A, 'INBOX', 4), date: Infinity, internalDate: NaN };
    await apply(
      d,
      upsert(A, 'INBOX', [header(A, 'Other', 1), header(A, 'INBOX', 2, { uidValidity: '9' }), header(B, 'INBOX', 5), nan, noDates]),
    );
    expect(await countCached(d, A, 'INBOX')).toBe(2);
    expect((await message(d, [A, 'INBOX', 3]))?.date).toBe(1234);
    expect(await message(d, [A, 'INBOX', 4])).toMatchObject({ date: 0, internalDate: 0 });
  });

  it('upsert: an older modseq does not replace a newer message', async () => {
    const d = db();
    await apply(d, upsert(A, 'INBOX', [header(A, 'INBOX', 1, { modseq: '20', seen: true })]));
    await apply(d, upsert(A, 'INBOX', [header(A, 'INBOX', 1, { modseq: '9', seen: false })]));
    expect(await message(d, [A, 'INBOX', 1])).toMatchObject({ modseq: '20', seen: 1 });
  });

  it('flags: updates known messages, ignores unknown ones and older modseqs', async () => {
    const d = db();
    await apply(d, upsert(A, 'INBOX', [header(A, 'INBOX', 1, { modseq: '5' }), header(A, 'INBOX', 2, { modseq: '5' })]));
    await apply(d, {
      kind: 'flags',
      accountId: A,
      path: 'INBOX',
      uidValidity: '1',
      changes: [
        { uid: 1, flags: ['\\Seen', '\\Flagged', '$Label1'], modseq: '6' },
        { uid: 2, flags: ['\\Seen'], modseq: '4' },
        { uid: 99, flags: ['\\Seen'], modseq: '7' },
      ],
    });
    expect(await message(d, [A, 'INBOX', 1])).toMatchObject({ flags: ['\\Seen', '\\Flagged', '$Label1'], seen: 1, flagged: 1, modseq: '6' });
    expect(await message(d, [A, 'INBOX', 2])).toMatchObject({ seen: 0, modseq: '5' });
    expect(await message(d, [A, 'INBOX', 99])).toBeUndefined();
    expect(await folder(d, A, 'INBOX')).toMatchObject({ total: 2, unread: 1 });
  });

  it('flags: system flags match case-insensitively', async () => {
    const d = db();
    await apply(d, upsert(A, 'INBOX', [header(A, 'INBOX', 1)]));
    await apply(d, { kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', changes: [{ uid: 1, flags: ['\\SEEN'], modseq: null }] });
    expect(await message(d, [A, 'INBOX', 1])).toMatchObject({ seen: 1 });
  });

  it('expunge: removes messages and their bodies', async () => {
    const d = db();
    await apply(d, upsert(A, 'INBOX', [1, 2, 3].map((uid) => header(A, 'INBOX', uid))));
    expect(await putBody(d, body(A, 'INBOX', 2))).toBe(true);
    await apply(d, { kind: 'expunge', accountId: A, path: 'INBOX', uidValidity: '1', uids: [2, 2, 50] });
    expect(await countCached(d, A, 'INBOX')).toBe(2);
    expect(await messageBody(d, [A, 'INBOX', 2])).toBeUndefined();
    await expectCountsMatchRecount(d, A, 'INBOX');
  });

  it('uidset: deletes cached messages below uidNext that are not in the set', async () => {
    const d = db();
    await apply(d, upsert(A, 'INBOX', [1, 2, 3, 4, 5, 8, 10, 12].map((uid) => header(A, 'INBOX', uid))));
    await putBody(d, body(A, 'INBOX', 4));
    await apply(d, { kind: 'uidset', accountId: A, path: 'INBOX', uidValidity: '1', uids: '1:3,5:9', uidNext: 11 });
    const uids = (await d.messages.toArray()).map((m) => m.uid);
    // 4 and 10 are gone; 12 is at or above uidNext, so the set says nothing about it.
    expect(uids).toEqual([1, 2, 3, 5, 8, 12]);
    expect(await messageBody(d, [A, 'INBOX', 4])).toBeUndefined();
    await expectCountsMatchRecount(d, A, 'INBOX');
  });

  it('uidset: a malformed set deletes nothing', async () => {
    const d = db();
    await apply(d, upsert(A, 'INBOX', [1, 2].map((uid) => header(A, 'INBOX', uid))));
    const r = await apply(d, { kind: 'uidset', accountId: A, path: 'INBOX', uidValidity: '1', uids: '1:*', uidNext: 3 });
    expect(r.dropped).toBe(1);
    expect(await countCached(d, A, 'INBOX')).toBe(2);
  });

  it('uidset: the empty set empties the folder below uidNext', async () => {
    const d = db();
    await apply(d, upsert(A, 'INBOX', [1, 2, 3].map((uid) => header(A, 'INBOX', uid))));
    await apply(d, { kind: 'uidset', accountId: A, path: 'INBOX', uidValidity: '1', uids: '', uidNext: 3 });
    expect((await d.messages.toArray()).map((m) => m.uid)).toEqual([3]);
  });

  it('reset: drops messages, bodies and cursor, records the new uidValidity', async () => {
    const d = db();
    await apply(d, foldersDelta(A, ['INBOX', 'Other']));
    await apply(d, upsert(A, 'INBOX', [1, 2].map((uid) => header(A, 'INBOX', uid))), cursor(A, 'INBOX', 3));
    await apply(d, upsert(A, 'Other', [header(A, 'Other', 1)]), cursor(A, 'Other', 2));
    await putBody(d, body(A, 'INBOX', 1));
    await apply(d, { kind: 'reset', accountId: A, path: 'INBOX', uidValidity: '77' });
    expect(await countCached(d, A, 'INBOX')).toBe(0);
    expect(await d.bodies.count()).toBe(0);
    expect((await allCursors(d)).map((c) => c.path)).toEqual(['Other']);
    expect(await countCached(d, A, 'Other')).toBe(1);
    expect(await folder(d, A, 'INBOX')).toMatchObject({ uidValidity: '77', total: 0, unread: 0, cachedTotal: 0 });
  });

  it('cursor: stored as reached, dropped when asked or when stale', async () => {
    const d = db();
    await apply(d, upsert(A, 'INBOX', [header(A, 'INBOX', 1)]), cursor(A, 'INBOX', 2, '1', '40'));
    expect(await allCursors(d)).toEqual([{ accountId: A, path: 'INBOX', uidValidity: '1', highestModseq: '40', uidNext: 2 }]);
    const skipped = await applyBatch(d, [cursor(A, 'INBOX', 9)], { storeCursors: false });
    expect(skipped.dropped).toBe(1);
    const stale = await apply(d, cursor(A, 'INBOX', 9, '0'));
    expect(stale.dropped).toBe(1);
    expect((await allCursors(d))[0]?.uidNext).toBe(2);
  });

  it('cursor: a partial one (an initial sync under way) is kept until the final one replaces it', async () => {
    const d = db();
    const partial: SyncDelta = { kind: 'cursor', cursor: { accountId: A, path: 'INBOX', uidValidity: '1', highestModseq: '40', uidNext: 90, partialBelow: 60 } };
    await apply(d, upsert(A, 'INBOX', [60, 70, 80].map((uid) => header(A, 'INBOX', uid))), partial);
    expect(await allCursors(d)).toEqual([{ accountId: A, path: 'INBOX', uidValidity: '1', highestModseq: '40', uidNext: 90, partialBelow: 60 }]);
    await apply(d, upsert(A, 'INBOX', [10, 20].map((uid) => header(A, 'INBOX', uid))), cursor(A, 'INBOX', 90, '1', '40'));
    expect(await allCursors(d)).toEqual([{ accountId: A, path: 'INBOX', uidValidity: '1', highestModseq: '40', uidNext: 90 }]);
  });

  it('progress: returned, not stored', async () => {
    const d = db();
    const r = await apply(d, { kind: 'progress', accountId: A, path: 'INBOX', synced: 5, total: 10, done: false });
    expect(r.progress).toHaveLength(1);
    expect(await dump(d)).toBe(JSON.stringify({ folders: [], messages: [], bodies: [], cursors: [] }));
  });

  it('skipAccounts: drops the deltas of accounts being removed', async () => {
    const d = db();
    const r = await applyBatch(d, [upsert(A, 'INBOX', [header(A, 'INBOX', 1)]), cursor(A, 'INBOX', 2)], {
      skipAccounts: new Set([A]),
    });
    expect(r).toMatchObject({ applied: 0, dropped: 2 });
    expect(await d.folders.count()).toBe(0);
  });
});

describe('uidValidity', () => {
  it('drops deltas from before a reset', async () => {
    const d = db();
    await apply(d, upsert(A, 'INBOX', [1, 2].map((uid) => header(A, 'INBOX', uid))));
    await apply(d, { kind: 'reset', accountId: A, path: 'INBOX', uidValidity: '2' });
    await apply(d, upsert(A, 'INBOX', [header(A, 'INBOX', 1, { uidValidity: '2', subject: 'new epoch' })], '2'));
    const before = await dump(d);
    const stale: SyncDelta[] = [
      upsert(A, 'INBOX', [header(A, 'INBOX', 5)], '1'),
      { kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', changes: [{ uid: 1, flags: ['\\Seen'], modseq: null }] },
      { kind: 'expunge', accountId: A, path: 'INBOX', uidValidity: '1', uids: [1] },
      { kind: 'uidset', accountId: A, path: 'INBOX', uidValidity: '1', uids: '', uidNext: 100 },
      cursor(A, 'INBOX', 100, '1'),
    ];
    const r = await applyBatch(d, stale);
    expect(r).toMatchObject({ applied: 0, dropped: 5 });
    expect(await dump(d)).toBe(before);
    expect(await message(d, [A, 'INBOX', 1])).toMatchObject({ subject: 'new epoch', uidValidity: '2' });
  });

  it('records the uidValidity at first sight of a listed folder', async () => {
    const d = db();
    await apply(d, foldersDelta(A, ['INBOX']));
    await apply(d, upsert(A, 'INBOX', [header(A, 'INBOX', 1, { uidValidity: '42' })], '42'));
    expect(await folder(d, A, 'INBOX')).toMatchObject({ uidValidity: '42', listed: true });
  });
});

describe('folders delta', () => {
  it('deletes vanished folders with their messages, bodies and cursors, keeping the rest', async () => {
    const d = db();
    await apply(d, foldersDelta(A, ['INBOX', 'Old']), foldersDelta(B, ['Old']));
    for (const [acc, path] of [
      [A, 'INBOX'],
      [A, 'Old'],
      [B, 'Old'],
    ] as const) {
      await apply(d, upsert(acc, path, [header(acc, path, 1)]), cursor(acc, path, 2));
      await putBody(d, body(acc, path, 1));
    }
    await apply(d, { kind: 'folders', accountId: A, folders: [folderInfo(A, 'INBOX', { total: 1, unread: 1 }), folderInfo(A, 'New')] });
    expect((await d.folders.toArray()).map((f) => `${f.accountId}:${f.path}`)).toEqual([`${A}:INBOX`, `${A}:New`, `${B}:Old`]);
    expect((await d.messages.toArray()).map((m) => `${m.accountId}:${m.path}`)).toEqual([`${A}:INBOX`, `${B}:Old`]);
    expect((await d.bodies.toArray()).map((m) => `${m.accountId}:${m.path}`)).toEqual([`${A}:INBOX`, `${B}:Old`]);
    expect((await allCursors(d)).map((c) => `${c.accountId}:${c.path}`)).toEqual([`${A}:INBOX`, `${B}:Old`]);
    // A kept folder keeps its uidValidity and cached counts.
    expect(await folder(d, A, 'INBOX')).toMatchObject({ uidValidity: '1', cachedTotal: 1, cachedUnread: 1 });
  });

  it('removes placeholders the list does not name', async () => {
    const d = db();
    await apply(d, upsert(A, 'Ghost', [header(A, 'Ghost', 1)]));
    expect(await folder(d, A, 'Ghost')).toMatchObject({ listed: false });
    await apply(d, foldersDelta(A, ['INBOX']));
    expect(await folder(d, A, 'Ghost')).toBeUndefined();
    expect(await d.messages.count()).toBe(0);
  });

  it('refuses an empty folder list (IMAP always has an INBOX)', async () => {
    const d = db();
    await apply(d, foldersDelta(A, ['INBOX']), upsert(A, 'INBOX', [header(A, 'INBOX', 1)]));
    const r = await apply(d, { kind: 'folders', accountId: A, folders: [] });
    expect(r.dropped).toBe(1);
    expect(await d.messages.count()).toBe(1);
  });
});

describe('counts', () => {
  it('match a recount after random upsert/flags/expunge/uidset/reset sequences', async () => {
    const d = db();
    const rand = rng(7);
    const pick = (n: number) => 1 + Math.floor(rand() * n);
    let uidValidity = 1;
    await apply(d, foldersDelta(A, ['INBOX']));
    for (let round = 0; round < 60; round++) {
      const v = String(uidValidity);
      const deltas: SyncDelta[] = [];
      for (let k = 0; k < 4; k++) {
        const r = rand();
        if (r < 0.4) {
          const msgs = Array.from({ length: pick(8) }, () => header(A, 'INBOX', pick(40), { uidValidity: v, seen: rand() < 0.5 }));
          deltas.push(upsert(A, 'INBOX', msgs, v));
        } else if (r < 0.65) {
          const changes = Array.from({ length: pick(8) }, () => ({ uid: pick(40), flags: rand() < 0.5 ? ['\\Seen'] : [], modseq: null }));
          deltas.push({ kind: 'flags', accountId: A, path: 'INBOX', uidValidity: v, changes });
        } else if (r < 0.8) {
          deltas.push({ kind: 'expunge', accountId: A, path: 'INBOX', uidValidity: v, uids: Array.from({ length: pick(4) }, () => pick(40)) });
        } else if (r < 0.95) {
          const keep = Array.from({ length: 40 }, (_, i) => i + 1).filter(() => rand() < 0.8);
          deltas.push({ kind: 'uidset', accountId: A, path: 'INBOX', uidValidity: v, uids: compact(keep), uidNext: pick(45) });
        } else {
          uidValidity++;
          deltas.push({ kind: 'reset', accountId: A, path: 'INBOX', uidValidity: String(uidValidity) });
          break;
        }
      }
      await applyBatch(d, batch(round, ...deltas));
      await expectCountsMatchRecount(d, A, 'INBOX');
    }
    expect((await folder(d, A, 'INBOX'))!.cachedTotal).toBeGreaterThan(0);
  });

  it('do not double count messages the server count already includes', async () => {
    const d = db();
    const server = new FakeServer(A);
    server.deliver('INBOX', 30, true);
    server.deliver('INBOX', 10, false);
    await apply(d, server.foldersDelta());
    expect(await folder(d, A, 'INBOX')).toMatchObject({ total: 40, unread: 10 });

    // A first sync fills the cache under the server's counts: the shown counts stay put.
    const first = server.syncFrom('INBOX', undefined, 7);
    for (const delta of first.filter((x) => x.kind !== 'folderStatus')) {
      await apply(d, delta);
      expect(await folder(d, A, 'INBOX')).toMatchObject({ total: 40, unread: 10 });
    }
    await expectCountsMatchRecount(d, A, 'INBOX');

    // Then changes move them: new mail, read elsewhere, expunged.
    const c1 = (await allCursors(d))[0]!;
    server.deliver('INBOX', 1, false);
    server.setFlags('INBOX', 35, ['\\Seen']);
    server.expunge('INBOX', 2);
    await applyBatch(d, server.syncFrom('INBOX', c1).filter((x) => x.kind !== 'folderStatus'));
    expect(await folder(d, A, 'INBOX')).toMatchObject({ total: 40, unread: 10 });
    await expectCountsMatchRecount(d, A, 'INBOX');

    // The server announces counts before the messages that explain them arrive.
    const c2 = (await allCursors(d))[0]!;
    server.deliver('INBOX', 2, false);
    server.setFlags('INBOX', 36, ['\\Seen']);
    await apply(d, { kind: 'folderStatus', accountId: A, path: 'INBOX', ...server.counts('INBOX') });
    expect(await folder(d, A, 'INBOX')).toMatchObject({ total: 42, unread: 11 });
    await applyBatch(d, server.syncFrom('INBOX', c2).filter((x) => x.kind !== 'folderStatus'));
    expect(await folder(d, A, 'INBOX')).toMatchObject({ total: 42, unread: 11 });
    await expectCountsMatchRecount(d, A, 'INBOX');
  });

  it('a reset takes the cached messages out of the shown counts; the resync brings them back', async () => {
    const d = db();
    const server = new FakeServer(A);
    server.deliver('INBOX', 5, false);
    server.deliver('INBOX', 5, true);
    await apply(d, server.foldersDelta(), ...server.syncFrom('INBOX', undefined));
    await expectCountsMatchRecount(d, A, 'INBOX');
    server.newUidValidity('INBOX');
    const resync = server.syncFrom('INBOX', (await allCursors(d))[0]);
    expect(resync[0]?.kind).toBe('reset');
    await apply(d, resync[0]!);
    await expectCountsMatchRecount(d, A, 'INBOX');
    await applyBatch(d, resync.slice(1).filter((x) => x.kind !== 'folderStatus'));
    await expectCountsMatchRecount(d, A, 'INBOX');
    expect(await folder(d, A, 'INBOX')).toMatchObject({ total: 10, unread: 5, uidValidity: '2' });
  });
});

/** A stream touching every kind of delta, as an engine would send it. */
function stream(): SyncBatch[] {
  const server = new FakeServer(A);
  const batches: SyncBatch[] = [];
  const cursors = new Map<string, FolderCursor>();
  let seq = 0;
  const sync = (path: string) => {
    const deltas = server.syncFrom(path, cursors.get(path), 4);
    for (const x of deltas) if (x.kind === 'cursor') cursors.set(path, x.cursor);
    batches.push({ seq: seq++, deltas });
  };
  server.deliver('INBOX', 9);
  server.deliver('Archive', 5, true);
  batches.push({ seq: seq++, deltas: [server.foldersDelta()] });
  sync('INBOX');
  sync('Archive');
  server.setFlags('INBOX', 3, ['\\Seen']);
  server.expunge('INBOX', 4);
  server.deliver('INBOX', 3);
  sync('INBOX');
  server.newUidValidity('Archive');
  server.expunge('Archive', 1);
  sync('Archive');
  server.setFlags('INBOX', 1, ['\\Flagged']);
  server.deliver('INBOX', 2, true);
  sync('INBOX');
  batches.push({ seq: seq++, deltas: [server.foldersDelta()] });
  return batches;
}

describe('idempotence', () => {
  it('applying every batch twice gives the same database as once', async () => {
    const once = db();
    const twice = db();
    for (const b of stream()) {
      await applyBatch(once, b);
      await applyBatch(twice, b);
      await applyBatch(twice, b);
      expect(await dump(twice)).toBe(await dump(once));
    }
    expect(await once.messages.count()).toBeGreaterThan(10);
  });

  it('applying the whole stream again gives the same database', async () => {
    const d = db();
    const all = stream();
    for (const b of all) await applyBatch(d, b);
    const first = await dump(d);
    for (const b of all) await applyBatch(d, b);
    expect(await dump(d)).toBe(first);
  });

  it('a replay from an older cursor converges to the same database', async () => {
    const server = new FakeServer(A);
    server.deliver('INBOX', 20);
    const live = db();
    const lagging = db();
    const syncInto = async (d: PetrelDb) => {
      const c = (await allCursors(d)).find((x) => x.path === 'INBOX');
      await applyBatch(d, [server.foldersDelta(), ...server.syncFrom('INBOX', c, 6)]);
    };
    await syncInto(live);
    await syncInto(lagging);
    const old = (await allCursors(lagging))[0]!;

    for (let round = 0; round < 5; round++) {
      server.deliver('INBOX', 3, round % 2 === 0);
      server.setFlags('INBOX', 2 + round, ['\\Seen', '$Round' + round]);
      server.expunge('INBOX', 10 + round);
      await syncInto(live);
    }
    // The lagging copy resumes from its old cursor, twice (a reconnect during the replay).
    await applyBatch(lagging, server.syncFrom('INBOX', old, 6));
    await applyBatch(lagging, server.syncFrom('INBOX', old, 6));
    expect(await dump(lagging)).toBe(await dump(live));
    await expectCountsMatchRecount(live, A, 'INBOX');
  });
});

describe('scale', () => {
  it('applies a 20k-message batch', { timeout: 120_000 }, async () => {
    const d = db();
    const server = new FakeServer(A);
    server.deliver('INBOX', 15_000, true);
    server.deliver('INBOX', 5_000, false);
    const deltas = [server.foldersDelta(), ...server.syncFrom('INBOX', undefined, 5_000)];
    const r = await applyBatch(d, batch(1, ...deltas));
    expect(r.dropped).toBe(0);
    expect(await countCached(d, A, 'INBOX')).toBe(20_000);
    expect(await folder(d, A, 'INBOX')).toMatchObject({ total: 20_000, unread: 5_000, cachedTotal: 20_000, cachedUnread: 5_000 });
    expect((await allCursors(d))[0]?.uidNext).toBe(20_001);
  });
});

describe('malformed input', () => {
  it('skips messages with an unusable uid instead of failing the batch', async () => {
    const d = db();
    const r = await apply(
      d,
      upsert(A, 'INBOX', [header(A, 'INBOX', 1), { ...header(A, 'INBOX', 2), uid: NaN }]),
      { kind: 'flags', accountId: A, path: 'INBOX', uidValidity: '1', changes: [{ uid: NaN, flags: [], modseq: null }] },
      { kind: 'expunge', accountId: A, path: 'INBOX', uidValidity: '1', uids: [NaN, 0] },
      cursor(A, 'INBOX', 2),
    );
    expect(r).toMatchObject({ applied: 4, dropped: 0 });
    expect(await countCached(d, A, 'INBOX')).toBe(1);
    expect(await allCursors(d)).toHaveLength(1);
  });
});

describe('the afterDeltas hook', () => {
  it('runs last in the batch transaction with the folders it named; its failure rolls the batch back', async () => {
    const d = db();
    await apply(d, foldersDelta(A, ['INBOX', 'Work']));
    const named: string[][] = [];
    await applyBatch(d, [upsert(A, 'INBOX', [header(A, 'INBOX', 1)]), cursor(A, 'Work', 1)], {
      afterDeltas: {
        tables: (x) => [x.ops],
        run: async (x, folders) => {
          named.push([...folders].map((f) => f.replace('\u0000', '/')));
          // Inside the transaction: the batch's writes are visible.
          expect(await x.messages.count()).toBe(1);
        },
      },
    });
    expect(named).toEqual([[`${A}/INBOX`, `${A}/Work`]]);
    await expect(
      applyBatch(d, [upsert(A, 'INBOX', [header(A, 'INBOX', 2)])], {
        afterDeltas: {
          tables: (x) => [x.ops],
          run: async () => {
            throw new Error('hook failed');
          },
        },
      }),
    ).rejects.toThrow('hook failed');
    expect(await message(d, [A, 'INBOX', 2])).toBeUndefined();
  });
});

const T0 = 1_700_000_000_000;

describe('the folder change log (FolderRecord.recent, deep)', () => {
  type Entry = { date: number; uid: number };
  const listOf = (live: Map<number, number>): Entry[] =>
    [...live].map(([uid, date]) => ({ uid, date })).sort((a, b) => b.date - a.date || b.uid - a.uid);
  const emptyRow = (): FolderRecord => ({ ...folderInfo(A, 'INBOX'), cachedTotal: 0, cachedUnread: 0, uidValidity: '1', listed: true, total: 0, unread: 0 });
  /** Anchors at every entry, read now. */
  const snapshot = (live: Map<number, number>, row: FolderRecord): AnchorEntry[] => listOf(live).map((e) => ({ ...e, changes: row.changes ?? 0 }));
  /** One transaction of changes through Counts, stored and read back as IndexedDB would. */
  const transaction = (row: FolderRecord, change: (c: Counts) => void): FolderRecord => {
    const counts = new Counts(row);
    change(counts);
    return JSON.parse(JSON.stringify(counts.into({ ...row }))) as FolderRecord;
  };

  it('places every anchor read between any two transactions where its message is now, or not at all', () => {
    let placedAfterChanges = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const rand = rng(seed);
      const pick = (n: number) => Math.floor(rand() * n);
      let row = emptyRow();
      const live = new Map<number, number>();
      let uid = 1;
      let oldest = T0;
      const snapshots: AnchorEntry[][] = [];
      for (let t = 0; t < 120; t++) {
        const r = rand();
        row = transaction(row, (c) => {
          const add = (date: number) => {
            live.set(uid, date);
            c.add(1, { date, uid: uid++ });
          };
          if (r < 0.25) {
            // A first sync's next batch: older than everything stored.
            for (let n = pick(3 * RECENT_MAX); n >= 0; n--) add((oldest -= 1000 * (1 + pick(2))));
          } else if (r < 0.45) {
            for (let n = pick(RECENT_MAX / 2); n >= 0; n--) add(T0 + pick(500) * 1000);
          } else if (r < 0.6) {
            for (let n = pick(5); n >= 0; n--) add(oldest + pick(2000) * 1000);
          } else if (r < 0.75 && live.size > 0) {
            for (const e of listOf(live).filter(() => rand() < 0.05)) {
              live.delete(e.uid);
              c.remove(1, e);
            }
          } else if (r < 0.9 && live.size > 0) {
            const uids = [...live.keys()];
            for (let n = pick(4); n >= 0; n--) {
              const u = uids[pick(uids.length)]!;
              const to = { uid: u, date: oldest + pick(3000) * 1000 };
              c.moved({ uid: u, date: live.get(u)! }, to);
              live.set(u, to.date);
            }
          } else if (r < 0.93) {
            c.removeAll();
            live.clear();
          }
        });
        // Anchors every 7th entry; the last few reads.
        if (rand() < 0.5) snapshots.push(snapshot(live, row).filter((_, i) => i % 7 === 0));
        if (snapshots.length > 8) snapshots.shift();
        const where = new Map(listOf(live).map((e, i) => [`${e.date}:${e.uid}`, i]));
        for (const snap of snapshots) {
          const placed = placeAnchors(snap, 7, row);
          for (const a of placed?.anchors ?? []) {
            expect(where.get(`${a.date}:${a.uid}`), `seed ${seed}, transaction ${t}`).toBe(a.position);
            if (snap[0]!.changes !== (row.changes ?? 0)) placedAfterChanges++;
          }
        }
      }
    }
    expect(placedAfterChanges).toBeGreaterThan(2000);
  });

  it('never misplaces an anchor once the deep log has merged its oldest points', () => {
    let row = emptyRow();
    const live = new Map<number, number>();
    let uid = 1;
    let oldest = T0;
    const change = (n: number, date: () => number) =>
      (row = transaction(row, (c) => {
        for (let i = 0; i < n; i++) {
          const e = { uid: uid++, date: date() };
          live.set(e.uid, e.date);
          c.add(1, e);
        }
      }));
    // Anchors read after a first batch; one new message on top (it stays in the log for now);
    // then more batches of older mail than the deep log keeps points for: the new message leaves
    // the log with the first of them, and the points must keep saying it is above the anchors.
    change(100, () => (oldest -= 1000));
    const early = snapshot(live, row).filter((_, i) => i % 5 === 0);
    change(1, () => T0 + 1e6);
    for (let b = 0; b < 60; b++) {
      change(100, () => (oldest -= 1000));
      const where = new Map(listOf(live).map((e, i) => [`${e.date}:${e.uid}`, i]));
      for (const a of placeAnchors(early, 5, row)?.anchors ?? []) expect(where.get(`${a.date}:${a.uid}`), `batch ${b}`).toBe(a.position);
    }
    expect(row.deep!.steps.length / 3).toBeGreaterThanOrEqual(16);
  });

  it('keeps anchors placed through a first sync of many batches, and drops them after more new mail than it keeps', () => {
    let row = emptyRow();
    const live = new Map<number, number>();
    let uid = 1;
    const batch = (n: number, date: (i: number) => number) =>
      (row = transaction(row, (c) => {
        for (let i = 0; i < n; i++) {
          const e = { uid: uid++, date: date(i) };
          live.set(e.uid, e.date);
          c.add(1, e);
        }
      }));
    batch(500, (i) => T0 - i * 1000);
    const early = snapshot(live, row);
    // Fewer batches than the deep log keeps points for (older anchors may stop being placed).
    for (let b = 1; b <= 25; b++) batch(500, (i) => T0 - (b * 500 + i) * 1000);
    const placed = placeAnchors(early, 1, row)!;
    expect(placed.all).toBe(true);
    expect(placed.anchors.map((a) => a.position)).toEqual(early.map((_, i) => i));
    // New mail on top: placed one further down, while the log holds it...
    batch(3, (i) => T0 + (i + 1) * 1000);
    expect(placeAnchors(early, 1, row)!.anchors[0]!.position).toBe(3);
    // ...and not at all once it does not.
    batch(RECENT_MAX, (i) => T0 + (i + 10) * 1000);
    expect(placeAnchors(early, 1, row)).toBeNull();
    // A reset: nothing read before it is placed.
    const late = snapshot(live, row);
    row = transaction(row, (c) => c.removeAll());
    expect(placeAnchors(late, 1, row)).toBeNull();
  });
});
