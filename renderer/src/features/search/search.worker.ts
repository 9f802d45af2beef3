/**
 * The search worker: the index lives here, off the UI thread. It opens the app's database
 * itself (read only in practice: it never writes mail) and hears the page's writes through
 * Dexie's cross-context `storagemutated` broadcast. All logic is in worker-core.ts.
 */
import { PetrelDb } from '../../db/schema';
import { idbSnapshotStore } from './snapshot-store';
import { attachSearchWorker, type MessagePortLike } from './worker-core';

// The index is saved in a database of its own (`petrel-search`), so a restart answers at once.
// It is read (and checked against the mail store) 10 s after the app starts, or at the first
// query if that comes sooner: not while the person's first folder opens.
attachSearchWorker(self as unknown as MessagePortLike, (name) => new PetrelDb(name), { snapshots: idbSnapshotStore(), startDelayMs: 10_000 });
