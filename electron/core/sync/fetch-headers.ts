/**
 * Fetches the list fields of a set of messages (one UID FETCH) and maps them to headers.
 *
 * The preview comes from the server's PREVIEW (RFC 8970) where it is advertised: one
 * command, no body bytes, computed (and cached) by the server. imapflow has no PREVIEW
 * fetch item, so that command is issued through its `exec` and each answer read by
 * fetch-format.ts (imapflow's own value readers, without its per-message overhead), or by
 * imapflow's `formatMessageResponse` when it holds anything else (the `imapflow/lib/tools`
 * entry); if those internals ever disappear the fallback runs. The fallback fetches the
 * first text part partially (a second UID FETCH per distinct part number, grouped) and
 * decodes it locally.
 *
 * imapflow's response parser is the cost that dominates (about 1.5 s per 10k messages
 * with ENVELOPE and BODYSTRUCTURE), so nothing is requested that the list does not show.
 *
 * A server may send a FETCH response at any time, not only in answer to ours (RFC 3501
 * 7.4.2): another client's flag change reaches this session as `* n FETCH (UID u FLAGS (…)
 * MODSEQ (…))` in the middle of our answer, and imapflow hands it to us like the others.
 * Made into a header, it replaced a cached message with an empty one (no sender, no
 * subject, dated 1970). Only a response with the ENVELOPE we asked for is a header; the
 * others are flag updates, returned beside the headers (see FetchedHeaders).
 */
import type { FetchMessageObject, FetchOptions, FetchQueryObject, ImapFlow } from 'imapflow';
import type { ImapAttributeList, ImapResponse } from 'imapflow';
import { formatMessageResponse } from 'imapflow/lib/tools';
import type { MessageHeader } from '../../../shared/contract';
import { yieldToLoop } from './connection';
import { formatHeaderResponse } from './fetch-format';
import { storedFlags, toMessageHeader, type FolderContext } from './header-map';
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

export interface FlagUpdate {
  uid: number;
  flags: string[];
  modseq: string | null;
}

export interface FetchedHeaders {
  /** Headers of the messages asked for (those that still exist), in server order. */
  headers: MessageHeader[];
  /**
   * Flag changes the server reported meanwhile for messages whose header is not in
   * `headers` (a later change to one that is has been merged into it; an earlier one is
   * superseded by it). Emit them after the headers, as a `flags` delta.
   */
  flags: FlagUpdate[];
}

/**
 * Sorts the FETCH responses of one command into headers and flag updates, in arrival
 * order, so that whichever came last for a UID wins.
 */
export class FetchResponses {
  private readonly headers: MessageHeader[] = [];
  private readonly byUid = new Map<number, MessageHeader>();
  private readonly updates = new Map<number, FlagUpdate>();

  /** Whether a response carries the fields a header needs (a flag update carries none). */
  static isHeader(msg: FetchMessageObject): boolean {
    return msg.envelope !== undefined;
  }

  add(msg: FetchMessageObject, ctx: FolderContext, preview: string | null): void {
    if (!msg.uid) return;
    if (FetchResponses.isHeader(msg)) {
      const h = toMessageHeader(msg, ctx, preview);
      this.updates.delete(msg.uid);
      this.headers.push(h);
      this.byUid.set(h.uid, h);
      return;
    }
    if (!msg.flags) return;
    const update: FlagUpdate = { uid: msg.uid, flags: storedFlags(msg.flags), modseq: msg.modseq !== undefined ? msg.modseq.toString() : null };
    const h = this.byUid.get(msg.uid);
    if (h) {
      h.flags = update.flags;
      if (update.modseq !== null) h.modseq = update.modseq;
    } else {
      this.updates.set(msg.uid, update);
    }
  }

  result(): FetchedHeaders {
    return { headers: this.headers, flags: [...this.updates.values()] };
  }
}

/** Whether headers of this connection get the server's PREVIEW. */
export function serverPreview(client: ImapFlow): boolean {
  return client.capabilities.has('PREVIEW') && execOf(client) !== null;
}

/** Headers of the messages in `uidSet` (those that still exist), and flag updates that came with them. */
export async function fetchHeaders(client: ImapFlow, uidSet: string, ctx: FolderContext): Promise<FetchedHeaders> {
  if (!uidSet) return { headers: [], flags: [] };
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

async function fetchWithServerPreview(client: ImapFlow, uidSet: string, ctx: FolderContext): Promise<FetchedHeaders> {
  const mailbox = client.mailbox;
  if (!mailbox) throw new Error('No folder is selected');
  const items: unknown[] = ['UID', 'FLAGS', 'ENVELOPE', 'INTERNALDATE', 'RFC822.SIZE', 'BODYSTRUCTURE'].map(atom);
  if (client.enabled.has('CONDSTORE') && !mailbox.noModseq) items.push(atom('MODSEQ'));
  items.push(atom('PREVIEW'));
  items.push({ type: 'ATOM', value: 'BODY.PEEK', section: [atom('HEADER.FIELDS'), HEADER_FIELDS.map((h) => atom(h.toUpperCase()))] });
  const out = new FetchResponses();
  let count = 0;
  await fetchEach(client, uidSet, items, async (msg, untagged) => {
    out.add(msg, ctx, FetchResponses.isHeader(msg) ? previewAttribute(untagged) : null);
    // imapflow awaits this handler before it parses the next response: an occasional
    // macrotask turn keeps a 5000-message answer from holding the event loop.
    if (++count % YIELD_EVERY === 0) await yieldToLoop();
  });
  return out.result();
}

/**
 * A UID FETCH of raw `items` in the selected folder, each answer read with the engine's reader
 * (fetch-format.ts; imapflow's formatMessageResponse for anything else) and handed to
 * `onMessage` as it arrives; imapflow waits for the handler before it reads the next answer.
 * A handler's error ends the fetch with that error, once the server has finished answering.
 * Needs imapflow's `exec` (see supportsFetchEach).
 */
export async function fetchEach(
  client: ImapFlow,
  uidSet: string,
  items: unknown[],
  onMessage: (msg: FetchMessageObject, untagged: ImapResponse) => Promise<void>,
): Promise<void> {
  const exec = execOf(client);
  const mailbox = client.mailbox;
  if (!exec) throw new Error('This imapflow has no exec');
  if (!mailbox) throw new Error('No folder is selected');
  let failure: unknown;
  const response = await exec('UID FETCH', [{ type: 'SEQUENCE', value: uidSet }, items], {
    untagged: {
      FETCH: async (untagged) => {
        if (failure) return;
        try {
          const msg = formatHeaderResponse(untagged, mailbox) ?? (await formatMessageResponse(untagged, mailbox, undefined, client));
          await onMessage(msg, untagged);
        } catch (e) {
          failure = e;
        }
      },
    },
  });
  response.next();
  if (failure) throw failure;
}

/** Whether fetchEach can run on this client. */
export function supportsFetchEach(client: ImapFlow): boolean {
  return execOf(client) !== null;
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

async function fetchWithPartialText(client: ImapFlow, uidSet: string, ctx: FolderContext): Promise<FetchedHeaders> {
  const responses = await fetchAllYielding(client, uidSet, HEADER_QUERY);
  const messages = responses.filter(FetchResponses.isHeader);
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
      if (!m.bodyParts) continue; // a flag update from the server, not our answer
      const buf = firstBodyPart(m);
      if (buf) texts.set(m.uid, buf);
    }
  }
  // Replayed in arrival order, so a flag update after its message's header still wins.
  const out = new FetchResponses();
  for (const m of responses) {
    const part = partOf.get(m.uid);
    out.add(m, ctx, part ? previewFromPart(texts.get(m.uid), part) : '');
  }
  return out.result();
}

function firstBodyPart(m: FetchMessageObject): Buffer | undefined {
  for (const v of m.bodyParts?.values() ?? []) if (v) return v;
  return undefined;
}
