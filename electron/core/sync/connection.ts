/**
 * Opening one IMAP connection for the engine, and the small timing helpers every
 * connection needs. Each client gets an 'error' listener before anything else (an
 * unhandled 'error' event would crash the engine), QRESYNC is asked for (RFC 7162: ENABLE
 * QRESYNC, so expunges come as VANISHED with UIDs), imapflow's own auto-IDLE is off (the
 * engine decides when a connection idles), and untagged FETCH lines are read by the engine's
 * own reader (imap/fetch-line.ts).
 */
import { ImapFlow } from 'imapflow';
import type { Account } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { imapClientOptions } from '../imap/client-options';
import { installFetchLineReader } from '../imap/fetch-line';
import type { Logger } from '../log';
import { mapServerError } from '../net/map-error';

export interface SyncAccount {
  account: Account;
  password: string;
}

export type ConnectionRole = 'worker' | 'inbox' | 'body';

export interface ConnectionTimings {
  /** imapflow re-issues IDLE after this long (RFC 2177: at least every 29 minutes). */
  idleRestartMs: number;
  /** A silent socket is probed, then dropped, after this long. */
  socketTimeoutMs: number;
  connectTimeoutMs: number;
}

export function serverRef(account: Account) {
  return { protocol: 'IMAP' as const, host: account.imap.host, port: account.imap.port };
}

/** Any failure as the PetrelError the status shows. */
export function toPetrelError(e: unknown, account: Account): PetrelError {
  return mapServerError(e, serverRef(account));
}

/** Connects and logs in; rejects with a mapped PetrelError. */
export async function openConnection(sa: SyncAccount, role: ConnectionRole, timings: ConnectionTimings, log: Logger): Promise<ImapFlow> {
  const { account } = sa;
  const client = new ImapFlow(
    imapClientOptions(account.imap, { password: sa.password }, account.pins, {
      qresync: true,
      disableAutoIdle: true,
      maxIdleTime: timings.idleRestartMs,
      socketTimeout: timings.socketTimeoutMs,
      connectionTimeout: timings.connectTimeoutMs,
      greetingTimeout: timings.connectTimeoutMs,
      id: `${account.id}:${role}`,
    }),
  );
  client.on('error', (e: Error) => log.warn(`${role} connection error`, { code: (e as { code?: unknown }).code, message: e.message }));
  // FETCH answers are most of a sync's bytes; without the internals imapflow reads them itself.
  if (!installFetchLineReader(client)) log.info('imapflow reads FETCH answers itself (its internals changed)');
  try {
    await client.connect();
  } catch (e) {
    client.close();
    throw toPetrelError(e, account);
  }
  return client;
}

/** Resolves when the client has closed (at once if it already has). */
export function whenClosed(client: ImapFlow): Promise<void> {
  if (client.isClosed) return Promise.resolve();
  return new Promise((resolve) => client.once('close', () => resolve()));
}

/**
 * `promise`, or a CONNECTION_TIMEOUT rejection after `ms`; on timeout the connection is
 * destroyed, since a server that does not answer a NOOP is gone whatever TCP thinks.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, client: ImapFlow, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      client.close();
      reject(new PetrelError('CONNECTION_TIMEOUT', `The mail server did not answer ${what} within ${Math.round(ms / 1000)} s.`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness probe: a NOOP that must be answered in time (RFC 3501 6.1.2). */
export function probe(client: ImapFlow, timeoutMs: number): Promise<void> {
  return withTimeout(client.noop(), timeoutMs, client, 'a NOOP');
}

/** Whether an error means the connection itself is gone (as opposed to one command refused). */
export function connectionLost(client: ImapFlow): boolean {
  return client.isClosed || !client.usable;
}

/** Gives other work on the event loop a turn (between fetch batches). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
