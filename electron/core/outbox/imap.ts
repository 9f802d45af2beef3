/**
 * The outbox's own short IMAP sessions (Sent copies, drafts, looking for a Message-ID):
 * one connection per task, closed after it, independent of the sync engine's connections.
 */
import { ImapFlow } from 'imapflow';
import type { Account, SpecialUse } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { imapClientOptions } from '../imap/client-options';
import type { Logger } from '../log';
import { mapServerError } from '../net/map-error';
import { assignSpecialUse } from '../sync/special-use';

export interface ImapTimeouts {
  connectMs?: number;
  socketMs?: number;
}

export async function withImap<T>(
  account: Account,
  password: string,
  log: Logger,
  use: (client: ImapFlow) => Promise<T>,
  timeouts: ImapTimeouts = {},
): Promise<T> {
  const client = new ImapFlow(
    imapClientOptions(account.imap, { password }, account.pins, {
      connectionTimeout: timeouts.connectMs ?? 30_000,
      greetingTimeout: timeouts.connectMs ?? 30_000,
      socketTimeout: timeouts.socketMs ?? 120_000,
      disableAutoIdle: true,
      id: `${account.id}:outbox`,
    }),
  );
  // An unhandled 'error' event would crash the engine; the pending command rejects anyway.
  client.on('error', (e: Error) => log.warn('outbox IMAP connection error', { code: (e as { code?: unknown }).code, message: e.message }));
  const server = { protocol: 'IMAP' as const, host: account.imap.host, port: account.imap.port };
  try {
    await client.connect();
  } catch (e) {
    client.close();
    throw mapServerError(e, server);
  }
  try {
    return await use(client);
  } catch (e) {
    throw mapServerError(e, server);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** The folder playing a role (SPECIAL-USE first, then the usual names), or null. */
export async function findSpecialFolder(client: ImapFlow, use: SpecialUse): Promise<string | null> {
  const list = await client.list();
  const roles = assignSpecialUse(
    list.map((e) => ({
      path: e.path,
      name: e.name,
      depth: e.parent.length,
      flags: e.flags,
      declared: e.specialUseSource === 'extension' ? e.specialUse : undefined,
      selectable: ![...e.flags].some((f) => /^\\(noselect|nonexistent)$/i.test(f)),
    })),
  );
  for (const [path, role] of roles) if (role === use) return path;
  return null;
}

/** The role's folder, created under `name` when the account has none. */
export async function ensureSpecialFolder(client: ImapFlow, use: SpecialUse, name: string): Promise<string> {
  const found = await findSpecialFolder(client, use);
  if (found) return found;
  try {
    const created = await client.mailboxCreate(name);
    return created.path;
  } catch (e) {
    // Someone else created it in the meantime.
    const again = await findSpecialFolder(client, use);
    if (again) return again;
    throw e;
  }
}

/** UIDs of the messages in `path` with this Message-ID. */
export async function findByMessageId(client: ImapFlow, path: string, messageId: string): Promise<number[]> {
  const lock = await client.getMailboxLock(path, { readOnly: true });
  try {
    const uids = await client.search({ header: { 'message-id': messageId } }, { uid: true });
    return uids || [];
  } finally {
    lock.release();
  }
}

export interface Appended {
  path: string;
  uid: number;
  uidValidity: string;
}

/** Appends a message; finds its UID by Message-ID when the server has no UIDPLUS. */
export async function appendMessage(client: ImapFlow, path: string, raw: Buffer, flags: string[], messageId: string): Promise<Appended> {
  const res = await client.append(path, raw, flags);
  if (!res) throw new PetrelError('SERVER_ERROR', `The IMAP server did not store the message in ${path}.`);
  if (res.uid !== undefined && res.uidValidity !== undefined) {
    return { path: res.destination || path, uid: res.uid, uidValidity: res.uidValidity.toString() };
  }
  const lock = await client.getMailboxLock(path, { readOnly: true });
  try {
    const uids = (await client.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
    const uid = uids.length > 0 ? Math.max(...uids) : undefined;
    const mailbox = client.mailbox;
    if (uid === undefined || !mailbox) throw new PetrelError('SERVER_ERROR', `The message stored in ${path} cannot be found again.`);
    return { path, uid, uidValidity: mailbox.uidValidity.toString() };
  } finally {
    lock.release();
  }
}

/**
 * Removes one message by UID (UID EXPUNGE with UIDPLUS, else \Deleted + EXPUNGE). False when
 * the folder was recreated (another UIDVALIDITY), or the message is already gone.
 */
export async function removeMessage(client: ImapFlow, path: string, uidValidity: string, uid: number): Promise<boolean> {
  let lock;
  try {
    lock = await client.getMailboxLock(path);
  } catch {
    return false; // The folder is gone, and the message with it.
  }
  try {
    const mailbox = client.mailbox;
    if (!mailbox || mailbox.uidValidity.toString() !== uidValidity) return false;
    const present = (await client.search({ uid: String(uid) }, { uid: true })) || [];
    if (!present.includes(uid)) return false;
    return await client.messageDelete(String(uid), { uid: true });
  } finally {
    lock.release();
  }
}
