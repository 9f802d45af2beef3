/**
 * The INBOX connection: INBOX is selected and held in IDLE (RFC 2177), and this
 * connection alone syncs INBOX, so new mail shows within a fraction of a second without
 * waiting behind the worker. Any notification (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS)
 * schedules a short-debounced incremental sync on this same connection: break IDLE,
 * sync from the cursor, IDLE again. That one path handles every kind of change, with or
 * without CONDSTORE (where unsolicited FETCH carries only sequence numbers).
 *
 * Liveness: every `livenessMs` IDLE is broken by a NOOP that must be answered within
 * `probeTimeoutMs`, otherwise the connection is destroyed and the account reconnects.
 * That also re-issues IDLE far more often than the 29 minutes RFC 2177 asks for. Servers
 * without IDLE get a NOOP every `pollIntervalMs` instead; its untagged answers carry the
 * same notifications, and the worker's STATUS poll nudges this connection too.
 */
import type { ImapFlow } from 'imapflow';
import type { SyncDelta } from '../../../shared/contract';
import type { Logger } from '../log';
import { connectionLost, probe } from './connection';
import { fetchHeaders } from './fetch-headers';
import { syncFolder } from './folder-sync';
import { selectedIncrementalSync } from './incremental-sync';
import { StaleSync, type AccountSyncState } from './sync-context';
import { hasModseq, uidsFrom } from './sync-steps';
import { compactUids } from './uid-set';

export const INBOX = 'INBOX';
/** How long INBOX syncs may go without selecting it afresh. */
const RESELECT_MS = 10 * 60_000;

export interface InboxWatcherOptions {
  livenessMs: number;
  probeTimeoutMs: number;
  pollIntervalMs: number;
  rescanMs: number;
  debounceMs: number;
  batchSizes: readonly number[];
  /** Resolves when a first sync may fetch its next slice (the engine's DeliveryWindow). None: at once. */
  room?: () => Promise<void>;
}

export class InboxWatcher {
  private pending = false;
  private debounce: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private lastFullCompare = 0;
  /** The last sync that selected INBOX afresh. */
  private fullSync: { generation: number; at: number } | null = null;
  /** New mail shown while an initial sync of INBOX was still running. */
  private readonly peeked = new Set<number>();

  constructor(
    private readonly client: ImapFlow,
    private readonly state: AccountSyncState,
    private readonly emit: (d: SyncDelta) => void,
    private readonly options: InboxWatcherOptions,
    private readonly log: Logger,
  ) {
    const onChange = (e: { path?: string; earlier?: boolean }) => {
      // VANISHED (EARLIER) only answers our own CHANGEDSINCE fetch.
      if (e.path === INBOX && !e.earlier) this.requestSync();
    };
    client.on('exists', onChange);
    client.on('expunge', onChange);
    client.on('flags', onChange);
    client.on('highestModseq', onChange);
  }

  /** Schedules an incremental sync of INBOX (debounced: a burst of notifications is one sync). */
  requestSync(): void {
    if (this.debounce || this.stopped) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.pending = true;
      this.wake?.();
    }, this.options.debounceMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.debounce) clearTimeout(this.debounce);
    this.wake?.();
  }

  /** Runs until stopped; rejects when the connection is lost. */
  async run(): Promise<void> {
    this.pending = true;
    while (!this.stopped) {
      if (this.pending) {
        this.pending = false;
        await this.sync();
        continue;
      }
      const mb = this.client.mailbox;
      if (mb && !hasModseq(this.client, mb) && Date.now() - this.lastFullCompare >= this.options.rescanMs) {
        this.pending = true;
        continue;
      }
      if (this.client.capabilities.has('IDLE')) {
        // idle() has sent IDLE (or queued it) by the time it returns: the next command breaks it.
        const idling = this.client.idle().catch(() => false);
        const woken = await this.sleep(this.options.livenessMs);
        if (!woken && !this.stopped) await probe(this.client, this.options.probeTimeoutMs);
        if (!this.pending) await idling;
      } else {
        const woken = await this.sleep(this.options.pollIntervalMs);
        if (!woken && !this.stopped) await probe(this.client, this.options.probeTimeoutMs);
      }
    }
  }

  private sleep(ms: number): Promise<boolean> {
    if (this.pending || this.stopped) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(false);
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve(true);
      };
    });
  }

  private async sync(): Promise<void> {
    try {
      const deps = {
        state: this.state,
        emit: this.emit,
        batchSizes: this.options.batchSizes,
        room: this.options.room,
        checkpoint: () => this.showNewMailDuringInitialSync(),
        log: this.log,
      };
      const generation = this.state.generation;
      // INBOX stayed selected since a full sync of this generation: IDLE's news is in the
      // session's view already, no SELECT needed (a full one still runs now and then, and
      // brings the cursor's HIGHESTMODSEQ, which may lag after expunges, up to the server's).
      const recent = this.fullSync?.generation === generation && Date.now() - this.fullSync.at < RESELECT_MS;
      const quick = recent ? await selectedIncrementalSync(this.client, INBOX, deps, generation) : null;
      if (quick === null) {
        await syncFolder(this.client, INBOX, deps);
        this.fullSync = { generation, at: Date.now() };
      }
      this.peeked.clear();
      const mb = this.client.mailbox;
      if (mb && !hasModseq(this.client, mb)) this.lastFullCompare = Date.now();
    } catch (e) {
      if (e instanceof StaleSync) {
        this.pending = true;
        return;
      }
      if (connectionLost(this.client) || this.stopped) throw e;
      this.log.warn('sync of INBOX failed', { message: (e as Error).message });
      this.lastFullCompare = Date.now();
    }
  }

  /**
   * Between batches of a long initial sync of INBOX: mail that arrived meanwhile is shown
   * at once (upserted; the sync's cursor predates it, so the next sync covers it again).
   */
  private async showNewMailDuringInitialSync(): Promise<boolean> {
    const progress = this.state.initial.get(INBOX);
    if (!this.pending || !progress) return false;
    this.pending = false;
    const generation = this.state.generation;
    const fresh = (await uidsFrom(this.client, progress.cursor.uidNext)).filter((u) => !this.peeked.has(u));
    if (fresh.length === 0) return false;
    const ctx = { accountId: this.state.accountId, path: INBOX, uidValidity: progress.cursor.uidValidity };
    const { headers, flags } = await fetchHeaders(this.client, compactUids(fresh), ctx);
    this.state.assertCurrent(generation);
    for (const u of fresh) this.peeked.add(u);
    this.emit({ kind: 'upsert', ...ctx, messages: headers });
    if (flags.length > 0) this.emit({ kind: 'flags', ...ctx, changes: flags });
    this.pending = true;
    return false;
  }
}
