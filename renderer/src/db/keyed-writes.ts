import type { Table } from 'dexie';

/** Dexie's change events name the keys of a write of fewer than 50 records. */
export const KEYED_WRITE = 49;
/** Past this many records a change is written at once (see putChanges). */
export const KEYED_MAX = 2000;

/**
 * Writes changed records so that whoever reads changes back reads little.
 *
 * A write of 50 records or more is reported by Dexie as a range of the whole table: every
 * live query over the table runs again, and the search worker (which hears the page's writes
 * over Dexie's BroadcastChannel) reads every cached message back, in every folder (~60-80 µs a
 * record: 6-8 s for 100k). Written in pieces of 49, the keys are named one by one and the worker
 * reads just those; but Dexie's change tracking costs the page ~0.16 ms a key, in the
 * foreground (after 1,000 flag changes by another client the resync took 839 ms against
 * 670 ms; bench/analysis.md). So pieces are used up to KEYED_MAX records (~0.3 s), and one
 * write beyond (marking a big folder read: 100k keys would cost the page ~16 s). The pieces
 * are issued together: awaiting each one (a backend round trip per 49) made that resync
 * 1,123-1,245 ms against 836-974 ms.
 *
 * Used for flag changes and for headers of a folder whose first sync is complete (later mail);
 * not for a first sync's batches (every record is new, the worker reads them all once the
 * sync ends) nor the download's bodies (the worker finds the new ones in a range by their
 * keys alone).
 */
export async function putChanges<T, K>(table: Table<T, K>, records: readonly T[]): Promise<void> {
  if (records.length > KEYED_MAX) {
    await table.bulkPut(records as T[]);
    return;
  }
  // All pieces at once: awaiting each would wait for a round trip to IndexedDB's backend per 49.
  const pieces: Promise<unknown>[] = [];
  for (let i = 0; i < records.length; i += KEYED_WRITE) pieces.push(table.bulkPut(records.slice(i, i + KEYED_WRITE)));
  await Promise.all(pieces);
}
