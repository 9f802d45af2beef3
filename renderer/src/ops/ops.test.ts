import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccountStatus, Operation, OperationResult, SyncDelta } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { applyBatch } from '../db/apply-deltas';
import { putBody } from '../db/bodies';
import { folder, message, messageBody } from '../db/queries';
import type { PetrelDb } from '../db/schema';
import { A, B, cursor, folderInfo, header, newDb, recount, upsert } from '../db/test-fixtures';
import { pendingOpsOverlay } from './local';
import { OpsRunner, type OpsConnection } from './runner';

const dbs: PetrelDb[] = [];
const runners: OpsRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) r.stop();
  for (const d of dbs.splice(0)) await d.delete();
});

const SPECIAL: Record<string, 'inbox' | 'trash' | 'archive' | 'junk'> = { INBOX: 'inbox', Trash: 'trash', Archive: 'archive', Junk: 'junk' };

/** An account with INBOX (uids 1-6: 1-3 unread, 4-6 read, 5 starred), Work, Trash, Archive, Junk. */
async function setup(accountId = A, withSpecial = true): Promise<PetrelDb> {
  const db = newDb();
  dbs.push(db);
  const paths = withSpecial ? ['INBOX', 'Work', 'Trash', 'Archive', 'Junk'] : ['INBOX', 'Work'];
  await seed(db, accountId, paths);
  return db;
}

async function seed(db: PetrelDb, accountId: string, paths: string[]): Promise<void> {
  const deltas: SyncDelta[] = [
    { kind: 'folders', accountId, folders: paths.map((p) => ({ ...folderInfo(accountId, p), specialUse: SPECIAL[p] ?? null })) },
    upsert(accountId, 'INBOX', [1, 2, 3, 4, 5, 6].map((uid) => header(accountId, 'INBOX', uid, { seen: uid > 3, flagged: uid === 5, modseq: '10' }))),
    cursor(accountId, 'INBOX', 7, '1', '10'),
  ];
  await applyBatch(db, deltas);
  await putBody(db, { accountId, path: 'INBOX', uid: 2, uidValidity: '1', html: null, text: 'Body 2', attachments: [] });
}

async function expectCounts(db: PetrelDb, accountId: string, path: string, expected?: { total: number; unread: number }) {
  const f = await folder(db, accountId, path);
  const real = await recount(db, accountId, path);
  expect({ total: f?.cachedTotal, unread: f?.cachedUnread }).toEqual(real);
  expect({ total: f?.total, unread: f?.unread }).toEqual(real);
  if (expected) expect(real).toEqual(expected);
}

class FakeConn implements OpsConnection {
  state = { status: 'connected' };
  readonly calls: Operation[] = [];
  private readonly stateListeners = new Set<(s: { status: string }) => void>();
  private statusHandler: ((d: { statuses: AccountStatus[] }) => void) | undefined;
  handler: (op: Operation) => Promise<OperationResult> = async (op) => ({
    opId: op.opId,
    to: null,
    toUidValidity: null,
    uidMap: [],
    removed: false,
    replayed: false,
  });

  onState(listener: (s: { status: string }) => void) {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  setStatus(status: string) {
    this.state = { status };
    for (const l of this.stateListeners) l(this.state);
  }

  accounts(statuses: AccountStatus[]) {
    this.statusHandler?.({ statuses });
  }

  async call(_method: 'ops.run', params: { op: Operation }) {
    this.calls.push(params.op);
    return { result: await this.handler(params.op) };
  }

  subscribe(_event: 'accounts.status', _params: Record<string, never>, handlers: { next: (d: { statuses: AccountStatus[] }) => void }) {
    this.statusHandler = handlers.next;
    return () => {
      this.statusHandler = undefined;
    };
  }
}

function runner(db: PetrelDb, conn: OpsConnection, options: ConstructorParameters<typeof OpsRunner>[2] = {}): OpsRunner {
  let n = 0;
  const r = new OpsRunner(db, conn, { newId: () => `op-test-${++n}-abcdef`, retryBaseMs: 60_000, onError: () => undefined, ...options });
  runners.push(r);
  return r;
}

const inbox = { accountId: A, path: 'INBOX', uidValidity: '1' };

describe('the local phase', () => {
  it('flags: changes flags, seen/flagged and the counts at once, and stores the operation', async () => {
    const db = await setup();
    const conn = new FakeConn();
    conn.setStatus('disconnected');
    const ops = runner(db, conn);
    await ops.run({ kind: 'flags', ...inbox, uids: [1, 2, 4], add: ['\\Seen', '\\Flagged'] });
    expect(await message(db, [A, 'INBOX', 1])).toMatchObject({ seen: 1, flagged: 1, flags: ['\\Seen', '\\Flagged'] });
    expect(await message(db, [A, 'INBOX', 4])).toMatchObject({ seen: 1, flagged: 1, flags: ['\\Seen', '\\Flagged'] });
    await expectCounts(db, A, 'INBOX', { total: 6, unread: 1 });
    const [stored] = await db.ops.toArray();
    expect(stored).toMatchObject({ state: 'pending', attempts: 0, accountId: A });
    expect(stored!.undo.flags.map((u) => u.uid).sort()).toEqual([1, 2, 4]);
    expect(conn.calls).toEqual([]);
  });

  it('move, delete, archive, spam: remove the messages and their bodies from the source; copy changes nothing', async () => {
    const db = await setup();
    const conn = new FakeConn();
    conn.setStatus('disconnected');
    const ops = runner(db, conn);
    await ops.run({ kind: 'copy', ...inbox, uids: [1], to: 'Work' });
    await expectCounts(db, A, 'INBOX', { total: 6, unread: 3 });
    await ops.run({ kind: 'move', ...inbox, uids: [2], to: 'Work' });
    expect(await message(db, [A, 'INBOX', 2])).toBeUndefined();
    expect(await messageBody(db, [A, 'INBOX', 2])).toBeUndefined();
    await expectCounts(db, A, 'INBOX', { total: 5, unread: 2 });
    await ops.run({ kind: 'delete', ...inbox, uids: [3, 4] });
    await ops.run({ kind: 'archive', ...inbox, uids: [5] });
    await ops.run({ kind: 'spam', ...inbox, uids: [6] });
    await expectCounts(db, A, 'INBOX', { total: 1, unread: 1 });
    expect((await db.ops.toArray()).map((o) => o.op.kind)).toEqual(['copy', 'move', 'delete', 'archive', 'spam']);
  });

  it('in the special folders themselves: delete removes (for good), archive does nothing, spam only flags', async () => {
    const db = await setup();
    await applyBatch(db, [upsert(A, 'Junk', [header(A, 'Junk', 1)]), upsert(A, 'Archive', [header(A, 'Archive', 1)])]);
    const conn = new FakeConn();
    conn.setStatus('disconnected');
    const ops = runner(db, conn);
    await ops.run({ kind: 'spam', accountId: A, path: 'Junk', uidValidity: '1', uids: [1] });
    expect((await message(db, [A, 'Junk', 1]))?.flags).toEqual(['$Junk']);
    await ops.run({ kind: 'archive', accountId: A, path: 'Archive', uidValidity: '1', uids: [1] });
    expect(await message(db, [A, 'Archive', 1])).toBeDefined();
  });

  it('refuses at once, storing nothing, when the account lacks the special folder or destination', async () => {
    const db = await setup(A, false);
    const ops = runner(db, new FakeConn());
    for (const kind of ['delete', 'archive', 'spam'] as const) {
      await expect(ops.run({ kind, ...inbox, uids: [1] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    await expect(ops.run({ kind: 'move', ...inbox, uids: [1], to: 'Nowhere' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await db.ops.count()).toBe(0);
    await expectCounts(db, A, 'INBOX', { total: 6, unread: 3 });
  });

  it('ignores UIDs of another UIDVALIDITY', async () => {
    const db = await setup();
    const conn = new FakeConn();
    conn.setStatus('disconnected');
    await runner(db, conn).run({ kind: 'delete', ...inbox, uidValidity: '2', uids: [1] });
    expect(await message(db, [A, 'INBOX', 1])).toBeDefined();
  });
});

describe('sync deltas under pending operations (the overlay)', () => {
  const staleFlags = (uids: number[], flags: string[]): SyncDelta => ({
    kind: 'flags',
    ...inbox,
    changes: uids.map((uid) => ({ uid, flags, modseq: '11' })),
  });

  it('a delta from before the operation reached the server does not undo it, and counts stay exact', async () => {
    const db = await setup();
    const conn = new FakeConn();
    conn.setStatus('disconnected');
    const ops = runner(db, conn);
    await ops.run({ kind: 'flags', ...inbox, uids: [1], add: ['\\Seen'] });
    await ops.run({ kind: 'flags', ...inbox, uids: [5], remove: ['\\Flagged'] });
    await ops.run({ kind: 'move', ...inbox, uids: [2], to: 'Work' });
    // The server, not having the operations yet: 1 unread (and another flag added), 5 starred, 2 there.
    const stale: SyncDelta[] = [
      staleFlags([1], ['$Label1']),
      staleFlags([5], ['\\Seen', '\\Flagged']),
      upsert(A, 'INBOX', [header(A, 'INBOX', 2, { modseq: '11' })]),
      { kind: 'folderStatus', accountId: A, path: 'INBOX', total: 6, unread: 3 },
    ];
    await applyBatch(db, stale, { afterDeltas: pendingOpsOverlay });
    expect(await message(db, [A, 'INBOX', 1])).toMatchObject({ seen: 1, flags: ['$Label1', '\\Seen'] });
    expect(await message(db, [A, 'INBOX', 5])).toMatchObject({ flagged: 0, flags: ['\\Seen'] });
    expect(await message(db, [A, 'INBOX', 2])).toBeUndefined();
    const f = await folder(db, A, 'INBOX');
    expect({ total: f?.cachedTotal, unread: f?.cachedUnread }).toEqual(await recount(db, A, 'INBOX'));
    // Applying the same batch again changes nothing (idempotent).
    const before = JSON.stringify(await db.messages.toArray());
    await applyBatch(db, stale, { afterDeltas: pendingOpsOverlay });
    expect(JSON.stringify(await db.messages.toArray())).toBe(before);
  });

  it('holds only while unconfirmed: failed operations and other folders are left alone', async () => {
    const db = await setup();
    await seed(db, B, ['INBOX']);
    const conn = new FakeConn();
    conn.setStatus('disconnected');
    const ops = runner(db, conn);
    await ops.run({ kind: 'flags', ...inbox, uids: [1], add: ['\\Seen'] });
    await db.ops.toCollection().modify({ state: 'failed' });
    await applyBatch(db, [staleFlags([1], [])], { afterDeltas: pendingOpsOverlay });
    expect((await message(db, [A, 'INBOX', 1]))?.seen).toBe(0);
    const spy = vi.spyOn(db.ops, 'toArray');
    // A batch that names no folder of a pending operation does not even read them.
    await applyBatch(db, [{ kind: 'folderStatus', accountId: B, path: 'INBOX', total: 6, unread: 3 }], { afterDeltas: pendingOpsOverlay });
    await applyBatch(db, [{ kind: 'folders', accountId: B, folders: [folderInfo(B, 'INBOX')] }], { afterDeltas: pendingOpsOverlay });
    expect(spy).toHaveBeenCalledTimes(1);
  });
});

describe('the remote phase', () => {
  it('sends the operation and deletes it once confirmed, after the received batches are applied', async () => {
    const db = await setup();
    const conn = new FakeConn();
    const order: string[] = [];
    conn.handler = async (op) => {
      order.push(`call ${op.kind}`);
      return { opId: op.opId, to: null, toUidValidity: null, uidMap: [], removed: false, replayed: false };
    };
    const ops = runner(db, conn, {
      settled: async () => {
        order.push(`settled (ops: ${await db.ops.count()})`);
      },
    }).start();
    const r = await ops.run({ kind: 'flags', ...inbox, uids: [1], add: ['\\Seen'] });
    await ops.idle();
    expect(conn.calls).toEqual([r.op]);
    expect(order).toEqual(['call flags', 'settled (ops: 1)']);
    expect(await db.ops.count()).toBe(0);
    expect((await message(db, [A, 'INBOX', 1]))?.seen).toBe(1);
  });

  it('keeps retryable failures pending, in order per account, and retries on reconnect and when the account is online', async () => {
    const db = await setup();
    await seed(db, B, ['INBOX']);
    const conn = new FakeConn();
    let offline = true;
    conn.handler = async (op) => {
      if (op.accountId === A && offline) throw new PetrelError('DISCONNECTED', 'The account is not connected right now.');
      return { opId: op.opId, to: null, toUidValidity: null, uidMap: [], removed: false, replayed: false };
    };
    const ops = runner(db, conn).start();
    await ops.run({ kind: 'flags', ...inbox, uids: [1], add: ['\\Seen'] });
    await ops.run({ kind: 'flags', ...inbox, uids: [2], add: ['\\Flagged'] });
    await ops.run({ kind: 'flags', accountId: B, path: 'INBOX', uidValidity: '1', uids: [1], add: ['\\Seen'] });
    await ops.idle();
    // A's first operation failed; its second waits behind it; B's went through.
    expect(conn.calls.map((o) => `${o.accountId}:${o.uids[0]}`)).toContain(`${B}:1`);
    const left = await db.ops.orderBy('seq').toArray();
    expect(left.map((o) => [o.accountId, o.state, o.op.uids[0]])).toEqual([
      [A, 'pending', 1],
      [A, 'pending', 2],
    ]);
    expect(left[0]!.error?.code).toBe('DISCONNECTED');
    expect(conn.calls.filter((o) => o.accountId === A && o.uids[0] === 2)).toEqual([]);
    // Still the local state: nothing reverted.
    expect((await message(db, [A, 'INBOX', 1]))?.seen).toBe(1);

    // The engine connection drops and comes back: tried again (still offline).
    conn.setStatus('disconnected');
    const calls = conn.calls.length;
    conn.setStatus('connected');
    await ops.idle();
    expect(conn.calls.length).toBe(calls + 1);
    // The account comes online: both go, in order.
    offline = false;
    conn.accounts([{ accountId: A, state: 'online' }]);
    await ops.idle();
    expect(conn.calls.slice(-2).map((o) => o.uids[0])).toEqual([1, 2]);
    expect(await db.ops.count()).toBe(0);
  });

  it('reverts and keeps a refused operation as failed until dismissed; later ones still run', async () => {
    const db = await setup();
    const conn = new FakeConn();
    conn.handler = async (op) => {
      if (op.kind === 'move') throw new PetrelError('SERVER_ERROR', 'The mail server refused to move the messages.');
      return { opId: op.opId, to: null, toUidValidity: null, uidMap: [], removed: false, replayed: false };
    };
    conn.setStatus('disconnected');
    const ops = runner(db, conn).start();
    await ops.run({ kind: 'move', ...inbox, uids: [1, 2], to: 'Work' });
    await ops.run({ kind: 'flags', ...inbox, uids: [5], remove: ['\\Flagged'] });
    await expectCounts(db, A, 'INBOX', { total: 4, unread: 1 });
    conn.setStatus('connected');
    await ops.idle();
    expect(await message(db, [A, 'INBOX', 1])).toBeDefined();
    expect(await message(db, [A, 'INBOX', 2])).toBeDefined();
    await expectCounts(db, A, 'INBOX', { total: 6, unread: 3 });
    expect((await message(db, [A, 'INBOX', 5]))?.flagged).toBe(0);
    const [failed] = await db.ops.toArray();
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'SERVER_ERROR' } });
    await ops.dismiss(failed!.opId);
    expect(await db.ops.count()).toBe(0);
  });

  it('reverts only what the operation changed', async () => {
    const db = await setup();
    const conn = new FakeConn();
    conn.handler = async () => {
      throw new PetrelError('SERVER_ERROR', 'This folder does not accept the flag $X.');
    };
    conn.setStatus('disconnected');
    const ops = runner(db, conn).start();
    // 4 has \Seen already; 1 does not.
    await ops.run({ kind: 'flags', ...inbox, uids: [1, 4], add: ['\\Seen', '$X'] });
    // Meanwhile another program stars 1.
    await applyBatch(db, [{ kind: 'flags', ...inbox, changes: [{ uid: 1, flags: ['\\Flagged'], modseq: '12' }] }], {
      afterDeltas: pendingOpsOverlay,
    });
    conn.setStatus('connected');
    await ops.idle();
    expect((await message(db, [A, 'INBOX', 1]))?.flags).toEqual(['\\Flagged']);
    expect((await message(db, [A, 'INBOX', 4]))?.flags).toEqual(['\\Seen']);
    await expectCounts(db, A, 'INBOX', { total: 6, unread: 3 });
  });

  it('drops a CONFLICT, reverting it, and asks for a resync', async () => {
    const db = await setup();
    const conn = new FakeConn();
    conn.handler = async () => {
      throw new PetrelError('CONFLICT', 'The folder changed on the server.');
    };
    const onConflict = vi.fn();
    const ops = runner(db, conn, { onConflict }).start();
    await ops.run({ kind: 'delete', ...inbox, uids: [3] });
    await ops.idle();
    expect(await message(db, [A, 'INBOX', 3])).toBeDefined();
    expect(await db.ops.count()).toBe(0);
    expect(onConflict).toHaveBeenCalledTimes(1);
  });

  it('sends an operation whose answer was lost again at the next start, with the same opId', async () => {
    const db = await setup();
    const conn = new FakeConn();
    conn.setStatus('disconnected');
    const first = runner(db, conn);
    const r = await first.run({ kind: 'flags', ...inbox, uids: [1], add: ['\\Seen'] });
    await db.ops.toCollection().modify({ state: 'running', attempts: 1 });
    first.stop();
    conn.setStatus('connected');
    const second = runner(db, conn).start();
    await new Promise((res) => setTimeout(res, 20));
    await second.idle();
    expect(conn.calls.map((o) => o.opId)).toEqual([r.opId]);
    expect(await db.ops.count()).toBe(0);
  });
});
