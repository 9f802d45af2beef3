/**
 * Building a message, once: nodemailer's MailComposer turns what the person wrote into an
 * RFC 5322 message with our own Message-ID and a Date. The bytes built here are the bytes
 * sent and the bytes filed in Sent; nothing rebuilds them on a retry.
 */
import { randomBytes } from 'node:crypto';
import { domainToASCII } from 'node:url';
import {
  MAX_ATTACHMENTS_BYTES,
  MAX_MESSAGE_BYTES,
  type Account,
  type ComposeAddress,
  type ComposeInput,
  type Envelope,
  type Identity,
} from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { htmlToText } from './html-to-text';
import { mailComposer } from '../lazy-modules';

export interface BuildOptions {
  /**
   * A draft: keeps the Bcc header (a message to send never carries it) and may have no
   * recipients yet.
   */
  draft?: boolean;
  /** Fixed values for tests. */
  messageId?: string;
  date?: Date;
}

export interface Built {
  messageId: string;
  raw: Buffer;
  envelope: Envelope;
  date: number;
}

/** A new Message-ID on the sender's domain: `<random@domain>`, unique without any state. */
export function newMessageId(fromAddress: string): string {
  const at = fromAddress.lastIndexOf('@');
  const domain = at >= 0 ? domainToASCII(fromAddress.slice(at + 1)) || 'petrel.invalid' : 'petrel.invalid';
  return `<${randomBytes(18).toString('base64url')}@${domain}>`;
}

/** The identity the person chose, from the account it belongs to. */
export function identityOf(account: Account, identityId: string): Identity {
  const identity = account.identities.find((i) => i.id === identityId);
  if (!identity) throw new PetrelError('NOT_FOUND', `The sender identity was removed from ${account.label}. Choose another From address.`);
  return identity;
}

const toNode = (a: ComposeAddress) => ({ name: a.name, address: a.address });

export async function buildMessage(input: ComposeInput, from: { name: string; address: string }, options: BuildOptions = {}): Promise<Built> {
  const attachments = input.attachments.map((a) => ({
    filename: a.filename,
    contentType: a.contentType,
    content: Buffer.from(a.contentBase64, 'base64'),
    // Nodemailer makes a message/rfc822 part inline, and readers then show the forwarded
    // message as part of the text; every file the person attached is an attachment.
    contentDisposition: 'attachment' as const,
  }));
  const total = attachments.reduce((n, a) => n + a.content.length, 0);
  if (total > MAX_ATTACHMENTS_BYTES) {
    throw new PetrelError(
      'MESSAGE_TOO_LARGE',
      `The attachments come to ${mb(total)}; Petrel sends at most ${mb(MAX_ATTACHMENTS_BYTES)} per message. Share large files with a link instead.`,
      { size: total, limit: MAX_ATTACHMENTS_BYTES },
    );
  }
  const messageId = options.messageId ?? newMessageId(from.address);
  const date = options.date ?? new Date();
  const html = input.html?.trim() ? input.html : undefined;
  const text = html !== undefined && !input.text.trim() ? htmlToText(html) : input.text;
  const MailComposer = await mailComposer();
  const composer = new MailComposer({
    from: toNode(from),
    to: input.to.map(toNode),
    cc: input.cc.map(toNode),
    bcc: input.bcc.map(toNode),
    subject: input.subject,
    messageId,
    date,
    ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
    ...(input.references.length > 0 ? { references: input.references } : {}),
    text,
    ...(html !== undefined ? { html } : {}),
    attachments,
    // Content comes only from what was passed in: never read a path or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
    newline: 'windows',
  });
  const node = composer.compile();
  node.keepBcc = options.draft ?? false;
  const raw = await node.build();
  if (raw.length > MAX_MESSAGE_BYTES) {
    throw new PetrelError('MESSAGE_TOO_LARGE', `The message comes to ${mb(raw.length)}; Petrel sends at most ${mb(MAX_MESSAGE_BYTES)}.`, {
      size: raw.length,
      limit: MAX_MESSAGE_BYTES,
    });
  }
  const env = node.getEnvelope();
  const to = env.to ?? [];
  if (!env.from || (to.length === 0 && !options.draft)) {
    throw new PetrelError('BAD_REQUEST', 'Add at least one recipient.');
  }
  return { messageId, raw, envelope: { from: env.from, to }, date: date.getTime() };
}

/** The Message-ID header of a raw message (its header block only), or null. */
export function messageIdOf(raw: Buffer): string | null {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end >= 0 ? end : Math.min(raw.length, 64 * 1024)).toString('latin1');
  const m = /^message-id:[ \t]*(?:\r\n[ \t]+)?(<[^>\r\n]+>)/im.exec(head);
  return m?.[1] ?? null;
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
