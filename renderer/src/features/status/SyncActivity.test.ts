import { describe, expect, it } from 'vitest';
import { syncActivityLabel } from './SyncActivity';

const p = (path: string, synced: number, total: number, done = false) => ({ accountId: 'a', path, synced, total, done });

describe('syncActivityLabel', () => {
  it('is empty when no folder is in its first sync', () => {
    expect(syncActivityLabel([])).toBeNull();
    expect(syncActivityLabel([p('INBOX', 10, 10, true), p('Empty', 0, 0)])).toBeNull();
  });

  it('adds up the folders still syncing, not those done', () => {
    expect(syncActivityLabel([p('INBOX', 45_210, 100_000)])).toEqual({ text: 'Syncing 45,210 of 100,000 messages', synced: 45_210, total: 100_000 });
    expect(syncActivityLabel([p('INBOX', 500, 1000), p('Archive', 0, 250), p('Sent', 40, 40, true)])?.text).toBe('Syncing 500 of 1,250 messages in 2 folders');
  });
});
