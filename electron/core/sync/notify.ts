/**
 * NOTIFY (RFC 5465) on the worker connection: the server tells it when mail arrives, goes or
 * changes flags in any folder, so folders other than INBOX get news within the server's own
 * delay instead of at the next LIST-STATUS poll. Dovecot sends the notifications as they
 * happen, to a connection with no folder selected and not in IDLE (checked against the test
 * server), so the worker takes them between and during its commands.
 *
 * - Other folders: an untagged `STATUS <folder> (…)`. A new message's carries the counts, a
 *   flag change's only HIGHESTMODSEQ: either way it only says "look at this folder".
 * - The folder the worker has selected (a sync): EXISTS, EXPUNGE, FETCH, as without NOTIFY,
 *   which imapflow turns into events.
 *
 * imapflow has no API for unsolicited STATUS: the handler goes into its table of untagged
 * handlers, which its own STATUS and LIST-STATUS commands override while they run (they take
 * any STATUS that arrives meanwhile as theirs; Worker.poll allows for that).
 */
import type { ImapFlow } from 'imapflow';
import { decodePath, normalizePath } from 'imapflow/lib/tools';
import { connectionLost } from './connection';
import type { Logger } from '../log';

const EVENTS = ['MessageNew', 'MessageExpunge', 'FlagChange'].map((value) => ({ type: 'ATOM', value }));

/** The part of imapflow's internals this uses. */
interface UntaggedTable {
  untaggedHandlers?: Record<string, ((untagged: { attributes?: unknown[] }) => unknown) | null | undefined>;
  exec(command: string, attributes: unknown[]): Promise<{ next(): void }>;
}

/**
 * Asks for notifications of every personal folder and of the selected one; `onFolder` hears
 * the path of each folder a STATUS notification names. False when the server has no NOTIFY
 * or refused it (the worker then polls as often as without). A lost connection throws.
 */
export async function startNotify(client: ImapFlow, onFolder: (path: string) => void, log: Logger): Promise<boolean> {
  const raw = client as unknown as UntaggedTable;
  if (!client.capabilities.has('NOTIFY') || typeof raw.untaggedHandlers !== 'object' || raw.untaggedHandlers === null) return false;
  const handlers = raw.untaggedHandlers;
  handlers['STATUS'] = (untagged) => {
    const name = untagged.attributes?.[0];
    const value = typeof name === 'object' && name !== null && 'value' in name ? (name as { value: unknown }).value : null;
    if (typeof value !== 'string' && !Buffer.isBuffer(value)) return;
    onFolder(normalizePath(client, decodePath(client, value.toString())));
  };
  try {
    await notifySet(raw);
    return true;
  } catch (e) {
    handlers['STATUS'] = null;
    if (connectionLost(client)) throw e;
    log.warn('the server refused NOTIFY; other folders are polled', { message: (e as Error).message });
    return false;
  }
}

/**
 * Asks again for the same notifications. The test Dovecot, after a while with a 100k-message
 * INBOX, came to tell of a change in another folder only once this session had itself selected
 * that folder; a new NOTIFY SET, in the middle of the worker's polls and syncs, brought its
 * notifications back within its usual ~0.5 s. On an idle connection the same Dovecot sends what
 * it notices after a second NOTIFY SET only with a command's answer (notify.int.test.ts), so
 * the worker goes on polling at the short interval after asking again. False when the server
 * refused it; a lost connection throws.
 */
export async function renewNotify(client: ImapFlow, log: Logger): Promise<boolean> {
  try {
    await notifySet(client as unknown as UntaggedTable);
    return true;
  } catch (e) {
    if (connectionLost(client)) throw e;
    log.warn('the server refused NOTIFY again', { message: (e as Error).message });
    return false;
  }
}

async function notifySet(raw: UntaggedTable): Promise<void> {
  const response = await raw.exec('NOTIFY', [{ type: 'ATOM', value: 'SET' }, [{ type: 'ATOM', value: 'SELECTED' }, EVENTS], [{ type: 'ATOM', value: 'PERSONAL' }, EVENTS]]);
  response.next();
}
