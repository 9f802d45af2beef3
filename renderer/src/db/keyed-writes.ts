import type { Table } from 'dexie';

/** Dexie's change events name the keys of a write of fewer than 50 records. */
export const KEYED_WRITE = 49;

/**
 * `bulkPut` in writes whose keys Dexie reports one by one. A write of 50 records or more is
 * reported as a range of the whole table: every live query over the table runs again, and the
 * search worker (which hears the page's writes over Dexie's BroadcastChannel) reads every
 * record of the range back. After 1,000 flag changes in a 100k folder it read 100k headers to
 * find them; it now reads the 1,000.
 *
 * Naming keys is not free: Dexie's change tracking cost the page ~0.16 ms per key when the
 * offline download wrote its bodies this way (bench/analysis.md). So it is for changes to a
 * few records among many (flags), not for a first sync's batches (every record is new there,
 * and the worker reads them all anyway) nor for the download's bodies (the worker finds the new
 * ones in a range by their keys alone).
 */
export async function bulkPutKeyed<T, K>(table: Table<T, K>, records: readonly T[]): Promise<void> {
  for (let i = 0; i < records.length; i += KEYED_WRITE) await table.bulkPut(records.slice(i, i + KEYED_WRITE));
}
