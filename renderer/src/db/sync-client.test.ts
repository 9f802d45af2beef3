import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { contract, type FolderCursor, type PetrelContract, type SyncBatch } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import type { Connection } from '../../../shared/ipc/connection';
import { applyBatch } from './apply-deltas';
import { allCursors, folder, message } from './queries';
import type { PetrelDb } from './schema';
import { SyncClient, startSync, type SyncConnection, type SyncConnectionState, type SyncHandlers } from './sync-client';
import { A, B, batch, cursor, foldersDelta, header, newDb, upsert } from './test-fixtures';

// Log when each batch starts and ends applying, to see that they never overlap.
const log = vi.hoisted(() => [] as string[]);
vi.mock('./apply-deltas', async (importOriginal) => {
  const real = await importOriginal<typeof import('./apply-deltas')>();
  return {
    ...real,
    applyBatch: async (...args: Parameters<typeof real.applyBatch>) => {
      const [, b] = args;
      const seq = Array.isArray(b) ? -1 : (b as SyncBatch).seq;
      log.push(`start ${seq}`);
      try {
        return await real.applyBatch(...args);
      } finally {
        log.push(`end ${seq}`);
      }
    },
  };
});

class FakeConnection implements SyncConnection {
  state: SyncConnectionState = { status: 'connecting' };
  readonly resumes: FolderCursor[][] = [];
  readonly subs = new Set<SyncHandlers>();
  subscribeCount = 0;
  resumeImpl: () => Promise<unknown> = async () => ({});
  private readonly listeners = new Set<(s: SyncConnectionState) => void>();

  onState(listener: (s: SyncConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setStatus(status: string): void {
    this.state = { status };
    for (const l of this.listeners) l(this.state);
  }

  readonly applied: number[] = [];

  call(method: 'sync.resume', params: { cursors: FolderCursor[] }): Promise<unknown>;
  call(method: 'sync.applied', params: { seq: number }): Promise<unknown>;
  call(method: 'sync.resume' | 'sync.applied', params: { cursors: FolderCursor[] } | { seq: number }): Promise<unknown> {
    if (method === 'sync.applied') {
      this.applied.push((params as { seq: number }).seq);
      return Promise.resolve({});
    }
    this.resumes.push((params as { cursors: FolderCursor[] }).cursors);
    return this.resumeImpl();
  }

  subscribe(_event: 'sync.deltas', _params: Record<string, never>, handlers: SyncHandlers): () => void {
    this.subscribeCount++;
    this.subs.add(handlers);
    return () => this.subs.delete(handlers);
  }

  push(b: SyncBatch): void {
    for (const h of this.subs) h.next(b);
  }

  end(error: PetrelError): void {
    for (const h of [...this.subs]) h.error?.(error);
  }
}

const dbs: PetrelDb[] = [];
const clients: SyncClient[] = [];
function db(): PetrelDb {
  const d = newDb();
  dbs.push(d);
  return d;
}
function start(d: PetrelDb, conn: SyncConnection, options = {}): SyncClient {
  const c = startSync(d, conn, { onError: () => undefined, retryBaseMs: 5, retryMaxMs: 20, ...options });
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.stop();
  for (const d of dbs.splice(0)) await d.delete();
  log.length = 0;
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('SyncClient', () => {
  it('accepts the engine Connection', () => {
    const accept = (c: Connection<PetrelContract>): SyncConnection => c;
    expect(accept).toBeTypeOf('function');
  });

  it('applies batches strictly in order, one at a time, even when they arrive faster', async () => {
    const d = db();
    const conn = new FakeConnection();
    const client = start(d, conn);
    conn.setStatus('connected');
    await client.idle();

    conn.push(batch(1, foldersDelta(A, ['INBOX'])));
    // 40 batches at once, each rewriting message 1 and the cursor: only in-order application
    // leaves the last one's values.
    for (let seq = 2; seq <= 41; seq++) {
      conn.push(
        batch(
          seq,
          upsert(A, 'INBOX', [{ ...header(A, 'INBOX', 1), subject: `v${seq}`, flags: seq % 2 ? ['\\Seen'] : [] }]),
          cursor(A, 'INBOX', seq),
          { kind: 'progress', accountId: A, path: 'INBOX', synced: seq, total: 41, done: seq === 41 },
        ),
      );
    }
    expect(client.getState().pending).toBeGreaterThan(30);
    await client.idle();

    // Never overlapping, in order; batches that queued up share a transaction (named by its last seq).
    const seqs: number[] = [];
    for (let i = 0; i < log.length; i += 2) {
      const started = log[i]!.replace('start ', '');
      expect(log[i + 1]).toBe(`end ${started}`);
      seqs.push(Number(started));
    }
    expect(seqs[0]).toBe(1);
    expect(seqs.at(-1)).toBe(41);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.length).toBeLessThan(41);
    expect(await message(d, [A, 'INBOX', 1])).toMatchObject({ subject: 'v41', seen: 1 });
    // The engine hears of each transaction once it is stored, by its last batch.
    expect(conn.applied).toEqual(seqs);
    expect((await allCursors(d))[0]?.uidNext).toBe(41);
    expect(await folder(d, A, 'INBOX')).toMatchObject({ total: 1, unread: 0 });
    expect(client.getState()).toMatchObject({
      pending: 0,
      lastError: null,
      progress: [{ accountId: A, path: 'INBOX', synced: 41, total: 41, done: true }],
    });
  });

  it('applies queued batches together only within limits: same session, same cursor decision, bounded size', async () => {
    const d = db();
    const conn = new FakeConnection();
    const client = start(d, conn);
    conn.setStatus('connected');
    await client.idle();
    conn.push(batch(1, foldersDelta(A, ['INBOX'])));
    // 2,500 messages per batch: two fit in one transaction, a third does not.
    const many = (seq: number) =>
      batch(seq, upsert(A, 'INBOX', Array.from({ length: 2500 }, (_, i) => header(A, 'INBOX', (seq - 2) * 2500 + i + 1))), cursor(A, 'INBOX', seq * 2500));
    for (let seq = 2; seq <= 4; seq++) conn.push(many(seq));
    // A gap: the batches after it store no cursor, so they never share a transaction with those before.
    conn.push(batch(6, upsert(A, 'INBOX', [header(A, 'INBOX', 20_000)]), cursor(A, 'INBOX', 20_001)));
    await client.idle();
    expect(log).toEqual(['start 1', 'end 1', 'start 3', 'end 3', 'start 4', 'end 4', 'start 6', 'end 6']);
    expect(await d.messages.count()).toBe(7501);
    expect(await folder(d, A, 'INBOX')).toMatchObject({ cachedTotal: 7501 });
    // The cursor of the last batch before the gap is stored, the one after it is not.
    expect((await allCursors(d))[0]?.uidNext).toBe(10_000);
  });

  it('hands back the partial cursor of an initial sync under way, as the contract carries it', async () => {
    const d = db();
    const partial = { accountId: A, path: 'INBOX', uidValidity: '1', highestModseq: '9', uidNext: 500, partialBelow: 300 };
    await applyBatch(d, [upsert(A, 'INBOX', [header(A, 'INBOX', 300), header(A, 'INBOX', 499)]), { kind: 'cursor', cursor: partial }]);
    const conn = new FakeConnection();
    start(d, conn);
    conn.setStatus('connected');
    await until(() => conn.resumes.length === 1);
    expect(conn.resumes[0]).toEqual([partial]);
    // What goes over the wire keeps it (the engine continues from it instead of starting over).
    expect(contract.methods['sync.resume'].params.parse({ cursors: conn.resumes[0] })).toEqual({ cursors: [partial] });
  });

  it('calls sync.resume with the stored cursors on every transition to connected', async () => {
    const d = db();
    await applyBatch(d, [upsert(A, 'INBOX', [header(A, 'INBOX', 1)]), cursor(A, 'INBOX', 2), cursor(B, 'INBOX', 7)]);
    const conn = new FakeConnection();
    const client = start(d, conn);
    await client.idle();
    expect(conn.resumes).toHaveLength(0);
    expect(conn.subscribeCount).toBe(1);

    conn.setStatus('connected');
    await until(() => conn.resumes.length === 1);
    expect(conn.resumes[0]!.map((c) => [c.accountId, c.uidNext])).toEqual([
      [A, 2],
      [B, 7],
    ]);

    // Batches received just before the connection drops are applied before the next resume
    // reads the cursors.
    for (let seq = 1; seq <= 5; seq++) conn.push(batch(seq, upsert(A, 'INBOX', [header(A, 'INBOX', seq)]), cursor(A, 'INBOX', seq + 1)));
    conn.setStatus('disconnected');
    conn.setStatus('connecting');
    conn.setStatus('connected');
    conn.setStatus('connected'); // not a transition
    await client.idle();
    await until(() => conn.resumes.length === 2);
    expect(conn.resumes[1]!.find((c) => c.accountId === A)?.uidNext).toBe(6);
    await new Promise((r) => setTimeout(r, 20));
    expect(conn.resumes).toHaveLength(2);
  });

  it('resumes at once when started on a connected connection', async () => {
    const d = db();
    const conn = new FakeConnection();
    conn.state = { status: 'connected' };
    start(d, conn);
    await until(() => conn.resumes.length === 1);
    expect(conn.resumes[0]).toEqual([]);
  });

  it('retries a failed resume, but not one lost with the connection', async () => {
    const d = db();
    const conn = new FakeConnection();
    let failures = 2;
    conn.resumeImpl = async () => {
      if (failures-- > 0) throw new PetrelError('INTERNAL', 'busy');
      return {};
    };
    const client = start(d, conn);
    conn.setStatus('connected');
    await until(() => conn.resumes.length === 3);
    expect(client.getState().lastError).toBe('busy');

    conn.resumeImpl = async () => {
      throw new PetrelError('DISCONNECTED', 'gone');
    };
    conn.setStatus('disconnected');
    conn.setStatus('connected');
    await until(() => conn.resumes.length === 4);
    await new Promise((r) => setTimeout(r, 50));
    expect(conn.resumes).toHaveLength(4);
  });

  it('stops storing cursors after a gap in the batch sequence, until the next connection', async () => {
    const d = db();
    const conn = new FakeConnection();
    const client = start(d, conn);
    conn.setStatus('connected');
    conn.push(batch(1, upsert(A, 'INBOX', [header(A, 'INBOX', 1)]), cursor(A, 'INBOX', 2)));
    // Batch 2 was lost (dropped by the RPC client): batch 3's cursor would cover its data.
    conn.push(batch(3, upsert(A, 'INBOX', [header(A, 'INBOX', 3)]), cursor(A, 'INBOX', 4)));
    await client.idle();
    expect(await message(d, [A, 'INBOX', 3])).toBeDefined();
    expect((await allCursors(d))[0]?.uidNext).toBe(2);
    expect(client.getState().lastError).toMatch(/out of sequence/);

    conn.setStatus('disconnected');
    conn.setStatus('connected');
    await until(() => conn.resumes.length === 2);
    expect(conn.resumes[1]![0]?.uidNext).toBe(2);
    // A new stream, a new sequence.
    conn.push(batch(0, cursor(A, 'INBOX', 4)));
    await client.idle();
    expect((await allCursors(d))[0]?.uidNext).toBe(4);
  });

  it('drops the cursors of a session whose batch failed to apply', async () => {
    const d = db();
    const conn = new FakeConnection();
    const client = start(d, conn);
    conn.setStatus('connected');
    conn.push(batch(1, cursor(A, 'INBOX', 2)));
    await client.idle();
    // The next batch's transaction fails (say, the disk is full).
    const broken = vi.spyOn(d, 'transaction').mockImplementationOnce((() => Promise.reject(new Error('disk full'))) as never);
    conn.push(batch(2, upsert(A, 'INBOX', [header(A, 'INBOX', 2)]), cursor(A, 'INBOX', 3)));
    conn.push(batch(3, upsert(A, 'INBOX', [header(A, 'INBOX', 3)]), cursor(A, 'INBOX', 4)));
    await client.idle();
    broken.mockRestore();
    expect(client.getState().lastError).toBe('disk full');
    expect(await message(d, [A, 'INBOX', 3])).toBeDefined();
    expect((await allCursors(d))[0]?.uidNext).toBe(2);
  });

  it('removes an account after the queued batches and drops its later deltas', async () => {
    const d = db();
    const conn = new FakeConnection();
    const client = start(d, conn);
    conn.setStatus('connected');
    conn.push(batch(1, foldersDelta(A, ['INBOX']), foldersDelta(B, ['INBOX'])));
    conn.push(batch(2, upsert(A, 'INBOX', [header(A, 'INBOX', 1)]), upsert(B, 'INBOX', [header(B, 'INBOX', 1)])));
    conn.push(batch(3, { kind: 'progress', accountId: A, path: 'INBOX', synced: 1, total: 2, done: false }));
    const removed = client.removeAccount(A);
    conn.push(batch(4, upsert(A, 'INBOX', [header(A, 'INBOX', 2)]), cursor(A, 'INBOX', 3)));
    await removed;
    await client.idle();
    expect((await d.messages.toArray()).map((m) => m.accountId)).toEqual([B]);
    expect(await d.folders.count()).toBe(1);
    expect(await allCursors(d)).toEqual([]);
    expect(client.getState().progress).toEqual([]);
  });

  it('forgets the progress of a folder that left the account mid-sync', async () => {
    const d = db();
    const conn = new FakeConnection();
    const client = start(d, conn);
    conn.setStatus('connected');
    conn.push(batch(1, foldersDelta(A, ['INBOX', 'Big']), foldersDelta(B, ['Big'])));
    conn.push(
      batch(
        2,
        { kind: 'progress', accountId: A, path: 'Big', synced: 5, total: 90, done: false },
        { kind: 'progress', accountId: B, path: 'Big', synced: 7, total: 80, done: false },
      ),
    );
    await client.idle();
    expect(client.getState().progress).toHaveLength(2);
    conn.push(batch(3, foldersDelta(A, ['INBOX'])));
    await client.idle();
    expect(client.getState().progress).toEqual([{ accountId: B, path: 'Big', synced: 7, total: 80, done: false }]);
  });

  it('resubscribes and resumes when the engine ends the subscription', async () => {
    const d = db();
    const conn = new FakeConnection();
    const client = start(d, conn);
    conn.setStatus('connected');
    await until(() => conn.resumes.length === 1);
    conn.end(new PetrelError('INTERNAL', 'sync source crashed'));
    expect(conn.subs.size).toBe(0);
    await until(() => conn.subscribeCount === 2 && conn.resumes.length === 2);
    expect(conn.subs.size).toBe(1);
    expect(client.getState().lastError).toBe('sync source crashed');
  });

  it('notifies listeners with a new state object on each change, and stops cleanly', async () => {
    const d = db();
    const conn = new FakeConnection();
    const client = start(d, conn);
    const states = new Set<object>();
    const off = client.onChange(() => states.add(client.getState()));
    conn.setStatus('connected');
    conn.push(batch(1, { kind: 'progress', accountId: A, path: 'INBOX', synced: 1, total: 1, done: true }));
    await client.idle();
    expect(states.size).toBeGreaterThanOrEqual(2);
    off();
    client.stop();
    expect(conn.subs.size).toBe(0);
    conn.push(batch(2, upsert(A, 'INBOX', [header(A, 'INBOX', 1)])));
    await client.idle();
    expect(await d.messages.count()).toBe(0);
    await expect(client.removeAccount(A)).rejects.toThrow(/stopped/);
  });
});

describe('applied() and the batch hook', () => {
  it('resolves once the batches received so far are applied, not waiting for later ones; runs the hook in each batch', async () => {
    const d = db();
    const conn = new FakeConnection();
    const seen: string[] = [];
    const c = start(d, conn, {
      afterDeltas: {
        tables: (x: PetrelDb) => [x.ops],
        run: async (_x: PetrelDb, folders: ReadonlySet<string>) => {
          seen.push([...folders].join(',').replaceAll('\u0000', '/'));
        },
      },
    });
    conn.setStatus('connected');
    conn.push(batch(1, foldersDelta(A, ['INBOX']), upsert(A, 'INBOX', [header(A, 'INBOX', 1)])));
    const first = c.applied();
    conn.push(batch(2, upsert(A, 'INBOX', [header(A, 'INBOX', 2)])));
    await first;
    expect(await message(d, [A, 'INBOX', 1])).toBeDefined();
    await c.idle();
    expect(seen).toEqual([`${A}/INBOX`, `${A}/INBOX`]);
    expect(await c.applied()).toBeUndefined();
  });
});
