import { EventEmitter } from 'node:events';
import type { ImapFlow, ListResponse, StatusObject } from 'imapflow';
import { describe, expect, it, vi } from 'vitest';
import type { SyncDelta } from '../../../shared/contract';
import { createLogger } from '../log';
import { FolderBook } from './folder-book';
import { AccountSyncState } from './sync-context';
import { Worker } from './worker';

// The worker's syncs, when a test runs one, only need to have begun.
vi.mock('./folder-sync', () => ({ syncFolder: vi.fn(async () => undefined) }));

/** Just what the worker's poll and NOTIFY touch of an imapflow connection. */
class FakeClient extends EventEmitter {
  capabilities = new Map<string, boolean>([['NOTIFY', true], ['CONDSTORE', true], ['QRESYNC', true]]);
  enabled = new Set(['CONDSTORE', 'QRESYNC']);
  untaggedHandlers: Record<string, ((u: { attributes: unknown[] }) => void) | null> = {};
  mailbox = false;
  namespace = { delimiter: '/', prefix: '' };
  usable = true;
  exec = vi.fn(async () => ({ next: () => undefined }));
  statuses: Record<string, StatusObject> = {};
  list = vi.fn(async (): Promise<ListResponse[]> => ['INBOX', 'Projects'].map((path) => entry(path, this.statuses[path])));
}

function entry(path: string, status: StatusObject | undefined): ListResponse {
  return {
    path,
    pathAsListed: path,
    name: path,
    delimiter: '/',
    parent: [],
    parentPath: '',
    flags: new Set<string>(),
    specialUse: path === 'INBOX' ? '\\Inbox' : undefined,
    specialUseSource: path === 'INBOX' ? 'name' : undefined,
    listed: true,
    subscribed: true,
    ...(status ? { status } : {}),
  } as ListResponse;
}

function setUp(notify: boolean) {
  const client = new FakeClient();
  if (!notify) client.capabilities.delete('NOTIFY');
  const state = new AccountSyncState('acc');
  state.resume([{ accountId: 'acc', path: 'Projects', uidValidity: '7', highestModseq: '40', uidNext: 21 }]);
  const deltas: SyncDelta[] = [];
  const worker = new Worker(
    client as unknown as ImapFlow,
    state,
    new FolderBook('acc'),
    { emit: (d) => deltas.push(d), inboxChanged: () => undefined },
    { pollIntervalMs: 5000, notifyPollIntervalMs: 30_000, livenessMs: 60_000, probeTimeoutMs: 1000, rescanMs: 120_000, batchSizes: [50] },
    createLogger('test', () => undefined),
  );
  client.statuses = {
    INBOX: { path: 'INBOX', messages: 3, uidNext: 4, uidValidity: 1n, unseen: 1, highestModseq: 9n },
    Projects: { path: 'Projects', messages: 20, uidNext: 21, uidValidity: 7n, unseen: 5, highestModseq: 40n },
  };
  return { client, worker, deltas };
}

/** The worker's folder list already holds Projects (as after an earlier listing). */
/** Drops the syncs queued so far without running them, so the next poll may queue them again. */
function emptyQueue(worker: Worker): void {
  worker.queue.close(new Error('emptied'));
  worker.queue.reopen();
}

function knowsProjects(worker: Worker): void {
  (worker as unknown as { book: FolderBook }).book.folders = [
    { accountId: 'acc', path: 'Projects', name: 'Projects', delimiter: '/', parentPath: null, specialUse: null, subscribed: true, selectable: true, total: 20, unread: 5 },
  ];
}

const counts = (deltas: SyncDelta[]) =>
  deltas.flatMap((d) =>
    d.kind === 'folders' ? d.folders.filter((f) => f.path === 'Projects').map((f) => `${f.total}/${f.unread}`) : d.kind === 'folderStatus' && d.path === 'Projects' ? [`${d.total}/${d.unread}`] : [],
  );

describe('Worker with NOTIFY', () => {
  it('asks for notifications once, before its first listing, and syncs the folders they name (not INBOX)', async () => {
    const { client, worker } = setUp(true);
    await worker.poll();
    await worker.poll();
    expect(client.exec).toHaveBeenCalledTimes(1);
    expect(client.exec.mock.invocationCallOrder[0]).toBeLessThan(client.list.mock.invocationCallOrder[0]!);
    expect(JSON.stringify(client.exec.mock.calls[0])).toContain('"NOTIFY",[{"type":"ATOM","value":"SET"},[{"type":"ATOM","value":"SELECTED"}');
    expect(worker.queue.has('sync:Projects')).toBe(false);

    client.untaggedHandlers['STATUS']!({ attributes: [{ type: 'ATOM', value: 'INBOX' }, [{ type: 'ATOM', value: 'MESSAGES' }, { type: 'ATOM', value: '4' }]] });
    expect(worker.queue.size).toBe(0);
    client.untaggedHandlers['STATUS']!({ attributes: [{ type: 'ATOM', value: 'Projects' }, [{ type: 'ATOM', value: 'HIGHESTMODSEQ' }, { type: 'ATOM', value: '41' }]] });
    expect(worker.queue.has('sync:Projects')).toBe(true);
  });

  it('keeps the counts a folder showed when a notification took the place of its LIST-STATUS answer, and syncs it', async () => {
    const { client, worker, deltas } = setUp(true);
    await worker.poll();
    // A flag change's notification, filed by imapflow as the folder's answer to the LIST.
    client.statuses['Projects'] = { path: 'Projects', highestModseq: 41n };
    await worker.poll();
    expect(counts(deltas)).toEqual(['20/5']);
    expect(worker.queue.has('sync:Projects')).toBe(true);
  });

  it('syncs the selected folder again when the server reports a change in it', () => {
    const { client, worker } = setUp(true);
    knowsProjects(worker);
    client.emit('expunge', { path: 'Projects', earlier: true });
    expect(worker.queue.size).toBe(0);
    client.emit('exists', { path: 'Projects', count: 21, prevCount: 20 });
    expect(worker.queue.has('sync:Projects')).toBe(true);
  });

  it('queues nothing once stopped (notifications can still come while the session closes)', async () => {
    const { client, worker } = setUp(true);
    await worker.poll();
    worker.stop();
    client.untaggedHandlers['STATUS']!({ attributes: [{ type: 'ATOM', value: 'Projects' }, [{ type: 'ATOM', value: 'HIGHESTMODSEQ' }, { type: 'ATOM', value: '41' }]] });
    client.emit('exists', { path: 'Projects', count: 21, prevCount: 20 });
    expect(worker.queue.size).toBe(0);
  });

  /** When the worker will poll next (0: at the next tick of the short interval). */
  const nextPoll = (worker: Worker) => (worker as unknown as { nextPollAt: number }).nextPollAt;
  const changed: StatusObject = { path: 'Projects', messages: 21, uidNext: 22, uidValidity: 7n, unseen: 6, highestModseq: 41n };
  /** A flag change's notification for Projects. */
  const notify = (client: FakeClient) =>
    client.untaggedHandlers['STATUS']!({ attributes: [{ type: 'ATOM', value: 'Projects' }, [{ type: 'ATOM', value: 'HIGHESTMODSEQ' }, { type: 'ATOM', value: '41' }]] });

  it('polls at the short interval once a poll finds a change no notification named', async () => {
    const { client, worker } = setUp(true);
    await worker.poll();
    expect(nextPoll(worker)).toBeGreaterThan(Date.now() + 20_000);
    client.statuses['Projects'] = changed;
    await worker.poll();
    expect(worker.queue.has('sync:Projects')).toBe(true);
    expect(nextPoll(worker)).toBe(0);
  });

  it('asks for notifications again after a change they missed, at most once a minute', async () => {
    const { client, worker } = setUp(true);
    await worker.poll();
    expect(client.exec).toHaveBeenCalledTimes(1);
    client.statuses['Projects'] = changed;
    await worker.poll();
    expect(client.exec).toHaveBeenCalledTimes(2);
    expect(client.exec.mock.calls[1]).toEqual(client.exec.mock.calls[0]);
    // Another miss soon after: polled at the short interval, not asked again yet.
    emptyQueue(worker);
    client.statuses['Projects'] = { ...changed, messages: 22, uidNext: 23, highestModseq: 42n };
    await worker.poll();
    expect(worker.queue.has('sync:Projects')).toBe(true);
    expect(client.exec).toHaveBeenCalledTimes(2);
  });

  it('keeps polling seldom while the notifications name the changes a poll finds', async () => {
    const { client, worker } = setUp(true);
    knowsProjects(worker);
    // Changed before the first poll (while offline): found by it, not a miss.
    client.statuses['Projects'] = changed;
    await worker.poll();
    expect(nextPoll(worker)).toBeGreaterThan(Date.now() + 20_000);
    emptyQueue(worker);
    // Notified since that poll; its sync is done with, the change not yet in the cursor.
    notify(client);
    emptyQueue(worker);
    await worker.poll();
    expect(worker.queue.has('sync:Projects')).toBe(true);
    expect(nextPoll(worker)).toBeGreaterThan(Date.now() + 20_000);
  });

  const tick = () => new Promise((resolve) => setTimeout(resolve, 3));

  it('does not count a notification its own sync of the folder began after', async () => {
    // The test Dovecot under load: a change is told of only ~300 ms after the session has
    // selected the folder, so each notification echoes the change the sync before it fetched.
    const { client, worker } = setUp(true);
    knowsProjects(worker);
    await worker.poll();
    notify(client);
    await tick();
    expect(await worker.queue.runNext(0)).toBe(true);
    // A newer change, found by the poll: the notification before its sync said nothing of it.
    client.statuses['Projects'] = changed;
    await worker.poll();
    expect(worker.queue.has('sync:Projects')).toBe(true);
    expect(nextPoll(worker)).toBe(0);
  });

  it('counts a notification that came after its last sync began', async () => {
    const { client, worker } = setUp(true);
    knowsProjects(worker);
    await worker.poll();
    notify(client);
    expect(await worker.queue.runNext(0)).toBe(true);
    await tick();
    // Notified of the change after that sync had begun; its own sync is not run yet when the poll
    // comes (emptied here so that the poll is what finds it).
    notify(client);
    emptyQueue(worker);
    client.statuses['Projects'] = changed;
    await worker.poll();
    expect(worker.queue.has('sync:Projects')).toBe(true);
    expect(nextPoll(worker)).toBeGreaterThan(Date.now() + 20_000);
  });

  it('does without it where the server has none', async () => {
    const { client, worker } = setUp(false);
    await worker.poll();
    expect(client.exec).not.toHaveBeenCalled();
    expect(client.untaggedHandlers['STATUS']).toBeUndefined();
  });
});
