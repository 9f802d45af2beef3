/**
 * Message bodies on demand (opening a message), on a connection of their own: the worker
 * may be in the middle of a 100k-message initial sync, and opening a message must not
 * wait behind it. The connection opens on first use and closes after `idleCloseMs`
 * without requests, so an account holds at most three connections and usually two.
 *
 * The BODYSTRUCTURE comes first: a message with sizeable attachments is read without their
 * bytes (body-parts.ts), any other is downloaded whole. Either way with BODY.PEEK (so \Seen
 * is not set) and parsed: the common shapes directly (body-direct.ts), the rest with
 * mailparser; sanitizing the HTML is the renderer's job.
 * Attachments travel as metadata; their part numbers are the IMAP ones (mailparser numbers
 * parts from the MIME tree the way BODYSTRUCTURE does), so a later download can fetch just
 * that part.
 *
 * The offline download (renderer/src/db/body-prefetch.ts) asks for batches with `fetchMany`.
 */
import type { FetchMessageObject, ImapFlow } from 'imapflow';
import type { Attachment } from 'mailparser';
import type { AttachmentMeta, MessageBody } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import type { Logger } from '../log';
import { readBodyDirect } from './body-direct';
import { fetchEach, supportsFetchEach } from './fetch-headers';
import { mailparser } from '../lazy-modules';
import { assembleMessage, planBody, PRUNE_MIN_BYTES, type BodyPlan } from './body-parts';

export interface BodyRef {
  accountId: string;
  path: string;
  uidValidity: string;
  uid: number;
}

/** What attachmentMeta reads: a mailparser attachment or one of readBodyDirect's. */
type AttachmentFields = Pick<Attachment, 'filename' | 'contentType' | 'size' | 'contentId' | 'related' | 'contentDisposition'> & {
  partId?: string | null;
  content?: Buffer | null;
};

export function attachmentMeta(a: AttachmentFields, index: number): AttachmentMeta {
  const filename = (a.filename ?? '').slice(0, 1000);
  return {
    // A single-part message whose body is the file has no partId: its IMAP part is 1.
    partId: (a.partId || (index === 0 ? '1' : `idx:${index}`)).slice(0, 100),
    filename,
    contentType: (a.contentType || 'application/octet-stream').slice(0, 255),
    size: Math.max(0, Math.floor(a.size ?? a.content?.length ?? 0)),
    contentId: a.contentId ? a.contentId.slice(0, 1000) : null,
    inline: a.related === true || (a.contentDisposition ?? '').toLowerCase() === 'inline',
  };
}

/**
 * The message with only the header fields that shape its body (Content-*, MIME-Version).
 * The body's text, HTML and attachments depend on nothing else in the top-level header, and
 * mailparser decodes every field it is given (addresses, encoded words): in an offline
 * download that was a fifth of the engine's CPU, spent on headers the renderer already has.
 * Bytes are kept as they are (latin1 round trip); folded lines stay with their field.
 */
export function contentHeadersOnly(source: Buffer): Buffer {
  const crlf = source.indexOf('\r\n\r\n');
  const lf = source.indexOf('\n\n');
  let end: number;
  let bodyAt: number;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) [end, bodyAt] = [crlf, crlf + 4];
  else if (lf !== -1) [end, bodyAt] = [lf, lf + 2];
  else return source;
  const kept: string[] = [];
  let keep = false;
  for (const line of source.toString('latin1', 0, end).split(/\r?\n/)) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (keep) kept.push(line);
      continue;
    }
    const name = line.slice(0, Math.max(0, line.indexOf(':'))).trim().toLowerCase();
    keep = name.startsWith('content-') || name === 'mime-version';
    if (keep) kept.push(line);
  }
  return Buffer.concat([Buffer.from(kept.join('\r\n') + '\r\n\r\n', 'latin1'), source.subarray(bodyAt)]);
}

/**
 * `prunedSizes`: the decoded sizes of the attachments whose bodies were left out of `source`
 * (body-parts.ts), by part number.
 */
export async function parseBody(ref: BodyRef, source: Buffer, prunedSizes?: ReadonlyMap<string, number>): Promise<MessageBody> {
  const content = contentHeadersOnly(source);
  const parsed = readBodyDirect(content) ?? (await parseWithMailparser(content));
  const attachments = parsed.attachments.map(attachmentMeta);
  if (prunedSizes) {
    for (const a of attachments) {
      const size = prunedSizes.get(a.partId);
      if (size !== undefined) a.size = size;
    }
  }
  return {
    accountId: ref.accountId,
    path: ref.path,
    uidValidity: ref.uidValidity,
    uid: ref.uid,
    html: parsed.html,
    text: parsed.text,
    attachments,
  };
}

/** The shapes readBodyDirect leaves aside, read by mailparser. */
export async function parseWithMailparser(content: Buffer): Promise<{ html: string | null; text: string | null; attachments: AttachmentFields[] }> {
  // Loaded on first use (lazy-modules.ts): the header sync never needs it.
  const { simpleParser } = await mailparser();
  // No checksums: nothing reads them, and they cost a hash over every attachment's bytes.
  const parsed = await simpleParser(content, { skipTextToHtml: true, skipTextLinks: true, checksumAlgo: false });
  return { html: typeof parsed.html === 'string' ? parsed.html : null, text: parsed.text ?? null, attachments: parsed.attachments };
}

type PartsPlan = Extract<BodyPlan, { kind: 'parts' }>;

/**
 * The bodies of `uids` in the selected folder: their BODYSTRUCTUREs, then one FETCH per
 * shape of message read in parts (the sections to fetch differ by shape; a batch has a
 * handful) and one for the messages read whole. Each message is parsed as it arrives: the
 * server keeps streaming the rest into the socket meanwhile. A message expunged meanwhile is
 * simply missing from the answer.
 *
 * `sizes` (RFC822.SIZE, in the order of `uids`, as the renderer has them): a message smaller
 * than PRUNE_MIN_BYTES holds no attachment worth leaving out, so it is read whole without
 * asking for its structure. Most mail is that small, and the structure's round trip and
 * parsing were a fifth of the offline download's engine CPU. A wrong size costs only
 * bandwidth (a big message read whole), never content.
 */
export async function readBodies(client: ImapFlow, folder: Omit<BodyRef, 'uid'>, uids: readonly number[], sizes?: readonly number[]): Promise<MessageBody[]> {
  const out: MessageBody[] = [];
  const whole: number[] = [];
  const shapes = new Map<string, Map<number, PartsPlan>>();
  const asked = new Set(uids);
  const probe = sizes ? uids.filter((_, i) => !((sizes[i] ?? Infinity) < PRUNE_MIN_BYTES)) : [...uids];
  if (probe.length < uids.length) {
    const probed = new Set(probe);
    whole.push(...uids.filter((uid) => !probed.has(uid)));
  }
  // Every loop below skips FETCH responses that are not answers to it: the server may send
  // another client's flag change (`* n FETCH (UID u FLAGS …)`) in the middle of ours.
  if (probe.length) for await (const msg of client.fetch(probe.join(','), { uid: true, bodyStructure: true }, { uid: true })) {
    if (!msg.bodyStructure || !asked.has(msg.uid)) continue;
    const plan = planBody(msg.bodyStructure);
    if (plan.kind === 'whole') {
      whole.push(msg.uid);
      continue;
    }
    const key = plan.sections.join(' ');
    let shape = shapes.get(key);
    if (!shape) shapes.set(key, (shape = new Map()));
    shape.set(msg.uid, plan);
  }
  for (const shape of shapes.values()) {
    const sections = shape.values().next().value!.sections;
    try {
      for await (const msg of client.fetch([...shape.keys()].join(','), { uid: true, headers: true, bodyParts: sections }, { uid: true })) {
        const plan = shape.get(msg.uid);
        if (!plan || !msg.headers) continue;
        shape.delete(msg.uid);
        const raw = assembleMessage(plan, msg.headers, (key) => msg.bodyParts?.get(key.toLowerCase()) ?? msg.bodyParts?.get(key));
        if (raw) out.push(await parseBody({ ...folder, uid: msg.uid }, raw, plan.pruned));
        else whole.push(msg.uid);
      }
    } catch (e) {
      // A server that refuses a section (NO/BAD): read those messages whole. A lost connection is no refusal.
      if (!client.usable) throw e;
    }
    // Not in the answer (refused, or expunged meanwhile): whole, which skips the expunged ones.
    whole.push(...shape.keys());
  }
  if (whole.length) {
    const read = async (msg: FetchMessageObject) => {
      if (msg.source && asked.has(msg.uid)) out.push(await parseBody({ ...folder, uid: msg.uid }, msg.source));
    };
    // The engine's own reading of the answers (fetch-format.ts): imapflow's costs an MD5 and a
    // recompiled item name per message, ~6% of the offline download's engine CPU.
    if (supportsFetchEach(client)) await fetchEach(client, whole.join(','), WHOLE_ITEMS, read);
    else for await (const msg of client.fetch(whole.join(','), { uid: true, source: true }, { uid: true })) await read(msg);
  }
  return out;
}

/** UID and BODY.PEEK[] (the whole message, \Seen left alone). */
const WHOLE_ITEMS: unknown[] = [
  { type: 'ATOM', value: 'UID' },
  { type: 'ATOM', value: 'BODY.PEEK', section: [] },
];

export class BodyFetcher {
  private client: ImapFlow | null = null;
  /** Requests wait here; the connection serves one at a time (SELECT and FETCH must not interleave). */
  private readonly queue: { urgent: boolean; run: () => Promise<void> }[] = [];
  private busy = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly open: () => Promise<ImapFlow>,
    private readonly idleCloseMs: number,
    private readonly log: Logger,
  ) {}

  /** A message being opened: served before any offline batch still waiting. */
  fetch(ref: BodyRef): Promise<MessageBody> {
    return this.enqueue(true, () => this.fetchNow(ref));
  }

  /**
   * Many bodies of one folder for offline reading (`readBodies`; the folder stays selected
   * between batches). The offline download keeps more than one batch waiting so the
   * connection never idles; a person opening a message waits for at most the batch already
   * running.
   */
  fetchMany(folder: Omit<BodyRef, 'uid'>, uids: readonly number[], sizes?: readonly number[]): Promise<MessageBody[]> {
    return this.enqueue(false, () => this.fetchManyNow(folder, uids, sizes));
  }

  private enqueue<T>(urgent: boolean, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job = { urgent, run: () => fn().then(resolve, reject) };
      const at = urgent ? this.queue.findIndex((j) => !j.urgent) : -1;
      if (at === -1) this.queue.push(job);
      else this.queue.splice(at, 0, job);
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) await job.run();
    } finally {
      this.busy = false;
    }
  }

  private async fetchManyNow(folder: Omit<BodyRef, 'uid'>, uids: readonly number[], sizes?: readonly number[]): Promise<MessageBody[]> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    try {
      const client = await this.select(folder, 'The folder changed on the server; its messages have new numbers.');
      return await readBodies(client, folder, uids, sizes);
    } finally {
      this.armIdleClose();
    }
  }

  /**
   * The folder selected (read-only) on the body connection. Already selected under the same
   * UIDVALIDITY, it is kept: a download of thousands of bodies would otherwise spend a round
   * trip per batch on EXAMINE. Safe: UIDs cannot change within the session that has the
   * folder selected (RFC 3501 2.3.1.1), and a message expunged meanwhile is simply missing.
   */
  private async select(folder: Omit<BodyRef, 'uid'>, changed: string): Promise<ImapFlow> {
    const client = await this.connection();
    const current = client.mailbox;
    if (current && current.path === folder.path && current.uidValidity.toString() === folder.uidValidity) return client;
    const mb = await client.mailboxOpen(folder.path, { readOnly: true });
    if (mb.uidValidity.toString() !== folder.uidValidity) throw new PetrelError('NOT_FOUND', changed);
    return client;
  }

  private async connection(): Promise<ImapFlow> {
    if (this.closed) throw new PetrelError('CANCELLED', 'The account is being closed.');
    if (this.client && !this.client.isClosed && this.client.usable) return this.client;
    this.client?.close();
    this.client = await this.open();
    return this.client;
  }

  private async fetchNow(ref: BodyRef): Promise<MessageBody> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    try {
      const client = await this.select(ref, 'The folder changed on the server; the message is no longer there under this number.');
      const [body] = await readBodies(client, ref, [ref.uid]);
      if (!body) throw new PetrelError('NOT_FOUND', 'The message is no longer on the server.');
      return body;
    } catch (e) {
      if (!(e instanceof PetrelError)) this.log.warn('fetching a message body failed', { message: (e as Error).message });
      throw e;
    } finally {
      this.armIdleClose();
    }
  }

  private armIdleClose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.dropConnection(), this.idleCloseMs);
    this.idleTimer.unref?.();
  }

  private dropConnection(): void {
    const c = this.client;
    this.client = null;
    if (c && !c.isClosed) c.logout().catch(() => c.close());
  }

  close(): void {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.dropConnection();
  }
}
