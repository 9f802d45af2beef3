import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { describe, expect, it } from 'vitest';
import { applyBatch, toRecord } from './apply-deltas';
import { unifiedInbox } from './queries';
import { PetrelDb } from './schema';
import { A, B, foldersDelta, header } from './test-fixtures';

describe('schema upgrades', () => {
  it('version 5 drops the inboxDate index of a version 4 database and keeps every record', async () => {
    const name = `petrel-upgrade-${Math.random().toString(36).slice(2)}`;
    // A database as version 4 of the app left it (schema.ts's versions 1-4, unchanged).
    const old = new Dexie(name);
    old.version(1).stores({
      folders: '[accountId+path]',
      messages: '[accountId+path+uid], [accountId+path+date], inboxDate',
      bodies: '[accountId+path+uid]',
      cursors: '[accountId+path]',
    });
    old.version(2).stores({ ops: '++seq, &opId, accountId' });
    old.version(3).stores({ messages: '[accountId+path+uid], [accountId+path+date], inboxDate, messageId, *references' });
    old.version(4).stores({ contacts: 'key', contactMarks: '[accountId+path]' });
    const records = [header(A, 'INBOX', 1, { date: 3000 }), header(B, 'INBOX', 7, { date: 2000 }), header(A, 'INBOX', 2, { date: 1000 })].map((h) => ({
      ...toRecord(h),
      inboxDate: h.date,
    }));
    await old.table('messages').bulkPut(records);
    await old.table('ops').add({ opId: 'op-1', accountId: A, state: 'pending' });
    await old.close();

    const db = new PetrelDb(name);
    try {
      await applyBatch(db, [foldersDelta(A, ['INBOX']), foldersDelta(B, ['INBOX'])]);
      expect(db.verno).toBe(5);
      const indexes = db.backendDB().transaction('messages').objectStore('messages').indexNames;
      expect([...indexes].sort()).toEqual(['[accountId+path+date]', 'messageId', 'references']);
      expect(await db.messages.count()).toBe(3);
      expect(await db.ops.count()).toBe(1);
      expect((await unifiedInbox(db, { limit: 10 })).map((m) => `${m.accountId}:${m.uid}`)).toEqual([`${A}:1`, `${B}:7`, `${A}:2`]);
    } finally {
      await db.delete();
    }
  });
});
