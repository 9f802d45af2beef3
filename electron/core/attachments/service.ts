/**
 * Attachments on demand (Save in the reader), each on a short-lived IMAP connection of its
 * own: it opens, fetches the one part and logs out, whatever happens. Saving is rare and
 * bursty ("Save all" asks one after another), so a connection per request is simpler than
 * a pool and never competes with the sync engine's connections.
 */
import { ImapFlow } from 'imapflow';
import {
  MAX_ATTACHMENT_DOWNLOAD_BYTES,
  MAX_RAW_MESSAGE_BYTES,
  type AttachmentContent,
  type AttachmentRef,
  type RawMessage,
  type RawMessageRef,
} from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import type { AccountDirectory } from '../accounts/service';
import { imapClientOptions } from '../imap/client-options';
import type { Logger } from '../log';
import { mapServerError } from '../net/map-error';
import { fetchAttachment } from './fetch-attachment';
import { fetchRawMessage } from './fetch-raw';

export type AttachmentAccounts = AccountDirectory;

export interface AttachmentServiceDeps {
  accounts: AttachmentAccounts;
  log: Logger;
  /** Default MAX_ATTACHMENT_DOWNLOAD_BYTES (tests lower it). */
  maxBytes?: number;
  /** Default MAX_RAW_MESSAGE_BYTES. */
  maxRawBytes?: number;
  timeouts?: { connectMs?: number; socketMs?: number };
}

export class AttachmentService {
  constructor(private readonly deps: AttachmentServiceDeps) {}

  /** One attachment's bytes; `signal` (the caller went away) closes the connection at once. */
  fetch(ref: AttachmentRef, signal?: AbortSignal): Promise<AttachmentContent> {
    return this.withClient(ref.accountId, 'fetching an attachment', signal, (client) =>
      fetchAttachment(client, ref, {
        maxBytes: this.deps.maxBytes ?? MAX_ATTACHMENT_DOWNLOAD_BYTES,
        note: (m) => this.deps.log.info(m),
      }),
    );
  }

  /** A whole message's bytes (forward as attachment), on the same kind of short connection. */
  raw(ref: RawMessageRef, signal?: AbortSignal): Promise<RawMessage> {
    return this.withClient(ref.accountId, 'fetching a whole message', signal, (client) =>
      fetchRawMessage(client, ref, { maxBytes: this.deps.maxRawBytes ?? MAX_RAW_MESSAGE_BYTES }),
    );
  }

  private async withClient<T>(accountId: string, what: string, signal: AbortSignal | undefined, use: (client: ImapFlow) => Promise<T>): Promise<T> {
    const account = await this.deps.accounts.get(accountId);
    const { password } = await this.deps.accounts.secretsOf(account);
    const server = { protocol: 'IMAP' as const, host: account.imap.host, port: account.imap.port };
    const client = new ImapFlow(
      imapClientOptions(account.imap, { password }, account.pins, {
        connectionTimeout: this.deps.timeouts?.connectMs ?? 30_000,
        greetingTimeout: this.deps.timeouts?.connectMs ?? 30_000,
        socketTimeout: this.deps.timeouts?.socketMs ?? 120_000,
        disableAutoIdle: true,
        id: `${account.id}:attachments`,
      }),
    );
    // An unhandled 'error' event would end the engine; the pending command rejects anyway.
    client.on('error', (e: Error) =>
      this.deps.log.warn('attachment IMAP connection error', { code: (e as { code?: unknown }).code, message: e.message }),
    );
    const abort = () => client.close();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      signal?.throwIfAborted();
      await client.connect();
      return await use(client);
    } catch (e) {
      if (signal?.aborted) throw new PetrelError('CANCELLED', 'The download was cancelled.');
      const error = mapServerError(e, server);
      if (!(e instanceof PetrelError)) this.deps.log.warn(`${what} failed (${account.id})`, error.code);
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
      if (client.usable) await client.logout().catch(() => client.close());
      else client.close();
    }
  }
}
