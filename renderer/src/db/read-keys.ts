/**
 * Reads records of a table keyed [accountId+path+uid] by their keys, with range reads where
 * the keys lie close together.
 *
 * Dexie's bulkGet issues one IndexedDB request per key, and each is a round trip to the
 * browser process. The search worker reads the records a sync wrote in pages of 2,000 keys,
 * mostly neighbours in one folder: after a 100k first sync it read 90k records one request
 * each, for ~45 s (benchmark trace). The offline download checks the records of each batch of
 * bodies it stores (up to 200 neighbours) the same way. Here a folder's keys are read with one getAll over their
 * UID range, capped at twice their number, so a sparse set costs at most that much more; keys
 * past the cap are read one by one as before.
 */
import type { Table } from 'dexie';
import type { MessageKey } from './schema';

/** Spare records a range read may return beyond the keys asked for (over twice their number). */
const SLACK = 16;

export async function readByKeys<T extends { uid: number }>(table: Table<T, MessageKey>, keys: readonly MessageKey[]): Promise<(T | undefined)[]> {
  const out: (T | undefined)[] = new Array(keys.length);
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = `${k[0]}\u0000${k[1]}`;
    const list = groups.get(g);
    if (list) list.push(i);
    else groups.set(g, [i]);
  });
  const rest: number[] = [];
  for (const indexes of groups.values()) {
    const [accountId, path] = keys[indexes[0]!]!;
    if (indexes.length === 1) {
      rest.push(indexes[0]!);
      continue;
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of indexes) {
      const uid = keys[i]![2];
      if (uid < lo) lo = uid;
      if (uid > hi) hi = uid;
    }
    const limit = 2 * indexes.length + SLACK;
    const records = await table.where(':id').between([accountId, path, lo], [accountId, path, hi], true, true).limit(limit).toArray();
    const byUid = new Map<number, T>();
    for (const r of records) byUid.set(r.uid, r);
    // Read up to this UID: absent below it means absent; above it, not read yet.
    const reached = records.length < limit ? hi : records[records.length - 1]!.uid;
    for (const i of indexes) {
      const uid = keys[i]![2];
      if (uid <= reached) out[i] = byUid.get(uid);
      else rest.push(i);
    }
  }
  if (rest.length > 0) {
    const records = await table.bulkGet(rest.map((i) => keys[i]!));
    rest.forEach((i, j) => (out[i] = records[j]));
  }
  return out;
}
