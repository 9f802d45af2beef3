/**
 * Where the search worker keeps a snapshot of its index between runs: a database of its own
 * (`petrel-search`), never a table of the mail store, whose schema belongs to the sync and
 * operations code. A snapshot only saves tokenizing: on start the worker loads it, answers
 * from it at once, and still reads every record once to catch what changed while it was not
 * running (fingerprints make unchanged records cheap: no tokenizing).
 */
import { Dexie, type Table } from 'dexie';
import type { IndexSnapshot } from './search-index';

export const SEARCH_DB_NAME = 'petrel-search';

interface SnapshotRow {
  /** The mail database the index is of. */
  source: string;
  savedAt: number;
  snapshot: IndexSnapshot;
}

class SearchSnapshotDb extends Dexie {
  declare readonly snapshots: Table<SnapshotRow, string>;

  constructor(name: string) {
    super(name, { chromeTransactionDurability: 'relaxed' });
    this.version(1).stores({ snapshots: 'source' });
  }
}

export interface SnapshotStore {
  load(source: string): Promise<IndexSnapshot | null>;
  save(source: string, snapshot: IndexSnapshot): Promise<void>;
  delete(source: string): Promise<void>;
  close(): void;
}

export function idbSnapshotStore(name: string = SEARCH_DB_NAME): SnapshotStore {
  const db = new SearchSnapshotDb(name);
  return {
    load: async (source) => (await db.snapshots.get(source))?.snapshot ?? null,
    save: async (source, snapshot) => {
      await db.snapshots.put({ source, savedAt: Date.now(), snapshot });
    },
    delete: async (source) => {
      await db.snapshots.delete(source);
    },
    close: () => db.close(),
  };
}
