import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toRecord } from './apply-deltas';
import type { MessageKey, PetrelDb } from './schema';
import { A, B, header, newDb } from './test-fixtures';
import { readByKeys } from './read-keys';

describe('readByKeys', () => {
  let db: PetrelDb;
  afterEach(async () => {
    vi.restoreAllMocks();
    db.close();
    await db.delete();
  });

  async function stored(): Promise<void> {
    db = newDb();
    const records = [];
    for (let uid = 1; uid <= 300; uid++) if (uid % 7 !== 0) records.push(toRecord(header(A, 'INBOX', uid)));
    for (let uid = 1; uid <= 20; uid++) records.push(toRecord(header(A, 'Archive', uid)), toRecord(header(B, 'INBOX', uid)));
    await db.messages.bulkPut(records);
  }

  const uidsOf = (rs: ({ accountId: string; path: string; uid: number } | undefined)[]) => rs.map((r) => (r ? `${r.accountId === A ? 'A' : 'B'}:${r.path}:${r.uid}` : null));

  it('reads neighbouring keys with one range read, in the order asked, absent ones as undefined', async () => {
    await stored();
    const bulkGet = vi.spyOn(db.messages, 'bulkGet');
    const keys: MessageKey[] = [[A, 'INBOX', 12], [A, 'INBOX', 10], [A, 'INBOX', 14], [A, 'INBOX', 11], [A, 'INBOX', 13]];
    expect(uidsOf(await readByKeys(db.messages, keys))).toEqual(['A:INBOX:12', 'A:INBOX:10', null, 'A:INBOX:11', 'A:INBOX:13']);
    expect(bulkGet).not.toHaveBeenCalled();
  });

  it('reads keys spread far apart one by one past the range cap, across folders and accounts', async () => {
    await stored();
    const bulkGet = vi.spyOn(db.messages, 'bulkGet');
    // Three INBOX keys 290 UIDs apart: the range read stops after 2 x 3 + 16 records.
    const keys: MessageKey[] = [[A, 'INBOX', 1], [B, 'INBOX', 5], [A, 'INBOX', 150], [A, 'Archive', 3], [A, 'INBOX', 300], [B, 'INBOX', 6], [A, 'Nowhere', 1]];
    expect(uidsOf(await readByKeys(db.messages, keys))).toEqual(['A:INBOX:1', 'B:INBOX:5', 'A:INBOX:150', 'A:Archive:3', 'A:INBOX:300', 'B:INBOX:6', null]);
    // The two far INBOX keys, the lone Archive and Nowhere keys; B's pair came by range.
    const read = bulkGet.mock.calls.flatMap((c) => c[0] as MessageKey[]);
    expect(read.map((k) => `${k[1]}:${k[2]}`).sort()).toEqual(['Archive:3', 'INBOX:150', 'INBOX:300', 'Nowhere:1']);
  });

  it('answers an empty list with an empty list', async () => {
    await stored();
    expect(await readByKeys(db.messages, [])).toEqual([]);
  });
});
