/**
 * The worker connection of an account: it lists the folders and polls them (LIST with
 * LIST-STATUS, RFC 5819, one round trip for all folders; imapflow falls back to one
 * STATUS per folder), and syncs every folder but INBOX when its STATUS changed. Folder
 * management runs here too. Never one connection per folder.
 *
 * Without CONDSTORE a flag change other than \Seen leaves STATUS as it was, so such
 * folders are also compared in full every `rescanMs`.
 *
 * Where the server offers NOTIFY (notify.ts) it tells this connection which folder changed,
 * as it happens, and the poll becomes a safety net every `notifyPollIntervalMs`. Changes to
 * the folder this connection has selected (a sync) come as EXISTS, EXPUNGE or FETCH, with or
 * without NOTIFY; each queues another sync of it, since the running one may predate them.
 */
import type { ImapFlow } from 'imapflow';
import type { SyncDelta, SpecialUse } from '../../../shared/contract';
import type { Logger } from '../log';
import { connectionLost, probe } from './connection';
import type { FolderBook } from './folder-book';
import { syncFolder } from './folder-sync';
import { sameStatus, toFolders, type FolderStatus } from './folders';
import { renewNotify, startNotify } from './notify';
import { StaleSync, type AccountSyncState } from './sync-context';
import { Priority, WorkQueue } from './work-queue';

export interface WorkerOptions {
  pollIntervalMs: number;
  /** The poll's interval while the server notifies this connection of changes (NOTIFY). */
  notifyPollIntervalMs: number;
  livenessMs: number;
  probeTimeoutMs: number;
  rescanMs: number;
  batchSizes: readonly number[];
  /** Resolves when a first sync may fetch its next slice (the engine's DeliveryWindow). None: at once. */
  room?: () => Promise<void>;
}

export interface WorkerHooks {
  emit(delta: SyncDelta): void;
  /** INBOX's STATUS changed: its own connection should look (a safety net for IDLE). */
  inboxChanged(): void;
}

/** Which folders sync first when many need an initial sync. */
const INITIAL_ORDER: Record<SpecialUse | 'none', number> = {
  inbox: 0,
  sent: 1,
  drafts: 2,
  archive: 3,
  none: 4,
  flagged: 5,
  all: 6,
  junk: 7,
  trash: 8,
};

const STATUS_QUERY = { messages: true, uidNext: true, uidValidity: true, unseen: true, highestModseq: true };
const FAILURE_RETRY_MS = 60_000;
/** NOTIFY is asked for again after a miss at most this often. */
const RENEW_NOTIFY_MS = 60_000;

export class Worker {
  readonly queue = new WorkQueue();
  /** UNSEEN as STATUS said when each folder's last sync was queued (what shows \\Seen changes without CONDSTORE). */
  private readonly unseenAtSync = new Map<string, number | null>();
  private readonly lastFullCompare = new Map<string, number>();
  private readonly retryAfter = new Map<string, number>();
  private inboxStatus: FolderStatus | null = null;
  private lastAnswer = Date.now();
  private nextPollAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private opSeq = 0;
  /** NOTIFY asked for (once per connection), and whether the server took it. */
  private notifyAsked = false;
  private notifying = false;
  /**
   * Whether the server's notifications are trusted to space the polls out. A poll that finds a
   * change in a folder no notification named since its last sync began shows they are not (the
   * test Dovecot, after a while under load, told of a change only once the session itself had
   * selected the folder, ~300 ms after its sync): the session then asks for them again (which
   * brought that Dovecot's back) and polls at the short interval, in case that does not hold.
   */
  private notifyTrusted = true;
  /** When each folder was last named by a notification, and when its last sync began. */
  private readonly notifiedAt = new Map<string, number>();
  private readonly syncStartedAt = new Map<string, number>();
  private lastPollStarted = 0;
  /** When NOTIFY was last asked for again after a miss (at most once a minute). */
  private renewedAt = 0;

  constructor(
    private readonly client: ImapFlow,
    private readonly state: AccountSyncState,
    private readonly book: FolderBook,
    private readonly hooks: WorkerHooks,
    private readonly options: WorkerOptions,
    private readonly log: Logger,
  ) {
    // VANISHED (EARLIER) only answers a sync's own CHANGEDSINCE fetch.
    const selectedChanged = (e: { path?: string; earlier?: boolean }) => {
      if (e.path && !e.earlier) this.syncSoon([e.path]);
    };
    client.on('exists', selectedChanged);
    client.on('expunge', selectedChanged);
    client.on('flags', selectedChanged);
  }

  /** Runs until stopped; rejects when the connection is lost. */
  async run(): Promise<void> {
    void this.pollNow();
    // A server without LIST-STATUS costs one STATUS round trip per folder: never spend more
    // than about half the worker's time polling, however slow that gets.
    this.timer = setInterval(() => {
      if (Date.now() >= this.nextPollAt) void this.pollNow();
    }, this.options.pollIntervalMs);
    try {
      while (!this.stopped) {
        const ran = await this.queue.runNext(this.options.livenessMs);
        if (!ran && !this.stopped && Date.now() - this.lastAnswer >= this.options.livenessMs) await this.probe();
      }
    } finally {
      this.stop();
    }
  }

  /** Whether the connection is gone (a failure then says nothing about the command itself). */
  get lost(): boolean {
    return connectionLost(this.client);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  pollNow(): Promise<void> {
    return this.queue.enqueue('poll', Priority.poll, () => this.guard('poll', () => this.poll()));
  }

  /** After a resume: compare every folder with its (new) cursor again. */
  resumed(): void {
    this.unseenAtSync.clear();
    this.lastFullCompare.clear();
    this.retryAfter.clear();
    this.inboxStatus = null;
    void this.pollNow();
  }

  /**
   * Syncs these folders soon, whatever STATUS says (an operation just changed them: without
   * CONDSTORE a flag change would otherwise wait for the periodic full comparison). INBOX is
   * left to its own connection. A sync of the folder that is running now may predate the
   * change, so another one is queued behind it.
   */
  syncSoon(paths: Iterable<string>): void {
    // Notifications and events can still come while the session closes its connections.
    if (this.stopped) return;
    for (const path of new Set(paths)) {
      const folder = this.book.folders.find((f) => f.path === path);
      if (!folder?.selectable || folder.specialUse === 'inbox') continue;
      const kind = this.state.cursors.has(path) ? 'sync' : 'initial';
      this.scheduleSync(path, kind, INITIAL_ORDER[folder.specialUse ?? 'none'], !this.client.enabled.has('CONDSTORE'));
    }
  }

  /** Runs something the person asked for, before any sync; its error goes to the caller. */
  userOp<T>(what: string, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue
        .enqueue(`op:${++this.opSeq}`, Priority.user, async () => {
          try {
            resolve(await fn(this.client));
            this.lastAnswer = Date.now();
          } catch (e) {
            reject(e);
            if (connectionLost(this.client)) throw e;
            this.log.warn(`${what} failed`, { message: (e as Error).message });
          }
        })
        .catch(reject);
    });
  }

  private async probe(): Promise<void> {
    await probe(this.client, this.options.probeTimeoutMs);
    this.lastAnswer = Date.now();
  }

  /** Runs a background step; only a lost connection escapes (and ends the session). */
  private async guard(what: string, fn: () => Promise<void>, path?: string): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (e instanceof StaleSync) return;
      if (connectionLost(this.client) || this.stopped) throw e;
      this.log.warn(`${what} failed`, { message: (e as Error).message });
      if (path) {
        this.unseenAtSync.delete(path);
        this.retryAfter.set(path, Date.now() + FAILURE_RETRY_MS);
      }
    }
  }

  /** LIST + STATUS of everything; emits folder deltas and queues the syncs that are due. */
  async poll(): Promise<void> {
    const started = Date.now();
    if (started - this.lastAnswer >= this.options.livenessMs) await this.probe();
    if (!this.notifyAsked) {
      // Before the listing: whatever changes after it is notified.
      this.notifyAsked = true;
      this.notifying = await startNotify(
        this.client,
        (path) => {
          this.notifiedAt.set(path, Date.now());
          this.syncSoon([path]);
        },
        this.log,
      );
    }
    const previousPoll = this.lastPollStarted;
    this.lastPollStarted = started;
    const entries = await this.client.list({ statusQuery: STATUS_QUERY });
    this.lastAnswer = Date.now();
    const quiet = this.notifying && this.notifyTrusted ? Math.max(0, this.options.notifyPollIntervalMs - this.options.pollIntervalMs) : 0;
    this.nextPollAt = this.lastAnswer + Math.max(quiet, 2 * (this.lastAnswer - started) - this.options.pollIntervalMs);
    const listed = toFolders(this.state.accountId, entries);
    // A notification that arrived during the LIST was taken as that folder's answer (imapflow
    // files any STATUS under the folder it names), and a flag change's carries only
    // HIGHESTMODSEQ: the folder keeps the counts it showed, and is synced.
    const notified = new Set<string>();
    if (this.notifying) {
      for (const l of listed) {
        if (!l.status || (l.status.messages !== null && l.status.uidNext !== null)) continue;
        const before = this.book.folders.find((f) => f.path === l.folder.path);
        if (before) [l.folder.total, l.folder.unread] = [before.total, before.unread];
        l.status = null;
        notified.add(l.folder.path);
      }
    }
    const removed = this.book.apply(listed, (d) => this.hooks.emit(d));
    for (const path of removed) {
      this.unseenAtSync.delete(path);
      this.lastFullCompare.delete(path);
      this.notifiedAt.delete(path);
      this.syncStartedAt.delete(path);
      this.state.forget(path);
    }
    const now = Date.now();
    let renew = false;
    for (const { folder, status } of listed) {
      if (!folder.selectable) continue;
      if (folder.specialUse === 'inbox') {
        if (!sameStatus(this.inboxStatus, status)) {
          this.inboxStatus = status;
          this.hooks.inboxChanged();
        }
        continue;
      }
      const path = folder.path;
      if (notified.has(path)) {
        // Behind a sync of it under way, which may predate the change.
        this.syncSoon([path]);
        continue;
      }
      if (this.queue.has(`sync:${path}`) || (this.retryAfter.get(path) ?? 0) > now) continue;
      const due = this.due(path, status, now);
      if (!due) continue;
      if (due === 'sync' && status && previousPoll > 0) renew = this.checkNotified(path) || renew;
      this.unseenAtSync.set(path, status?.unseen ?? null);
      this.scheduleSync(path, due, INITIAL_ORDER[folder.specialUse ?? 'none'], !status || status.highestModseq === null);
    }
    if (renew) {
      this.renewedAt = Date.now();
      if (await renewNotify(this.client, this.log)) this.log.info('asked the server for notifications again');
    }
  }

  /**
   * A poll found a change in `path` with nothing syncing it: without a notification naming it
   * since the folder's last sync began, the server's notifications cannot be relied on to space
   * polls out. A notification from before that sync named what that sync fetched, not this
   * change: one that only echoes the session's own sync (a server that notifies once the folder
   * is touched) must not count. (A change made just before this poll, whose notification is
   * still on its way, looks the same; taking it for a miss costs only the short interval, the
   * behaviour without NOTIFY.) Returns whether to ask for the notifications again (the test
   * Dovecot then notifies in time again); the session polls at the short interval from then on,
   * in case that does not hold.
   */
  private checkNotified(path: string): boolean {
    if (!this.notifying) return false;
    const notified = this.notifiedAt.get(path);
    if (notified !== undefined && notified > (this.syncStartedAt.get(path) ?? 0)) return false;
    if (this.notifyTrusted) {
      this.notifyTrusted = false;
      this.nextPollAt = 0;
      this.log.info('the server did not notify a change; polling at the short interval', { folder: path });
    }
    return Date.now() - this.renewedAt >= RENEW_NOTIFY_MS;
  }

  /**
   * Whether a folder needs a sync, judged against the cursor the renderer holds (not
   * against an earlier poll): with CONDSTORE, HIGHESTMODSEQ and UIDNEXT move with every
   * change (on a QRESYNC server expunges too, RFC 7162; MESSAGES covers the rest).
   * Without it, MESSAGES, UIDNEXT and UNSEEN are all STATUS shows, so flag changes other
   * than \Seen wait for the periodic full comparison.
   */
  private due(path: string, status: FolderStatus | null, now: number): 'initial' | 'sync' | null {
    const cursor = this.state.cursors.get(path);
    if (!cursor || (status?.uidValidity && status.uidValidity !== cursor.uidValidity)) return 'initial';
    // No STATUS for it (the server refused): only the periodic full comparison can tell.
    if (!status) return now - (this.lastFullCompare.get(path) ?? 0) >= this.options.rescanMs ? 'sync' : null;
    const exists = this.state.cursorExists.get(path);
    if (status.uidNext !== cursor.uidNext) return 'sync';
    if (status.highestModseq !== null && cursor.highestModseq !== null) {
      if (status.highestModseq !== cursor.highestModseq) return 'sync';
      // QRESYNC servers raise HIGHESTMODSEQ on expunge; plain CONDSTORE ones need not.
      if (exists === undefined) return this.client.enabled.has('QRESYNC') ? null : 'sync';
      return status.messages !== exists ? 'sync' : null;
    }
    if (exists === undefined || status.messages !== exists) return 'sync';
    if (this.unseenAtSync.get(path) !== status.unseen) return 'sync';
    return now - (this.lastFullCompare.get(path) ?? 0) >= this.options.rescanMs ? 'sync' : null;
  }

  private scheduleSync(path: string, kind: 'initial' | 'sync', order: number, fullCompare: boolean): void {
    const priority = kind === 'initial' ? Priority.initial : Priority.sync;
    void this.queue.enqueue(
      `sync:${path}`,
      priority,
      () =>
        this.guard(
          `sync of ${JSON.stringify(path)}`,
          async () => {
            this.syncStartedAt.set(path, Date.now());
            try {
              await syncFolder(this.client, path, {
                state: this.state,
                emit: (d) => this.hooks.emit(d),
                batchSizes: this.options.batchSizes,
                room: this.options.room,
                checkpoint: async () => {
                  const selected = this.client.mailbox;
                  await this.queue.runUrgent(priority);
                  return this.client.mailbox !== selected;
                },
                log: this.log,
              });
            } finally {
              // STATUS of the selected folder answers from the session's stale view (RFC 3501
              // 6.3.10 warns; Dovecot does so), so the poller must not leave one selected.
              if (this.client.mailbox && !connectionLost(this.client)) await this.client.mailboxClose();
            }
            this.lastAnswer = Date.now();
            if (fullCompare) this.lastFullCompare.set(path, Date.now());
          },
          path,
        ),
      order,
    );
  }
}
