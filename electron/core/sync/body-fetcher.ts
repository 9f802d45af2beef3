/**
 * Message bodies on demand (opening a message), on a connection of their own: the worker
 * may be in the middle of a 100k-message initial sync, and opening a message must not
 * wait behind it. The connection opens on first use and closes after `idleCloseMs`
 * without requests, so an account holds at most three connections and usually two.
 *
 * The message is downloaded whole (BODY.PEEK[], so \Seen is not set) and parsed with
 * mailparser; sanitizing the HTML is the renderer's job. Attachments travel as metadata;
 * their part numbers are the IMAP ones (mailparser numbers parts from the MIME tree the
 * way BODYSTRUCTURE does), so a later download can fetch just that part.
 *
 * Seam for offline reading: a background downloader can call `fetch` for the newest
 * messages of each folder when the account is idle.
 */
import type { ImapFlow } from 'imapflow';
import { simpleParser, type Attachment } from 'mailparser';
import type { AttachmentMeta, MessageBody } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import type { Logger } from '../log';

export interface BodyRef {
  accountId: string;
  path: string;
  uidValidity: string;
  uid: number;
}

export function attachmentMeta(a: Attachment, index: number): AttachmentMeta {
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

export async function parseBody(ref: BodyRef, source: Buffer): Promise<MessageBody> {
  const parsed = await simpleParser(source, { skipTextToHtml: true, skipTextLinks: true });
  return {
    accountId: ref.accountId,
    path: ref.path,
    uidValidity: ref.uidValidity,
    uid: ref.uid,
    html: typeof parsed.html === 'string' ? parsed.html : null,
    text: parsed.text ?? null,
    attachments: parsed.attachments.map(attachmentMeta),
  };
}

export class BodyFetcher {
  private client: ImapFlow | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly open: () => Promise<ImapFlow>,
    private readonly idleCloseMs: number,
    private readonly log: Logger,
  ) {}

  /** One request at a time on the connection (SELECT and FETCH must not interleave). */
  fetch(ref: BodyRef): Promise<MessageBody> {
    const run = this.chain.then(() => this.fetchNow(ref));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Many bodies of one folder for offline reading: one SELECT and one FETCH, parsed one by
   * one (yielding between them). Queued behind on-demand requests already waiting, so a
   * person opening a message waits for at most one batch.
   */
  fetchMany(folder: Omit<BodyRef, 'uid'>, uids: readonly number[]): Promise<MessageBody[]> {
    const run = this.chain.then(() => this.fetchManyNow(folder, uids));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async fetchManyNow(folder: Omit<BodyRef, 'uid'>, uids: readonly number[]): Promise<MessageBody[]> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    try {
      const client = await this.connection();
      const mb = await client.mailboxOpen(folder.path, { readOnly: true });
      if (mb.uidValidity.toString() !== folder.uidValidity) {
        throw new PetrelError('NOT_FOUND', 'The folder changed on the server; its messages have new numbers.');
      }
      const out: MessageBody[] = [];
      const sources: { uid: number; source: Buffer }[] = [];
      for await (const msg of client.fetch(uids.join(','), { uid: true, source: true }, { uid: true })) {
        if (msg.source) sources.push({ uid: msg.uid, source: msg.source });
      }
      for (const { uid, source } of sources) {
        out.push(await parseBody({ ...folder, uid }, source));
        await new Promise((r) => setImmediate(r));
      }
      return out;
    } finally {
      this.armIdleClose();
    }
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
      const client = await this.connection();
      const mb = await client.mailboxOpen(ref.path, { readOnly: true });
      if (mb.uidValidity.toString() !== ref.uidValidity) {
        throw new PetrelError('NOT_FOUND', 'The folder changed on the server; the message is no longer there under this number.');
      }
      const msg = await client.fetchOne(String(ref.uid), { uid: true, source: true }, { uid: true });
      if (!msg || !msg.source) throw new PetrelError('NOT_FOUND', 'The message is no longer on the server.');
      return await parseBody(ref, msg.source);
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
