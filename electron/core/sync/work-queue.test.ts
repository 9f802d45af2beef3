import { describe, expect, it } from 'vitest';
import { Priority, WorkQueue } from './work-queue';

describe('WorkQueue', () => {
  it('runs by priority, then order, then arrival; de-duplicates by key', async () => {
    const q = new WorkQueue();
    const ran: string[] = [];
    const task = (name: string) => async () => {
      ran.push(name);
    };
    void q.enqueue('initial:b', Priority.initial, task('initial b'), 2);
    void q.enqueue('initial:a', Priority.initial, task('initial a'), 1);
    void q.enqueue('sync:x', Priority.sync, task('sync x'));
    void q.enqueue('poll', Priority.poll, task('poll'));
    void q.enqueue('poll', Priority.poll, task('poll again'));
    void q.enqueue('op:1', Priority.user, task('user op'));
    while (await q.runNext(1));
    expect(ran).toEqual(['user op', 'poll', 'sync x', 'initial a', 'initial b']);
  });

  it('lets a long task run more urgent ones between its batches', async () => {
    const q = new WorkQueue();
    const ran: string[] = [];
    void q.enqueue('initial', Priority.initial, async () => {
      ran.push('batch 1');
      void q.enqueue('poll', Priority.poll, async () => void ran.push('poll'));
      void q.enqueue('initial:other', Priority.initial, async () => void ran.push('other initial'));
      expect(q.has('initial')).toBe(true);
      expect(await q.runUrgent(Priority.initial)).toBe(true);
      ran.push('batch 2');
    });
    while (await q.runNext(1));
    expect(ran).toEqual(['batch 1', 'poll', 'batch 2', 'other initial']);
  });

  it('wakes a waiting runner, resolves and rejects callers, and rejects everything once closed', async () => {
    const q = new WorkQueue();
    const waiting = q.runNext(10_000);
    const done = q.enqueue('a', Priority.sync, async () => undefined);
    await expect(waiting).resolves.toBe(true);
    await expect(done).resolves.toBeUndefined();
    const failing = q.enqueue('b', Priority.sync, async () => {
      throw new Error('boom');
    });
    await expect(q.runNext(1)).rejects.toThrow('boom');
    await expect(failing).rejects.toThrow('boom');
    const queued = q.enqueue('c', Priority.sync, async () => undefined);
    q.close(new Error('gone'));
    await expect(queued).rejects.toThrow('gone');
    await expect(q.enqueue('d', Priority.sync, async () => undefined)).rejects.toThrow('gone');
    expect(await q.runNext(1)).toBe(false);
  });

  it('leaves no unhandled rejection when a task is offered to a closed queue and nobody awaits it', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const q = new WorkQueue();
      q.close(new Error('gone'));
      void q.enqueue('late', Priority.sync, async () => undefined);
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
