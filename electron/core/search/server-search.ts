/**
 * Search on the server (`search.server`): IMAP UID SEARCH in one folder, for what the
 * renderer's index cannot answer (folders still syncing, bodies never opened).
 *
 * Each account gets a short-lived connection of its own, never one of the sync engine's:
 * opened on the first search, reused by the searches that follow (as-you-type bursts ask
 * several folders, query after query), closed after `idleCloseMs` without one. Searches of
 * an account run one at a time on it, folder opened read-only (EXAMINE). A caller that gives
 * up (a newer query superseded it) is answered CANCELLED at once; a search not started yet is
 * skipped, one already sent to the server finishes and is dropped (cheaper than reconnecting).
 */
import { ImapFlow } from 'imapflow';
import {
  MAX_SERVER_SEARCH_UIDS,
  type Account,
  type ServerSearchParams,
  type ServerSearchResult,
} from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import type { AccountDirectory } from '../accounts/service';
import { imapClientOptions } from '../imap/client-options';
import type { Logger } from '../log';
import { mapServerError } from '../net/map-error';
import { searchCriteria } from './criteria';

export type SearchAccounts = AccountDirectory;

export interface ServerSearchDeps {
  accounts: SearchAccounts;
  log: Logger;
  /** Close an account's search connection after this long unused. Default 30 s. */
  idleCloseMs?: number;
  timeouts?: { connectMs?: number; socketMs?: number };
}

interface Lease {
  client: ImapFlow | null;
  /** The searches of this account, one after another. */
  queue: Promise<unknown>;
  idle: ReturnType<typeof setTimeout> | undefined;
  busy: number;
}

export class ServerSearchService {
  private readonly leases = new Map<string, Lease>();
  private closed = false;

  constructor(private readonly deps: ServerSearchDeps) {}

  search(params: ServerSearchParams, signal?: AbortSignal): Promise<ServerSearchResult> {
    if (this.closed) return Promise.reject(new PetrelError('CANCELLED', 'Petrel is shutting down.'));
    const lease = this.lease(params.accountId);
    lease.busy++;
    if (lease.idle !== undefined) clearTimeout(lease.idle);
    lease.idle = undefined;
    const run = lease.queue.then(() => {
      if (signal?.aborted) throw cancelled();
      return this.run(lease, params);
    });
    lease.queue = run.catch(() => undefined).finally(() => this.release(params.accountId, lease));
    if (!signal) return run;
    return new Promise<ServerSearchResult>((resolve, reject) => {
      const onAbort = () => reject(cancelled());
      signal.addEventListener('abort', onAbort, { once: true });
      run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Closes every search connection (the engine is closing). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.leases.values()];
    this.leases.clear();
    await Promise.all(
      all.map(async (l) => {
        if (l.idle !== undefined) clearTimeout(l.idle);
        await l.queue.catch(() => undefined);
        await closeClient(l.client);
        l.client = null;
      }),
    );
  }

  private lease(accountId: string): Lease {
    let l = this.leases.get(accountId);
    if (!l) {
      l = { client: null, queue: Promise.resolve(), idle: undefined, busy: 0 };
      this.leases.set(accountId, l);
    }
    return l;
  }

  private release(accountId: string, lease: Lease): void {
    lease.busy--;
    if (lease.busy > 0 || this.closed) return;
    lease.idle = setTimeout(() => {
      if (lease.busy > 0) return;
      if (this.leases.get(accountId) === lease) this.leases.delete(accountId);
      void closeClient(lease.client);
      lease.client = null;
    }, this.deps.idleCloseMs ?? 30_000);
    lease.idle.unref?.();
  }

  private async run(lease: Lease, params: ServerSearchParams): Promise<ServerSearchResult> {
    const account = await this.deps.accounts.get(params.accountId);
    const server = { protocol: 'IMAP' as const, host: account.imap.host, port: account.imap.port };
    try {
      const client = await this.connect(lease, account);
      const mailbox = await client.mailboxOpen(params.path, { readOnly: true }).catch((e: unknown) => {
        if (isMissingMailbox(e)) throw new PetrelError('NOT_FOUND', `There is no folder “${params.path}” on the server.`, { path: params.path });
        throw e;
      });
      const found = await client.search(searchCriteria(params.query), { uid: true });
      const uids = Array.isArray(found) ? [...new Set(found)].sort((a, b) => b - a) : [];
      return {
        uidValidity: String(mailbox.uidValidity),
        uids: uids.slice(0, MAX_SERVER_SEARCH_UIDS),
        total: uids.length,
      };
    } catch (e) {
      const error = mapServerError(e, server);
      if (error.code !== 'NOT_FOUND') {
        // A broken connection is not reused.
        await closeClient(lease.client);
        lease.client = null;
        if (!(e instanceof PetrelError)) this.deps.log.warn(`server search failed (${account.id})`, error.code);
      }
      throw error;
    }
  }

  private async connect(lease: Lease, account: Account): Promise<ImapFlow> {
    if (lease.client?.usable) return lease.client;
    await closeClient(lease.client);
    lease.client = null;
    const { password } = await this.deps.accounts.secretsOf(account);
    const client = new ImapFlow(
      imapClientOptions(account.imap, { password }, account.pins, {
        connectionTimeout: this.deps.timeouts?.connectMs ?? 30_000,
        greetingTimeout: this.deps.timeouts?.connectMs ?? 30_000,
        socketTimeout: this.deps.timeouts?.socketMs ?? 120_000,
        disableAutoIdle: true,
        id: `${account.id}:search`,
      }),
    );
    // An unhandled 'error' event would end the engine; the pending command rejects anyway.
    client.on('error', (e: Error) =>
      this.deps.log.warn('search IMAP connection error', { code: (e as { code?: unknown }).code, message: e.message }),
    );
    await client.connect();
    lease.client = client;
    return client;
  }
}

function cancelled(): PetrelError {
  return new PetrelError('CANCELLED', 'The search was superseded.');
}

async function closeClient(client: ImapFlow | null): Promise<void> {
  if (!client) return;
  if (client.usable) await client.logout().catch(() => client.close());
  else client.close();
}

function isMissingMailbox(e: unknown): boolean {
  const err = (e ?? {}) as { serverResponseCode?: unknown; responseText?: unknown; message?: unknown };
  if (err.serverResponseCode === 'NONEXISTENT') return true;
  return /NONEXISTENT|doesn't exist|does not exist|no such (mailbox|folder)|unknown mailbox/i.test(`${String(err.responseText ?? '')} ${String(err.message ?? '')}`);
}
