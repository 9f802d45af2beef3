/**
 * One connected period of an account: the worker connection and the INBOX connection,
 * alive together or not at all. When either closes, fails or stops answering, the whole
 * session ends (`ended` rejects) and the account starts a new one after its backoff; the
 * state that must outlive it belongs to the owner.
 */
import type { ImapFlow } from 'imapflow';
import type { SyncDelta } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import type { Logger } from '../log';
import type { BackoffOptions } from './backoff';
import { openConnection, whenClosed, type ConnectionTimings, type SyncAccount } from './connection';
import type { FolderBook } from './folder-book';
import { InboxWatcher } from './inbox-watcher';
import type { AccountSyncState } from './sync-context';
import { Worker } from './worker';

export interface AccountSyncOptions extends ConnectionTimings {
  pollIntervalMs: number;
  notifyPollIntervalMs: number;
  livenessMs: number;
  probeTimeoutMs: number;
  rescanMs: number;
  debounceMs: number;
  batchSizes: readonly number[];
  bodyIdleCloseMs: number;
  backoff?: BackoffOptions;
  /** Resolves when a first sync may fetch its next slice (the engine's DeliveryWindow). None: at once. */
  room?: () => Promise<void>;
}

/** What outlives a session. */
export interface SessionOwner {
  readonly state: AccountSyncState;
  readonly book: FolderBook;
  emit(delta: SyncDelta): void;
}

/** Two connections, alive together or not at all. */
export class Session {
  worker: Worker | null = null;
  inbox: InboxWatcher | null = null;
  private readonly clients: ImapFlow[] = [];
  private failed: (e: unknown) => void = () => undefined;
  /** Rejects, with the reason, when the session ends (`stop()` included). */
  readonly ended: Promise<never>;
  private stopped = false;

  constructor(
    sa: SyncAccount,
    private readonly owner: SessionOwner,
    private readonly options: AccountSyncOptions,
    private readonly log: Logger,
    /** How a connection is had; default: a new one (the account may hand over one opened ahead). */
    private readonly connect: (role: 'worker' | 'inbox') => Promise<ImapFlow> = (role) => openConnection(sa, role, options, log),
  ) {
    this.ended = new Promise<never>((_, reject) => {
      this.failed = reject;
    });
    this.ended.catch(() => undefined);
  }

  async start(): Promise<void> {
    const open = (role: 'worker' | 'inbox') =>
      this.connect(role).then((c) => {
        this.clients.push(c);
        if (this.stopped) c.close();
        return c;
      });
    const [workerClient, inboxClient] = await Promise.all([open('worker'), open('inbox')]);
    const state = this.owner.state;
    const emit = (d: SyncDelta) => this.owner.emit(d);
    this.worker = new Worker(
      workerClient,
      state,
      this.owner.book,
      {
        emit,
        inboxChanged: () => this.inbox?.requestSync(),
      },
      this.options,
      this.log.child('worker'),
    );
    this.inbox = new InboxWatcher(inboxClient, state, emit, this.options, this.log.child('inbox'));
    for (const c of [workerClient, inboxClient]) {
      const lastError: { e?: Error } = {};
      c.on('error', (e: Error) => (lastError.e = e));
      void whenClosed(c).then(() => this.fail(lastError.e ?? new PetrelError('DISCONNECTED', 'The connection to the mail server was lost.')));
    }
    this.worker.run().then(
      () => this.fail(new PetrelError('DISCONNECTED', 'The worker stopped.')),
      (e: unknown) => this.fail(e),
    );
    this.inbox.run().then(
      () => this.fail(new PetrelError('DISCONNECTED', 'The INBOX connection stopped.')),
      (e: unknown) => this.fail(e),
    );
  }

  private fail(e: unknown): void {
    if (!this.stopped) this.failed(e);
  }

  /** Closes both connections (no LOGOUT round trip: the session is over either way). */
  stop(): void {
    if (this.stopped) return;
    this.failed(new PetrelError('CANCELLED', 'The session was stopped.'));
    this.stopped = true;
    this.worker?.stop();
    this.worker?.queue.close(new PetrelError('DISCONNECTED', 'The connection to the mail server was closed.'));
    this.inbox?.stop();
    for (const c of this.clients) c.close();
  }

}
