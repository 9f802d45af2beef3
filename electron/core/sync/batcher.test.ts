import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessageHeader, SyncBatch, SyncDelta } from '../../../shared/contract';
import { SyncBatchSchema } from '../../../shared/contract';
import { DeltaBatcher } from './batcher';

const ref = { accountId: 'acct-alice', path: 'INBOX', uidValidity: '1' };
const header = (uid: number): MessageHeader => ({
  ...ref,
  uid,
  modseq: null,
  messageId: null,
  inReplyTo: null,
  references: [],
  subject: `m${uid}`,
  from: [],
  to: [],
  cc: [],
  replyTo: [],
  date: 0,
  internalDate: 0,
  size: 0,
  flags: [],
  hasAttachments: false,
  preview: '',
});
const upsert = (...uids: number[]): SyncDelta => ({ kind: 'upsert', ...ref, messages: uids.map(header) });
const progress = (synced: number, path = 'INBOX'): SyncDelta => ({ kind: 'progress', accountId: ref.accountId, path, synced, total: 10, done: false });

describe('DeltaBatcher', () => {
  afterEach(() => vi.useRealTimers());

  it('sends a batch flushMs after the first delta, with increasing seq', () => {
    vi.useFakeTimers();
    const batches: SyncBatch[] = [];
    const b = new DeltaBatcher((x) => batches.push(x), { flushMs: 40 });
    b.push(upsert(1));
    b.push(upsert(2));
    vi.advanceTimersByTime(39);
    expect(batches).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.deltas).toEqual([upsert(1, 2)]);
    b.push(progress(1));
    vi.advanceTimersByTime(40);
    expect(batches.map((x) => x.seq)).toEqual([1, 2]);
    for (const x of batches) expect(SyncBatchSchema.safeParse(x).success).toBe(true);
  });

  it('flushes at once when maxItems is reached and splits huge upserts', () => {
    const batches: SyncBatch[] = [];
    const b = new DeltaBatcher((x) => batches.push(x), { flushMs: 1000, maxItems: 100, maxMessagesPerDelta: 30 });
    b.push(upsert(...Array.from({ length: 100 }, (_, i) => i + 1)));
    expect(batches).toHaveLength(1);
    expect(batches[0]!.deltas.map((d) => (d.kind === 'upsert' ? d.messages.length : 0))).toEqual([30, 30, 30, 10]);
    b.close();
  });

  it('keeps order across kinds and folders; progress replaces its predecessor', () => {
    const batches: SyncBatch[] = [];
    const b = new DeltaBatcher((x) => batches.push(x), { flushMs: 1000 });
    const reset: SyncDelta = { kind: 'reset', ...ref };
    const other: SyncDelta = { kind: 'upsert', ...ref, path: 'Sent', messages: [header(5)] };
    const exp: SyncDelta = { kind: 'expunge', ...ref, uids: [3] };
    b.push(reset);
    b.push(upsert(1));
    b.push(progress(1));
    b.push(other);
    b.push(upsert(2));
    b.push(exp);
    b.push({ kind: 'expunge', ...ref, uids: [3, 4] });
    b.push(progress(2));
    b.push({ kind: 'flags', ...ref, changes: [] });
    b.flush();
    expect(batches[0]!.deltas).toEqual([reset, upsert(1), other, upsert(2), { kind: 'expunge', ...ref, uids: [3, 4] }, progress(2)]);
  });

  it('sends at once after a cursor: a folder sync just ended', () => {
    const batches: SyncBatch[] = [];
    const b = new DeltaBatcher((x) => batches.push(x), { flushMs: 1000 });
    b.push(upsert(1));
    b.push({ kind: 'cursor', cursor: { accountId: ref.accountId, path: 'INBOX', uidValidity: '1', highestModseq: '5', uidNext: 2 } });
    expect(batches).toHaveLength(1);
    expect(batches[0]!.deltas.map((d) => d.kind)).toEqual(['upsert', 'cursor']);
  });

  it('sends nothing once closed', () => {
    const batches: SyncBatch[] = [];
    const b = new DeltaBatcher((x) => batches.push(x));
    b.push(upsert(1));
    b.close();
    b.push(upsert(9));
    b.flush();
    expect(batches.map((x) => x.deltas)).toEqual([[upsert(1)]]);
  });
});
