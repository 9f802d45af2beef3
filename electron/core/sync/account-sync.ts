/**
 * Everything one account does, independent of every other account (a broken one never
 * holds back the rest): sessions of two connections (the worker and INBOX in IDLE, see
 * Session), reconnected with backoff; the status the UI shows; on-demand bodies on a
 * third connection. What must survive reconnects (the renderer's cursors, an initial
 * sync half done, what the renderer was told about the folders) lives here.
 */
import type { ImapFlow } from 'imapflow';
import type { AccountStatus, FolderCursor, MessageBody, Operation, SyncDelta } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import type { Logger } from '../log';
import { Backoff, needsPerson } from './backoff';
import { BodyFetcher, type BodyRef } from './body-fetcher';
import { connectionLost, openConnection, toPetrelError, type ConnectionRole, type SyncAccount } from './connection';
import { FolderBook } from './folder-book';
import { INBOX } from './inbox-watcher';
import { executeOperation, type OperationOutcome } from './operations';
import { Session, type AccountSyncOptions, type SessionOwner } from './session';
import { AccountSyncState } from './sync-context';

export type { AccountSyncOptions } from './session';

const STABLE_SESSION_MS = 30_000;
/** Connections opened ahead of the first resume are used only this young, and closed when unused this long. */
const EARLY_MS = 60_000;

type SessionRole = Extract<ConnectionRole, 'worker' | 'inbox'>;

export class AccountSync implements SessionOwner {
  readonly state: AccountSyncState;
  readonly book: FolderBook;
  private status: AccountStatus;
  private session: Session | null = null;
  private readonly backoff: Backoff;
  private readonly bodies: BodyFetcher;
  private running: Promise<void> | null = null;
  private closed = false;
  private wakeSleep: (() => void) | null = null;
  private restartNow = false;
  /** Connections opened (and logged in) ahead of the first session by preconnect(). */
  private early: { at: number; clients: Map<SessionRole, Promise<ImapFlow>>; timer: NodeJS.Timeout } | null = null;

  constructor(
    private sa: SyncAccount,
    private readonly sink: (d: SyncDelta) => void,
    private readonly onStatus: () => void,
    private readonly options: AccountSyncOptions,
    private readonly log: Logger,
  ) {
    this.state = new AccountSyncState(sa.account.id);
    this.book = new FolderBook(sa.account.id);
    this.backoff = new Backoff(options.backoff);
    this.status = { accountId: sa.account.id, state: 'offline' };
    this.bodies = new BodyFetcher(() => openConnection(this.sa, 'body', this.options, this.log), options.bodyIdleCloseMs, log.child('body'));
  }

  get id(): string {
    return this.sa.account.id;
  }

  get currentStatus(): AccountStatus {
    return this.status;
  }

  emit(delta: SyncDelta): void {
    if (!this.closed) this.sink(delta);
  }

  /**
   * Opens and logs in the session's two connections ahead of start(), so the first sync
   * after launch does not wait for TCP, TLS, LOGIN and imapflow's setup commands (the app
   * opens meanwhile and reads what it holds). Nothing is selected or synced until start().
   * Resolves when both attempts are over (failures are left to the session).
   */
  preconnect(): Promise<void> {
    if (this.closed || this.running || this.early) return Promise.resolve();
    const clients = new Map<SessionRole, Promise<ImapFlow>>();
    for (const role of ['worker', 'inbox'] as const) {
      const c = openConnection(this.sa, role, this.options, this.log);
      c.catch(() => undefined);
      clients.set(role, c);
    }
    const timer = setTimeout(() => this.dropEarly(), EARLY_MS);
    timer.unref();
    this.early = { at: Date.now(), clients, timer };
    return Promise.allSettled(clients.values()).then(() => undefined);
  }

  /** Starts syncing (once). */
  start(): void {
    this.running ??= this.loop();
  }

  /** New settings or password: reconnect with them at once when they concern the connection. */
  update(sa: SyncAccount): void {
    const before = JSON.stringify([this.sa.account.imap, this.sa.account.pins, this.sa.password]);
    this.sa = sa;
    // An account waiting out an error only the person could fix is retried on any edit.
    if (before === JSON.stringify([sa.account.imap, sa.account.pins, sa.password]) && this.status.state !== 'error') return;
    this.reconnect();
  }

  /** Drops the session (if any) and connects again without waiting for the backoff. */
  reconnect(): void {
    this.restartNow = true;
    this.dropEarly();
    this.backoff.reset();
    this.session?.stop();
    this.wakeSleep?.();
  }

  resume(cursors: readonly FolderCursor[]): void {
    this.state.resume(cursors);
    this.book.reset();
    this.session?.worker?.resumed();
    this.session?.inbox?.requestSync();
  }

  /** Look for changes now: poll every folder and sync INBOX; retry at once when offline. */
  async syncNow(): Promise<void> {
    const s = this.session;
    if (!s?.worker) {
      this.backoff.reset();
      this.wakeSleep?.();
      return;
    }
    s.inbox?.requestSync();
    await s.worker.pollNow();
  }

  /**
   * The network changed or the machine woke: reconnect now. Sockets bound to a vanished
   * interface, or idle through a sleep the server timed out, are dead without knowing it;
   * probing them would only add a timeout before the same reconnect. A session of two
   * connections and a QRESYNC check per folder is cheap by comparison.
   */
  networkChanged(): void {
    this.reconnect();
  }

  fetchBody(ref: BodyRef): Promise<MessageBody> {
    return this.bodies.fetch(ref).catch((e: unknown) => {
      throw toPetrelError(e, this.sa.account);
    });
  }

  fetchBodies(folder: Omit<BodyRef, 'uid'>, uids: readonly number[], sizes?: readonly number[]): Promise<MessageBody[]> {
    return this.bodies.fetchMany(folder, uids, sizes).catch((e: unknown) => {
      throw toPetrelError(e, this.sa.account);
    });
  }

  /** Runs a folder operation on the worker, then lists the folders again. */
  folderOp(what: string, op: (client: ImapFlow) => Promise<unknown>): Promise<void> {
    const worker = this.session?.worker;
    if (!worker) return Promise.reject(new PetrelError('DISCONNECTED', 'The account is not connected right now.'));
    return worker
      .userOp(what, async (client) => {
        await op(client);
        await worker.poll();
      })
      .catch((e: unknown) => {
        throw toPetrelError(e, this.sa.account);
      });
  }

  /**
   * Runs a message operation on the worker, ahead of any sync (see operations.ts), then has
   * the folders it changed synced at once, so the deltas confirm it. DISCONNECTED while the
   * account is offline: the renderer keeps the operation and tries again.
   */
  async runOperation(op: Operation, uncertain = false): Promise<OperationOutcome> {
    const worker = this.session?.worker;
    if (!worker) throw new PetrelError('DISCONNECTED', 'The account is not connected right now.');
    let outcome: OperationOutcome;
    try {
      outcome = await worker.userOp(`operation ${op.kind}`, (client) => executeOperation(client, op, this.book.folders, uncertain));
    } catch (e) {
      // The connection went away under it: whether it ran is unknown. The renderer retries
      // it later (flags, moves and deletes are harmless to repeat; a copy is journaled).
      if (worker.lost && !(e instanceof PetrelError)) {
        throw new PetrelError('DISCONNECTED', 'The connection to the mail server was lost during the operation.');
      }
      throw toPetrelError(e, this.sa.account);
    }
    const touched = outcome.to ? [op.path, outcome.to] : [op.path];
    if (touched.some((p) => p.toUpperCase() === INBOX)) this.session?.inbox?.requestSync();
    const current = this.session?.worker;
    if (current) {
      current.syncSoon(touched);
      // New counts for the folder list (folderStatus) come with the poll.
      current.pollNow().catch(() => undefined);
    }
    return outcome;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dropEarly();
    this.session?.stop();
    this.wakeSleep?.();
    this.bodies.close();
    await this.running;
  }

  /**
   * A connection for a new session: the one opened ahead for this role when it is young
   * and still usable (taken once), otherwise a new one. One that was lost meanwhile is
   * replaced; a failed attempt fails the session like its own would (backoff applies, and a
   * refused password is not sent again at once).
   */
  private connection(role: SessionRole): Promise<ImapFlow> {
    if (this.early && Date.now() - this.early.at >= EARLY_MS) this.dropEarly();
    const early = this.early?.clients.get(role);
    this.early?.clients.delete(role);
    if (this.early?.clients.size === 0) this.dropEarly();
    const fresh = () => openConnection(this.sa, role, this.options, this.log);
    if (!early) return fresh();
    return early.then(
      (c) => {
        if (!connectionLost(c)) {
          this.log.info(`${role} connection opened ahead is used`);
          return c;
        }
        c.close();
        return fresh();
      },
    );
  }

  /** Closes connections opened ahead that no session took. */
  private dropEarly(): void {
    if (!this.early) return;
    clearTimeout(this.early.timer);
    for (const c of this.early.clients.values()) c.then((client) => client.close(), () => undefined);
    this.early = null;
  }

  private setStatus(status: Omit<AccountStatus, 'accountId'>): void {
    this.status = { accountId: this.id, ...status };
    this.onStatus();
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      this.restartNow = false;
      this.setStatus({ state: 'connecting' });
      const session = new Session(this.sa, this, this.options, this.log, (role) => this.connection(role));
      this.session = session;
      let error: PetrelError | null = null;
      let onlineAt = 0;
      try {
        const starting = session.start();
        starting.catch(() => undefined);
        // A reconnect or close does not wait for a connection attempt to time out.
        await Promise.race([starting, session.ended]);
        onlineAt = Date.now();
        this.setStatus({ state: 'online' });
        await session.ended;
      } catch (e) {
        error = toPetrelError(e, this.sa.account);
      } finally {
        session.stop();
        this.session = null;
      }
      // Only a session that lasted counts as recovery: a server that accepts the login and
      // drops the connection at once must still be retried less and less often.
      if (onlineAt && Date.now() - onlineAt >= STABLE_SESSION_MS) this.backoff.reset();
      if (this.closed) break;
      if (this.restartNow) continue;
      const delay = this.backoff.next(error?.code);
      const retryAt = Date.now() + delay;
      const data = error?.toData();
      this.log.info(`account offline, retrying in ${Math.round(delay / 1000)} s`, { code: error?.code });
      this.setStatus({ state: error && needsPerson(error.code) ? 'error' : 'offline', ...(data ? { error: data } : {}), retryAt });
      await this.sleep(delay);
    }
    this.setStatus({ state: 'offline' });
  }

  private sleep(ms: number): Promise<void> {
    if (this.closed || this.restartNow) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleep = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleep = done;
    });
  }
}
