/**
 * Fetches the list fields of a set of messages (one UID FETCH) and maps them to headers.
 *
 * The preview comes from the server's PREVIEW (RFC 8970) where it is advertised: one
 * command, no body bytes, computed (and cached) by the server. imapflow has no PREVIEW
 * fetch item, so that command is issued through its `exec` and the answer parsed with
 * its own `formatMessageResponse` (the `imapflow/lib/tools` entry); if that internal ever
 * disappears the fallback runs. The fallback fetches the first text part partially (a
 * second UID FETCH per distinct part number, grouped) and decodes it locally.
 *
 * imapflow's response parser is the cost that dominates (about 1.5 s per 10k messages
 * with ENVELOPE and BODYSTRUCTURE), so nothing is requested that the list does not show.
 */
import type { FetchMessageObject, FetchOptions, FetchQueryObject, ImapFlow } from 'imapflow';
import type { ImapAttributeList, ImapResponse } from 'imapflow';
import { formatMessageResponse } from 'imapflow/lib/tools';
import type { MessageHeader } from '../../../shared/contract';
import { yieldToLoop } from './connection';
import { toMessageHeader, type FolderContext } from './header-map';
import { pickPreviewPart, previewFromPart, PREVIEW_FETCH_BYTES } from './preview';
import { compactUids } from './uid-set';

export const HEADER_FIELDS = ['references', 'in-reply-to'];
const YIELD_EVERY = 50;

export const HEADER_QUERY: FetchQueryObject = {
  uid: true,
  flags: true,
  envelope: true,
  internalDate: true,
  size: true,
  bodyStructure: true,
  headers: HEADER_FIELDS,
};

interface ExecResponse {
  next(): void;
}
type Exec = (
  command: string,
  attributes: unknown[],
  options: { untagged: Record<string, (untagged: ImapResponse) => Promise<void>> },
) => Promise<ExecResponse>;

function execOf(client: ImapFlow): Exec | null {
  const exec = (client as unknown as { exec?: unknown }).exec;
  return typeof exec === 'function' ? (exec as Exec).bind(client) : null;
}

/** Whether headers of this connection get the server's PREVIEW. */
export function serverPreview(client: ImapFlow): boolean {
  return client.capabilities.has('PREVIEW') && execOf(client) !== null;
}

/** Headers of the messages in `uidSet` (those that still exist), in server order. */
export async function fetchHeaders(client: ImapFlow, uidSet: string, ctx: FolderContext): Promise<MessageHeader[]> {
  if (!uidSet) return [];
  if (serverPreview(client)) return fetchWithServerPreview(client, uidSet, ctx);
  return fetchWithPartialText(client, uidSet, ctx);
}

const atom = (value: string) => ({ type: 'ATOM', value });

/** Text of the PREVIEW item in a raw FETCH response (a string, a literal or NIL). */
export function previewAttribute(untagged: ImapResponse): string | null {
  const items = (untagged.attributes?.[1] ?? []) as ImapAttributeList;
  if (!Array.isArray(items)) return null;
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = items[i] as { value?: unknown } | null;
    if (typeof key?.value === 'string' && key.value.toUpperCase() === 'PREVIEW') {
      const v = (items[i + 1] as { value?: unknown } | null)?.value;
      if (typeof v === 'string') return v;
      if (Buffer.isBuffer(v)) return v.toString('utf8');
      return null;
    }
  }
  return null;
}

async function fetchWithServerPreview(client: ImapFlow, uidSet: string, ctx: FolderContext): Promise<MessageHeader[]> {
  const exec = execOf(client)!;
  const mailbox = client.mailbox;
  if (!mailbox) throw new Error('No folder is selected');
  const items: unknown[] = ['UID', 'FLAGS', 'ENVELOPE', 'INTERNALDATE', 'RFC822.SIZE', 'BODYSTRUCTURE'].map(atom);
  if (client.enabled.has('CONDSTORE') && !mailbox.noModseq) items.push(atom('MODSEQ'));
  items.push(atom('PREVIEW'));
  items.push({ type: 'ATOM', value: 'BODY.PEEK', section: [atom('HEADER.FIELDS'), HEADER_FIELDS.map((h) => atom(h.toUpperCase()))] });
  const out: MessageHeader[] = [];
  let failure: unknown;
  const response = await exec('UID FETCH', [{ type: 'SEQUENCE', value: uidSet }, items], {
    untagged: {
      FETCH: async (untagged) => {
        if (failure) return;
        try {
          const msg = await formatMessageResponse(untagged, mailbox, undefined, client);
          if (msg.uid) out.push(toMessageHeader(msg, ctx, previewAttribute(untagged)));
          // imapflow awaits this handler before it parses the next response: an occasional
          // macrotask turn keeps a 5000-message answer from holding the event loop.
          if (out.length % YIELD_EVERY === 0) await yieldToLoop();
        } catch (e) {
          failure = e;
        }
      },
    },
  });
  response.next();
  if (failure) throw failure;
  return out;
}

/**
 * Every answer of a UID FETCH, like imapflow's fetchAll, but with a macrotask turn now
 * and then (see fetchWithServerPreview): FLAGS of 100k messages must not freeze the engine.
 */
export async function fetchAllYielding(client: ImapFlow, uidSet: string, query: FetchQueryObject, options: FetchOptions = {}): Promise<FetchMessageObject[]> {
  const out: FetchMessageObject[] = [];
  for await (const m of client.fetch(uidSet, query, { ...options, uid: true })) {
    out.push(m);
    if (out.length % YIELD_EVERY === 0) await yieldToLoop();
  }
  return out;
}

async function fetchWithPartialText(client: ImapFlow, uidSet: string, ctx: FolderContext): Promise<MessageHeader[]> {
  const messages = await fetchAllYielding(client, uidSet, HEADER_QUERY);
  const byPart = new Map<string, { part: NonNullable<ReturnType<typeof pickPreviewPart>>; uids: number[] }>();
  const partOf = new Map<number, NonNullable<ReturnType<typeof pickPreviewPart>>>();
  for (const m of messages) {
    const part = pickPreviewPart(m.bodyStructure);
    if (!part) continue;
    partOf.set(m.uid, part);
    const group = byPart.get(part.part) ?? { part, uids: [] };
    group.uids.push(m.uid);
    byPart.set(part.part, group);
  }
  const texts = new Map<number, Buffer>();
  for (const [key, group] of byPart) {
    const query: FetchQueryObject = { uid: true, bodyParts: [{ key, maxLength: PREVIEW_FETCH_BYTES }] };
    for (const m of await fetchAllYielding(client, compactUids(group.uids), query)) {
      const buf = firstBodyPart(m);
      if (buf) texts.set(m.uid, buf);
    }
  }
  return messages
    .filter((m) => !!m.uid)
    .map((m) => {
      const part = partOf.get(m.uid);
      return toMessageHeader(m, ctx, part ? previewFromPart(texts.get(m.uid), part) : '');
    });
}

function firstBodyPart(m: FetchMessageObject): Buffer | undefined {
  for (const v of m.bodyParts?.values() ?? []) if (v) return v;
  return undefined;
}
