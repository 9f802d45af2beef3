// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SyncDelta } from '../../../../shared/contract';
import { applyBatch, type PetrelDb } from '../../db';
import { DbProvider } from '../../db/db-context';
import { anchorsReach, clearAnchors, useAnchorStorage } from '../../db/folder-anchors';
import { A, B, foldersDelta, header, newDb, upsert } from '../../db/test-fixtures';
import { useLiveQuery } from 'dexie-react-hooks';
import { useDb } from '../../db/db-context';
import { InboxAnchorsAhead, useAnchorsAhead } from './anchors-ahead';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const C = 'acct-cccc';

describe('InboxAnchorsAhead', () => {
  let db: PetrelDb;
  let root: Root | undefined;
  let host: HTMLElement;

  beforeEach(() => {
    useAnchorStorage(null);
    clearAnchors();
  });

  afterEach(async () => {
    await act(async () => root?.unmount());
    root = undefined;
    host.remove();
    await db.delete();
    clearAnchors();
  });

  /** `n` messages, synced completely (`partial`: a first sync's batch, older mail to come). */
  async function fill(accountId: string, path: string, n: number, partial = false) {
    const c: SyncDelta = { kind: 'cursor', cursor: { accountId, path, uidValidity: '1', highestModseq: null, uidNext: n + 1, ...(partial ? { partialBelow: 1 } : {}) } };
    await applyBatch(db, [upsert(accountId, path, Array.from({ length: n }, (_, i) => header(accountId, path, i + 1))), c]);
  }

  async function mount(children: React.ReactNode = <InboxAnchorsAhead />) {
    host = document.createElement('div');
    document.body.append(host);
    await act(async () => {
      root = createRoot(host);
      root.render(
        <DbProvider value={db}>{children}</DbProvider>,
      );
    });
  }

  /**
   * Lets its timers (INBOX_FIRST_MS) and the reads run, in slices: act() renders the live
   * query's answers only when its scope ends.
   */
  async function wait(ms: number) {
    for (let t = 0; t < ms; t += 50) {
      await act(async () => {
        await new Promise((r) => setTimeout(r, 50));
      });
    }
  }

  /** Waits until both INBOXes' anchors are read (fake-indexeddb walks slowly: 1-2 s). */
  async function untilRead(...accounts: string[]) {
    for (let i = 0; i < 100 && accounts.some((a) => anchorsReach(db, a, 'INBOX') === 0); i++) await wait(50);
  }

  it("reads every long INBOX's anchors when there are several, before All inboxes is opened", async () => {
    db = newDb();
    await applyBatch(db, [foldersDelta(A, ['INBOX', 'Archive']), foldersDelta(B, ['INBOX']), foldersDelta(C, ['INBOX'])]);
    await fill(A, 'INBOX', 350);
    await fill(A, 'Archive', 300);
    await fill(B, 'INBOX', 150);
    // Shorter than one step: a walk from the top is as quick.
    await fill(C, 'INBOX', 40);
    await mount();
    expect(anchorsReach(db, A, 'INBOX')).toBe(0);
    await untilRead(A, B);
    expect(anchorsReach(db, A, 'INBOX')).toBeGreaterThanOrEqual(300);
    expect(anchorsReach(db, B, 'INBOX')).toBeGreaterThanOrEqual(100);
    // Time for anything else asked for at the same moment to be read too.
    await wait(1000);
    expect(anchorsReach(db, C, 'INBOX')).toBe(0);
    // Not an INBOX: its anchors come when its own list is opened.
    expect(anchorsReach(db, A, 'Archive')).toBe(0);
  });

  it('reads nothing ahead with one INBOX (no All inboxes), and starts when a second account has mail', async () => {
    db = newDb();
    await applyBatch(db, [foldersDelta(A, ['INBOX'])]);
    await fill(A, 'INBOX', 350);
    await mount();
    await wait(2500);
    expect(anchorsReach(db, A, 'INBOX')).toBe(0);
    await act(async () => {
      await applyBatch(db, [foldersDelta(B, ['INBOX'])]);
      await fill(B, 'INBOX', 150);
    });
    await untilRead(A, B);
    expect(anchorsReach(db, A, 'INBOX')).toBeGreaterThanOrEqual(300);
    expect(anchorsReach(db, B, 'INBOX')).toBeGreaterThanOrEqual(100);
  });

  it('leaves an INBOX in its first sync alone until the sync ends', async () => {
    db = newDb();
    await applyBatch(db, [foldersDelta(A, ['INBOX']), foldersDelta(B, ['INBOX'])]);
    await fill(A, 'INBOX', 350, true);
    await fill(B, 'INBOX', 150);
    await mount();
    await untilRead(B);
    await wait(1000);
    expect(anchorsReach(db, A, 'INBOX')).toBe(0);
    await act(async () => {
      await fill(A, 'INBOX', 400);
    });
    await untilRead(A);
    expect(anchorsReach(db, A, 'INBOX')).toBeGreaterThanOrEqual(400);
  });

  it('reads a folder once when two lists ask for it (All inboxes and the INBOX itself)', async () => {
    db = newDb();
    await applyBatch(db, [foldersDelta(A, ['INBOX'])]);
    await fill(A, 'INBOX', 350);
    function Ahead(props: { name: string; firstMs: number }) {
      const d = useDb();
      const folders = useLiveQuery(async () => (await d.folders.toArray()).filter((f) => f.accountId === A), [d]);
      useAnchorsAhead(d, props.name, folders ?? [], props.firstMs);
      return null;
    }
    // The walk reads its anchors in read-only transactions over messages and folders.
    const transaction = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const walks = () => transaction.mock.calls.filter(([stores, mode]) => Array.isArray(stores) && stores.join() === 'messages,folders' && mode === 'readonly').length;
    try {
      await mount(
        <>
          <Ahead name="unified" firstMs={100} />
          <Ahead name="folder" firstMs={600} />
        </>,
      );
      await untilRead(A);
      // Past the second list's timer and the least time between two reads of a folder (2 s).
      await wait(3000);
      expect(walks()).toBe(1);
    } finally {
      transaction.mockRestore();
    }
  });
});
