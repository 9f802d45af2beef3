import type { Table } from 'dexie';

/** Dexie's change events name the keys of a write of fewer than 50 records. */
export const KEYED_WRITE = 49;

/**
 * `bulkPut` in writes whose keys Dexie reports one by one. A write of 50 records or more is
 * reported as "the whole table changed": every live query over the table runs again, and the
 * search worker (which hears the page's writes over Dexie's BroadcastChannel) reads every
 * record back. After an offline download's batch of 200 bodies it read and tokenized every
 * cached message and body again, once a minute during the download (+26 s of the page's CPU in
 * the 100k download); after 1,000 flag changes it read 100k headers to find them.
 *
 * Not for a first sync's batches: every record is new there, the worker reads them all anyway,
 * and the per-key bookkeeping would cost the hot path.
 */
export async function bulkPutKeyed<T, K>(table: Table<T, K>, records: readonly T[]): Promise<void> {
  for (let i = 0; i < records.length; i += KEYED_WRITE) await table.bulkPut(records.slice(i, i + KEYED_WRITE));
}
